import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import StrypeCore

/// The life of a service process: validate configuration, connect, migrate, serve, and drain on SIGTERM/SIGINT.
package enum ServiceMain {
    /// Exit status for a bad configuration (`EX_CONFIG`).
    package static let configurationExitCode: Int32 = 78

    /// Runs `definition` until a signal stops it; exits the process on a configuration or startup failure.
    package static func run(
        _ definition: ServiceDefinition,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async {
        if definition.keepsLargeBuffers {
            MemoryTuning.reuseLargeBuffers()
        } else {
            MemoryTuning.returnLargeBuffers()
        }
        let config: ServiceConfig
        let assembly: ServiceDefinition.Assembly
        do {
            config = try ServiceConfig.load(
                service: definition.name,
                peers: definition.peers,
                needsMasterKey: definition.needsMasterKey,
                environment: environment
            )
            assembly = try definition.prepare(config)
        } catch {
            FileHandle.standardError.write(Data("\(definition.name.rawValue): configuration error: \(error)\n".utf8))
            exit(configurationExitCode)
        }
        LoggingSystem.bootstrap { label in
            StructuredLogHandler(
                label: label,
                service: definition.name.rawValue,
                level: config.logLevel,
                format: config.logFormat
            )
        }
        let logger = Logger(label: "cloudstrype.\(definition.name.rawValue)")
        do {
            try await serve(definition, assembly: assembly, config: config, logger: logger)
            logger.info("stopped")
        } catch {
            logger.critical("service failed", metadata: ["error": "\(error)"])
            exit(1)
        }
    }

    /// Connects the clients, migrates under the startup deadline, and runs the server with graceful shutdown.
    package static func serve(
        _ definition: ServiceDefinition,
        assembly: ServiceDefinition.Assembly,
        config: ServiceConfig,
        logger: Logger
    ) async throws {
        let postgres = try PostgresFactory.makeClient(
            url: config.database,
            poolSize: config.databasePoolSize,
            logger: logger
        )
        let redis = RedisClient(url: config.redis, maxConnections: config.redisPoolSize, logger: logger)
        let http = HTTPClient.makeServiceClient()
        let dependencies = ServiceDependencies(
            config: config,
            postgres: postgres,
            redis: redis,
            http: http,
            metrics: PrometheusCollectorRegistry(),
            logger: logger,
            // A process that could not load the revoked sessions (Redis down at start, or a subscription lost and not
            // reloaded) refuses session tokens with 503 rather than trusting an empty list.
            failClosedRevocations: true
        )
        let applications = buildApplications(definition, assembly: assembly, dependencies: dependencies)
        var app = applications.publicApp
        let migrator = Migrator(
            client: postgres,
            schema: definition.name.schema,
            migrations: definition.migrations,
            logger: logger
        )
        app.beforeServerStarts {
            try await migrateWithRetry(migrator, until: .now + config.startupTimeout, logger: logger)
            logger.info(
                "listening",
                metadata: [
                    "address": "\(config.host):\(config.port)", "internal_port": "\(config.internalPort)",
                    "database": "\(config.database)",
                    "redis": "\(config.redis)", "version": "\(definition.version)",
                ]
            )
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: postgres),
                    .init(service: redis),
                    .init(service: HTTPClientService(client: http)),
                    .init(service: app),
                    .init(service: applications.internalApp),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger
            ).withShutdownLimits(graceful: config.shutdownTimeout, cancellation: .seconds(5))
        )
        try await group.run()
    }

    /// Migrates, retrying while Postgres is not reachable yet (containers start in any order).
    static func migrateWithRetry(_ migrator: Migrator, until deadline: ContinuousClock.Instant, logger: Logger)
        async throws
    {
        var delay: Duration = .milliseconds(250)
        while true {
            do {
                let applied = try await migrator.run()
                logger.info("migrations done", metadata: ["schema": "\(migrator.schema)", "applied": "\(applied)"])
                return
            } catch let error as MigrationError {
                throw error
            } catch {
                guard ContinuousClock.now + delay < deadline else { throw error }
                logger.warning("database not ready; retrying", metadata: ["error": "\(String(reflecting: error))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}

extension ServiceGroupConfiguration {
    /// Bounds graceful shutdown (draining in-flight requests) and the cancellation that follows it.
    func withShutdownLimits(graceful: Duration, cancellation: Duration) -> Self {
        var copy = self
        copy.maximumGracefulShutdownDuration = graceful
        copy.maximumCancellationDuration = cancellation
        return copy
    }
}

/// Shuts the service's HTTP client down once everything after it in the group has stopped.
package struct HTTPClientService: Service {
    package let client: HTTPClient

    package init(client: HTTPClient) {
        self.client = client
    }

    package func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
