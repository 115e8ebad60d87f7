import AsyncHTTPClient
import Logging
import PostgresNIO
import Prometheus
import StrypeCore

/// The shared clients a service's routes use: built once per process from its configuration.
package struct ServiceDependencies: Sendable {
    package let config: ServiceConfig
    package let postgres: PostgresClient
    package let redis: RedisClient
    package let http: HTTPClient
    package let metrics: PrometheusCollectorRegistry
    package let logger: Logger

    package init(
        config: ServiceConfig,
        postgres: PostgresClient,
        redis: RedisClient,
        http: HTTPClient,
        metrics: PrometheusCollectorRegistry,
        logger: Logger
    ) {
        self.config = config
        self.postgres = postgres
        self.redis = redis
        self.http = http
        self.metrics = metrics
        self.logger = logger
    }

    /// A client for a peer this service declared in its definition.
    package func client(for peer: ServiceName) -> ServiceClient {
        guard let base = config.peers[peer] else {
            preconditionFailure("\(config.service) did not declare \(peer) as a peer")
        }
        return ServiceClient(baseURL: base, http: http)
    }

    /// A subscriber for Redis pub/sub on its own connection.
    package func subscriber() -> RedisSubscriber {
        RedisSubscriber(url: config.redis, logger: logger)
    }
}
