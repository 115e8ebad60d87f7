import Hummingbird
import NIOCore
import PostgresNIO
import Prometheus
import StrypeCore

/// `GET /health`, `GET /ready` and `GET /metrics`, the same on every service.
package struct OperationalController: RouteController {
    package let service: ServiceName
    package let version: String
    package let checks: [ReadinessCheck]
    package let metrics: PrometheusCollectorRegistry

    package init(service: ServiceName, version: String, checks: [ReadinessCheck], metrics: PrometheusCollectorRegistry)
    {
        self.service = service
        self.version = version
        self.checks = checks
        self.metrics = metrics
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.router.get("/health", use: health).get("/ready", use: ready)
        routes.router.group().add(middleware: InternalOnlyMiddleware()).get("/metrics", use: exposition)
    }

    /// The process is up and serving.
    @Sendable func health(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        APIError.jsonResponse(status: .ok, body: HealthResponse(service: service.rawValue, version: version))
    }

    /// 200 when every dependency answers within its timeout; 503 naming each failing one otherwise.
    @Sendable func ready(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in checks {
                group.addTask { (check.name, await check.run()) }
            }
            var results: [String: String?] = [:]
            for await (name, failure) in group { results[name] = failure }
            return results
        }
        let failures = results.compactMapValues { $0 }.sorted { $0.key < $1.key }
        let states = results.mapValues { $0 ?? "ok" }
        guard failures.isEmpty else {
            let message = failures.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            context.logger.warning("not ready", metadata: ["failing": "\(message)"])
            return APIError.jsonResponse(
                status: .serviceUnavailable,
                body: ReadinessResponse(
                    status: "unavailable",
                    checks: states,
                    error: .init(code: "not_ready", message: message)
                )
            )
        }
        return APIError.jsonResponse(status: .ok, body: ReadinessResponse(status: "ready", checks: states))
    }

    /// Prometheus text exposition of this process's metrics.
    @Sendable func exposition(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer))
        )
    }
}

/// One dependency probe of `/ready`: nil when healthy, else the reason.
package struct ReadinessCheck: Sendable {
    package let name: String
    private let probe: @Sendable () async throws -> Void
    private let timeout: Duration

    package init(name: String, timeout: Duration = .seconds(2), probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.timeout = timeout
        self.probe = probe
    }

    /// Runs the probe under its timeout.
    package func run() async -> String? {
        do {
            try await withDeadline(timeout, probe)
            return nil
        } catch is DeadlineExceeded {
            return "no answer within \(timeout)"
        } catch let error as PSQLError {
            return "unreachable (\(error.code))"
        } catch {
            return "\(error)"
        }
    }

    /// Postgres answers `SELECT 1`.
    package static func postgres(_ client: PostgresClient) -> ReadinessCheck {
        ReadinessCheck(name: "postgres") {
            let rows = try await client.query("SELECT 1")
            for try await _ in rows {}
        }
    }

    /// Redis answers `PING`.
    package static func redis(_ client: RedisClient) -> ReadinessCheck {
        ReadinessCheck(name: "redis") {
            guard try await client.ping() else { throw RedisError.unexpectedReply("PING") }
        }
    }
}

/// An operation took longer than its deadline.
package struct DeadlineExceeded: Error {}

/// Runs `body`, cancelling it and throwing `DeadlineExceeded` when it takes longer than `timeout`.
package func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T)
    async throws -> T
{
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
