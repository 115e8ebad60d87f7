import Hummingbird
import Logging
import Prometheus

/// Counts requests and records their latency by route template, method and status; also writes the access log.
package struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let registry: PrometheusCollectorRegistry
    private static var buckets: [Duration] {
        [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60),
        ]
    }

    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        // The route template, never the concrete path: bounded label values, and no tokens or names in metrics.
        let route = context.endpointPath ?? "unmatched"
        let labels = [("method", request.method.rawValue), ("route", route), ("status", String(response.status.code))]
        registry.makeCounter(
            descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests handled"),
            labels: labels
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "http_request_duration",
                unitName: "seconds",
                helpText: "Time to produce the response head"
            ),
            labels: labels,
            buckets: Self.buckets
        ).record(elapsed)
        let level: Logger.Level = route == "/health" || route == "/ready" || route == "/metrics" ? .debug : .info
        context.logger.log(
            level: level,
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.route": .string(route),
                "http.status": .stringConvertible(response.status.code),
                "duration_ms": .stringConvertible((elapsed.fractionalMilliseconds * 1000).rounded() / 1000),
            ]
        )
        return response
    }
}
