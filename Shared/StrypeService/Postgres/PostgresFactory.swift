import Logging
import NIOSSL
import PostgresNIO

/// Builds a `PostgresClient` from `DATABASE_URL`.
package enum PostgresFactory {
    /// A client for `url`; `sslmode=require|prefer` turns TLS on. Run it with `client.run()` in the service group.
    package static func makeClient(url: ConnectionURL, poolSize: Int, logger: Logger) throws -> PostgresClient {
        let tls: PostgresClient.Configuration.TLS
        switch url.query["sslmode"] ?? "disable" {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port ?? 5432,
            username: url.user ?? "postgres",
            password: url.password,
            database: url.path.isEmpty ? nil : url.path,
            tls: tls
        )
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(30))
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }
}
