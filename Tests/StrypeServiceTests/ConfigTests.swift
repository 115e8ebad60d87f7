import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@Suite("Configuration from the environment")
struct ConfigTests {
    static let masterKeyHex = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
    let valid: [String: String] = [
        "DATABASE_URL": "postgres://strype:p%40ss@db.local:5433/cloudstrype?sslmode=disable",
        "REDIS_URL": "redis://:secret@cache:6380/2",
        "SERVICE_SECRET": "0123456789abcdef0123456789abcdef01",
        "CLOUDSTRYPE_MASTER_KEY": Self.masterKeyHex,
        "AUTH_URL": "http://auth:8081/",
        "CLOUD_URL": "http://cloud:8082",
        "ARRAY_URL": "http://array:8083",
    ]

    private func load(_ environment: [String: String], service: ServiceName = .chunk) throws(ConfigError)
        -> ServiceConfig
    {
        try ServiceConfig.load(
            service: service,
            peers: [.auth, .cloud, .array],
            needsMasterKey: true,
            environment: environment
        )
    }

    @Test("a complete environment parses into typed values")
    func validEnvironment() throws {
        let config = try load(valid)
        #expect(config.port == ServiceName.chunk.defaultPort)
        #expect(config.database.host == "db.local")
        #expect(config.database.port == 5433)
        #expect(config.database.user == "strype")
        #expect(config.database.password == "p@ss")
        #expect(config.database.path == "cloudstrype")
        #expect(config.redis.password == "secret")
        #expect(config.redis.path == "2")
        // Peers are called on their internal listeners: the public port + 100 unless <PEER>_INTERNAL_URL says.
        #expect(config.peers[.auth] == ["http://auth:8181"])
        #expect(config.internalPort == ServiceName.chunk.defaultPort + 100)
        #expect(config.masterKey?.bytes.prefix(2) == [0xA1, 0xB2])
        #expect(config.logLevel == .info)
        #expect(config.shutdownTimeout == .seconds(25))
    }

    @Test("secrets never appear in descriptions")
    func secretsRedacted() throws {
        let config = try load(valid)
        let printed = "\(config)"
        #expect(!printed.contains("p@ss"))
        #expect(!printed.contains("secret@"))
        #expect(!printed.contains("0123456789abcdef0123"))
        #expect(!printed.contains(Self.masterKeyHex))
        #expect(config.database.description == "postgres://strype:***@db.local:5433/cloudstrype")
    }

    @Test(
        "each missing or malformed value names its variable",
        arguments: [
            ("DATABASE_URL", nil, "is required"),
            ("DATABASE_URL", "mysql://x@y/z", "scheme"),
            ("DATABASE_URL", "postgres://db/x", "must name a user"),
            ("DATABASE_URL", "postgres://u@db:99999/x", "port"),
            ("DATABASE_URL", "postgres://u@db/x?sslmode=sometimes", "sslmode"),
            ("REDIS_URL", nil, "is required"),
            ("REDIS_URL", "redis://cache/abc", "database"),
            ("REDIS_URL", "cache:6379", "must be a URL"),
            ("PORT", "eighty", "whole number"),
            ("PORT", "70000", "between 1 and 65535"),
            ("SERVICE_SECRET", nil, "is required"),
            ("SERVICE_SECRET", "short", "at least 32"),
            ("SERVICE_SECRET", "0123456789abcdef0123", "at least 32"),
            ("SERVICE_SECRET", "change-me-to-a-long-random-string", "example value"),
            ("SERVICE_SECRET", "an-example-secret-for-the-documentation", "example value"),
            ("SERVICE_SECRET", String(repeating: "x", count: 40), "one character repeated"),
            ("CLOUDSTRYPE_MASTER_KEY", String(repeating: "0", count: 64), "example value"),
            ("CLOUDSTRYPE_MASTER_KEY", String(repeating: "ab", count: 32), "example value"),
            ("DATABASE_URL", "postgres://u:change-me@db/x", "example value"),
            ("REDIS_URL", "redis://:changeme@cache:6379/0", "example value"),
            ("INTERNAL_PORT", "8084", "must differ from PORT"),
            ("INTERNAL_PORT", "0", "between 1 and 65535"),
            ("AUTH_URL", "http://auth", "must name a port"),
            ("CLOUDSTRYPE_MASTER_KEY", nil, "is required"),
            ("CLOUDSTRYPE_MASTER_KEY", "abcd", "32 bytes"),
            ("CLOUDSTRYPE_MASTER_KEY", String(repeating: "zz", count: 32), "32 bytes"),
            ("AUTH_URL", nil, "is required"),
            ("CLOUD_URL", "ftp://cloud", "scheme"),
            ("ARRAY_URL", "http://u:p@array:1", "plain base URL"),
            ("CLOUD_URL", "http://cloud-1:8080,ftp://cloud-2", "scheme"),
            ("LOG_LEVEL", "loud", "must be one of"),
            ("LOG_FORMAT", "xml", "json or text"),
            ("SHUTDOWN_TIMEOUT", "-1", "between"),
        ] as [(String, String?, String)]
    )
    func invalidValue(variable: String, value: String?, reason: String) {
        var environment = valid
        environment[variable] = value
        #expect {
            _ = try load(environment)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.variable == variable && error.reason.contains(reason)
        }
    }

    @Test("a peer's instances are listed comma-separated")
    func severalInstances() throws {
        var environment = valid
        environment["AUTH_URL"] = "http://auth-1:8081/, http://auth-2:8081"
        #expect(try load(environment).peers[.auth] == ["http://auth-1:8181", "http://auth-2:8181"])
    }

    @Test("<PEER>_INTERNAL_URL names a peer's internal listeners when they are not at the public port + 100")
    func explicitInternalURL() throws {
        var environment = valid
        environment["AUTH_INTERNAL_URL"] = "http://auth-internal:9000"
        #expect(try load(environment).peers[.auth] == ["http://auth-internal:9000"])
        environment["INTERNAL_PORT"] = "9100"
        #expect(try load(environment).internalPort == 9100)
    }

    @Test("a base64 master key is accepted too")
    func base64MasterKey() throws {
        var environment = valid
        environment["CLOUDSTRYPE_MASTER_KEY"] = "CzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYY="
        #expect(try load(environment).masterKey?.bytes == (0..<32).map { UInt8(($0 * 37 + 11) % 256) })
    }

    @Test("services without the master key or peers do not ask for them")
    func optionalPieces() throws {
        var environment = valid
        environment["CLOUDSTRYPE_MASTER_KEY"] = nil
        environment["AUTH_URL"] = nil
        let config = try ServiceConfig.load(service: .array, peers: [], needsMasterKey: false, environment: environment)
        #expect(config.masterKey == nil)
        #expect(config.peers.isEmpty)
    }
}
