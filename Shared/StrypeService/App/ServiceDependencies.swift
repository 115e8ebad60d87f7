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
    /// Sessions revoked recently, kept current by `RevocationFollower`; consulted on every token check.
    package let revocations: SessionRevocations

    package init(
        config: ServiceConfig,
        postgres: PostgresClient,
        redis: RedisClient,
        http: HTTPClient,
        metrics: PrometheusCollectorRegistry,
        logger: Logger,
        failClosedRevocations: Bool = false
    ) {
        self.config = config
        self.postgres = postgres
        self.redis = redis
        self.http = http
        self.metrics = metrics
        self.logger = logger
        self.revocations = SessionRevocations(failClosed: failClosedRevocations)
    }

    /// The environment the configuration was read from, for a service's own settings.
    package var environment: EnvironmentReader { config.environment }

    /// A verifier of access tokens against auth's JWKS (or `keys`, for auth itself).
    package func makeVerifier(keys: (any VerificationKeySource)? = nil) -> AccessTokenVerifier {
        AccessTokenVerifier(keys: keys ?? RemoteJWKS(client: client(for: .auth)), revocations: revocations)
    }

    /// The middleware that admits callers with a valid access token of one of `scopes`.
    package func authentication(
        _ verifier: AccessTokenVerifier,
        scopes: Set<String> = [Scope.user, Scope.service]
    ) -> AuthenticationMiddleware {
        AuthenticationMiddleware(verifier: verifier, allowedScopes: scopes)
    }

    /// A client for a peer this service declared in its definition.
    package func client(for peer: ServiceName) -> ServiceClient {
        guard let bases = config.peers[peer] else {
            preconditionFailure("\(config.service) did not declare \(peer) as a peer")
        }
        return ServiceClient(baseURLs: bases, http: http)
    }

    /// A subscriber for Redis pub/sub on its own connection.
    package func subscriber() -> RedisSubscriber {
        RedisSubscriber(url: config.redis, logger: logger)
    }
}
