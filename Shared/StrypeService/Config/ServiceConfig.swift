import Logging
import StrypeCore

/// Everything a service process reads from its environment, validated before anything starts.
package struct ServiceConfig: Sendable {
    package var service: ServiceName
    package var host: String
    package var port: Int
    /// The port of the internal listener (`INTERNAL_PORT`, default `PORT` + 100): service-to-service routes, service
    /// tokens and metrics; the gateway never proxies it.
    package var internalPort: Int
    package var database: ConnectionURL
    package var databasePoolSize: Int
    package var redis: ConnectionURL
    package var redisPoolSize: Int
    /// Base URLs of the internal listeners of the peers this service calls, e.g. `http://auth:8181`: one per instance
    /// when `<PEER>_INTERNAL_URL` (or `<PEER>_URL`, whose ports + 100 it defaults to) lists several, comma-separated.
    package var peers: [ServiceName: [String]]
    package var masterKey: MasterKey?
    package var serviceSecret: Secret
    package var logLevel: Logger.Level
    package var logFormat: LogFormat
    package var shutdownTimeout: Duration
    package var startupTimeout: Duration
    /// Everything the process was given, for the settings of one service alone.
    package var environment: EnvironmentReader

    /// Reads and validates the configuration of `service` from `environment`.
    package static func load(
        service: ServiceName,
        peers peerNames: [ServiceName],
        needsMasterKey: Bool,
        environment: [String: String]
    ) throws(ConfigError) -> ServiceConfig {
        let env = EnvironmentReader(environment)
        let host = env.optional("HOST") ?? "0.0.0.0"
        let port = try env.integer("PORT", default: service.defaultPort, in: 1...65535)
        let internalPort = try env.integer("INTERNAL_PORT", default: min(port + 100, 65535), in: 1...65535)
        guard internalPort != port else { throw ConfigError("INTERNAL_PORT", "must differ from PORT") }
        let database = try ConnectionURL(
            try env.required("DATABASE_URL"),
            schemes: ["postgres", "postgresql"],
            variable: "DATABASE_URL"
        )
        guard database.user != nil else {
            throw ConfigError("DATABASE_URL", "must name a user (postgres://user@host/db)")
        }
        if let mode = database.query["sslmode"], !["disable", "prefer", "require"].contains(mode) {
            throw ConfigError("DATABASE_URL", "sslmode must be disable, prefer or require, got \(mode)")
        }
        let redis = try ConnectionURL(try env.required("REDIS_URL"), schemes: ["redis"], variable: "REDIS_URL")
        if !redis.path.isEmpty, Int(redis.path) == nil {
            throw ConfigError("REDIS_URL", "database must be a number (redis://host:6379/0)")
        }
        var peers: [ServiceName: [String]] = [:]
        for peer in peerNames {
            peers[peer] = try internalPeerURLs(env, peer)
        }
        let masterKey: MasterKey? =
            needsMasterKey ? try MasterKey(parsing: try env.required("CLOUDSTRYPE_MASTER_KEY")) : nil
        let secret = try env.required("SERVICE_SECRET")
        try ExampleSecrets.refuse(secret, variable: "SERVICE_SECRET")
        try ExampleSecrets.refuse(password: database.password, variable: "DATABASE_URL")
        try ExampleSecrets.refuse(password: redis.password, variable: "REDIS_URL")
        let levelName = (env.optional("LOG_LEVEL") ?? "info").lowercased()
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ConfigError("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")
        }
        let formatName = (env.optional("LOG_FORMAT") ?? "json").lowercased()
        guard let format = LogFormat(rawValue: formatName) else {
            throw ConfigError("LOG_FORMAT", "must be json or text, got \(formatName)")
        }
        return ServiceConfig(
            service: service,
            host: host,
            port: port,
            internalPort: internalPort,
            database: database,
            databasePoolSize: try env.integer("DATABASE_POOL_SIZE", default: 10, in: 1...200),
            redis: redis,
            redisPoolSize: try env.integer("REDIS_POOL_SIZE", default: 8, in: 1...128),
            peers: peers,
            masterKey: masterKey,
            serviceSecret: Secret(secret),
            logLevel: level,
            logFormat: format,
            shutdownTimeout: .seconds(try env.integer("SHUTDOWN_TIMEOUT", default: 25, in: 1...600)),
            startupTimeout: .seconds(try env.integer("STARTUP_TIMEOUT", default: 60, in: 1...3600)),
            environment: env
        )
    }

    /// `<PEER>_INTERNAL_URL` when given, else each base URL of `<PEER>_URL` with its port + 100 (the default
    /// `INTERNAL_PORT` of a peer).
    private static func internalPeerURLs(_ env: EnvironmentReader, _ peer: ServiceName) throws(ConfigError)
        -> [String]
    {
        let internalName = peer.internalURLVariable
        if env.optional(internalName) != nil { return try peerURLs(env, internalName) }
        var bases: [String] = []
        for base in try peerURLs(env, peer.urlVariable) {
            let url = try ConnectionURL(base, schemes: ["http", "https"], variable: peer.urlVariable)
            guard let port = url.port else {
                throw ConfigError(peer.urlVariable, "must name a port, or give \(internalName) as well")
            }
            guard let range = base.range(of: ":\(port)", options: .backwards) else {
                throw ConfigError(peer.urlVariable, "must be plain base URLs like http://host:port, comma-separated")
            }
            bases.append(base.replacingCharacters(in: range, with: ":\(port + 100)"))
        }
        return bases
    }

    private static func peerURLs(_ env: EnvironmentReader, _ name: String) throws(ConfigError) -> [String] {
        var bases: [String] = []
        for value in try env.required(name).split(separator: ",", omittingEmptySubsequences: false) {
            let text = value.trimmingCharacters(in: .whitespaces)
            let url = try ConnectionURL(text, schemes: ["http", "https"], variable: name)
            guard url.user == nil, url.password == nil, url.query.isEmpty else {
                throw ConfigError(name, "must be plain base URLs like http://host:port, comma-separated")
            }
            var base = text
            while base.hasSuffix("/") { base.removeLast() }
            bases.append(base)
        }
        return bases
    }
}

