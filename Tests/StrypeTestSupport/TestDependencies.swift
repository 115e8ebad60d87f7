import AsyncHTTPClient
import Logging
import PostgresNIO
import Prometheus
import StrypeCore
import StrypeService

/// Real clients wired as a service wires them, for in-process application tests.
package struct TestDependencies {
    package let dependencies: ServiceDependencies
    private let runner: Task<Void, Never>

    /// Clients for the test Postgres and the given Redis (the shared test Redis when nil); the server takes any port.
    package init(
        service: ServiceName = .auth,
        peers: [ServiceName] = [],
        redis: ConnectionURL? = nil,
        logger: Logger = TestEnvironment.logger
    ) throws {
        let database = try TestEnvironment.databaseURL
        let redisURL = try redis ?? TestEnvironment.redisURL
        // Peers point at a closed port: tests that need a peer give it another way (e.g. a token issuer).
        var environment = [
            "CLOUDSTRYPE_MASTER_KEY": "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b",
            "DATABASE_URL": database.urlString,
            "REDIS_URL": redisURL.urlString,
            "SERVICE_SECRET": "test-service-secret-0123456789-abcdef",
            "HOST": "127.0.0.1",
        ]
        for peer in peers { environment[peer.urlVariable] = "http://127.0.0.1:9" }
        var config = try ServiceConfig.load(
            service: service,
            peers: peers,
            needsMasterKey: true,
            environment: environment
        )
        config.port = 0
        config.internalPort = 0
        let postgres = try PostgresFactory.makeClient(url: database, poolSize: 2, logger: TestEnvironment.logger)
        runner = Task { await postgres.run() }
        dependencies = ServiceDependencies(
            config: config,
            postgres: postgres,
            redis: RedisClient(url: redisURL, maxConnections: 2, timeout: .seconds(2), logger: TestEnvironment.logger),
            http: HTTPClient.makeServiceClient(),
            metrics: PrometheusCollectorRegistry(),
            logger: logger
        )
    }

    package func shutdown() async {
        await dependencies.redis.shutdown()
        try? await dependencies.http.shutdown()
        runner.cancel()
    }
}

extension ConnectionURL {
    /// The URL with its password, for building a test environment.
    package var urlString: String {
        var text = "\(scheme)://"
        if let user { text += user }
        if let password { text += ":\(password)" }
        if user != nil || password != nil { text += "@" }
        text += "\(host):\(port ?? 0)"
        if !path.isEmpty { text += "/\(path)" }
        return text
    }
}

/// A definition with no peers and no migrations, for tests of the shared runtime.
package let testDefinition = ServiceDefinition(name: .auth, migrations: [])
