import Foundation
import Logging
import PostgresNIO
import StrypeService
import Testing

/// The real servers `Deploy/test` started: `DATABASE_URL` and `REDIS_URL` must be set.
enum TestEnvironment {
    static var databaseURL: ConnectionURL {
        get throws {
            let text = try #require(
                ProcessInfo.processInfo.environment["DATABASE_URL"],
                "DATABASE_URL is not set: run the tests through Deploy/test"
            )
            return try ConnectionURL(text, schemes: ["postgres"], variable: "DATABASE_URL")
        }
    }

    static var redisURL: ConnectionURL {
        get throws {
            let text = try #require(
                ProcessInfo.processInfo.environment["REDIS_URL"],
                "REDIS_URL is not set: run the tests through Deploy/test"
            )
            return try ConnectionURL(text, schemes: ["redis"], variable: "REDIS_URL")
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    /// A schema name no other test uses.
    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Runs `body` with a running Postgres client for the test database.
    static func withPostgres<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = try PostgresFactory.makeClient(url: try databaseURL, poolSize: 4, logger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        return try await body(client)
    }
}