/// How log lines are written: one JSON object per line, or plain text for people at a terminal.
package enum LogFormat: String, Sendable {
    case json
    case text
}

/// A secret string whose description never reveals it, so it can sit in structs that might be printed.
package struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let value: String

    package init(_ value: String) {
        self.value = value
    }

    package var description: String { "***" }
    package var debugDescription: String { "***" }
}

/// The 256-bit server master key, given as 64 hex digits or base64 of 32 bytes; never printed.
package struct MasterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    package let bytes: [UInt8]

    package init(parsing text: String) throws(ConfigError) {
        if text.utf8.count == 64, let bytes = Self.hexBytes(text) {
            self.bytes = bytes
        } else if let bytes = Base64.decode(text), bytes.count == 32 {
            self.bytes = bytes
        } else {
            throw ConfigError(
                "CLOUDSTRYPE_MASTER_KEY",
                "must be 32 bytes as 64 hex digits or base64 (generate one with: openssl rand -hex 32)"
            )
        }
        if Set(bytes).count == 1 || bytes == Array(0..<32) {
            throw ConfigError(
                "CLOUDSTRYPE_MASTER_KEY",
                "is an example value, not a key; generate one with: openssl rand -hex 32"
            )
        }
    }

    package var description: String { "***" }
    package var debugDescription: String { "***" }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var pending: UInt8?
        for character in text {
            guard let nibble = character.hexDigitValue else { return nil }
            if let high = pending {
                bytes.append(high << 4 | UInt8(nibble))
                pending = nil
            } else {
                pending = UInt8(nibble)
            }
        }
        return bytes
    }
}
