import Foundation
import Logging
import PostgresNIO
import StrypeService

/// The real servers `Deploy/test` started: `DATABASE_URL` and `REDIS_URL` must be set.
package enum TestEnvironment {
    package static var databaseURL: ConnectionURL {
        get throws {
            let text = try variable("DATABASE_URL")
            return try ConnectionURL(text, schemes: ["postgres"], variable: "DATABASE_URL")
        }
    }

    package static var redisURL: ConnectionURL {
        get throws {
            let text = try variable("REDIS_URL")
            return try ConnectionURL(text, schemes: ["redis"], variable: "REDIS_URL")
        }
    }

    /// The moto S3 server Deploy/test starts, with signature checking on.
    package static var s3: (endpoint: String, region: String, bucket: String, accessKeyID: String, secret: String) {
        get throws {
            (
                try variable("S3_TEST_ENDPOINT"), try variable("S3_TEST_REGION"), try variable("S3_TEST_BUCKET"),
                try variable("S3_TEST_ACCESS_KEY_ID"), try variable("S3_TEST_SECRET_ACCESS_KEY")
            )
        }
    }

    /// A variable Deploy/test sets; its absence fails the test with a message saying so.
    private static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw MissingTestServer(variable: name)
        }
        return value
    }

    package static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    /// A schema name no other test uses.
    package static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Runs `body` with a running Postgres client for the test database.
    package static func withPostgres<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let client = try PostgresFactory.makeClient(url: try databaseURL, poolSize: 4, logger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        return try await body(client)
    }
}

/// The tests were started without the servers Deploy/test provides.
package struct MissingTestServer: Error, CustomStringConvertible {
    package let variable: String

    package var description: String { "\(variable) is not set: run the tests through Deploy/test" }
}
