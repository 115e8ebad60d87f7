import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

extension ErrorBody: ResponseEncodable {}

/// A failure whose text must never reach a client.
private struct LeakyError: Error, CustomStringConvertible {
    var description: String { "connection string postgres://admin:hunter2@db" }
}

@Suite("Shared HTTP behaviour of every service")
struct HTTPBehaviourTests {
    private func withApp(
        logger: LogCapture? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let deps = try TestDependencies(logger: logger?.logger ?? TestEnvironment.logger)
        let app = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort) { router in
            router.get("/boom") { _, _ -> String in throw LeakyError() }
            router.get("/peer-dropped") { _, _ -> String in throw HTTPClientError.remoteConnectionClosed }
            router.get("/peer-slow") { _, _ -> String in throw HTTPClientError.deadlineExceeded }
            router.get("/peer-unavailable") { _, _ -> String in throw ServiceCallError(status: 503, body: "{}") }
            router.get("/peer-failed") { _, _ -> String in throw ServiceCallError(status: 500, body: "{}") }
            router.get("/redis-down") { _, _ -> String in throw RedisError.connection("refused") }
            router.get("/teapot") { _, _ -> String in
                throw APIError(.init(code: 418), code: "teapot", message: "short and stout")
            }
            router.post("/echo") { request, context -> ErrorBody in
                try await request.decode(as: ErrorBody.self, context: context)
            }
        }
        do {
            try await app.test(.router, body)
        } catch {
            await deps.shutdown()
            throw error
        }
        await deps.shutdown()
    }

    private func errorBody(_ response: TestResponse) throws -> ErrorBody {
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        return try WireJSON.decode(ErrorBody.self, from: Data(buffer: response.body))
    }

    @Test("GET /health names the service")
    func health() async throws {
        try await withApp { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try WireJSON.decode(HealthResponse.self, from: Data(buffer: response.body))
                #expect(body == HealthResponse(service: "auth", version: StrypeVersion.current))
            }
        }
    }

    @Test("GET /ready is 200 with Postgres and Redis up")
    func ready() async throws {
        try await withApp { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                let body = try WireJSON.decode(ReadinessResponse.self, from: Data(buffer: response.body))
                #expect(body.checks == ["postgres": "ok", "redis": "ok"])
            }
        }
    }

    @Test("an unknown route is a JSON 404")
    func unknownRoute() async throws {
        try await withApp { client in
            try await client.execute(uri: "/no/such/route", method: .get) { response in
                #expect(response.status == .notFound)
                let body = try errorBody(response)
                #expect(body.error.code == "not_found")
                #expect(body.error.message.contains("/no/such/route"))
            }
        }
    }

    @Test("an unexpected error is a 500 without internals, logged with the request id")
    func unexpectedError() async throws {
        let capture = LogCapture()
        try await withApp(logger: capture) { client in
            try await client.execute(uri: "/boom", method: .get, headers: [.requestID: "trace-me-42"]) { response in
                #expect(response.status == .internalServerError)
                let body = try errorBody(response)
                #expect(body == ErrorBody(code: "internal_error", message: "internal server error"))
                #expect(!String(buffer: response.body).contains("hunter2"))
                #expect(response.headers[.requestID] == "trace-me-42")
            }
        }
        let errorLine = try #require(capture.text.split(separator: "\n").first { $0.contains("unexpected error") })
        #expect(errorLine.contains("\"request_id\":\"trace-me-42\""))
        #expect(errorLine.contains("LeakyError"))
    }

    @Test(
        "a dependency's failure is a retryable 502, 503 or 504, not a 500",
        arguments: [
            ("/peer-dropped", 502), ("/peer-slow", 504), ("/peer-unavailable", 503), ("/peer-failed", 502),
            ("/redis-down", 503),
        ]
    )
    func dependencyFailure(route: String, status: Int) async throws {
        try await withApp { client in
            try await client.execute(uri: route, method: .get) { response in
                #expect(response.status.code == status)
                let body = try errorBody(response)
                #expect(body.error.code == APIError.code(for: response.status))
                #expect(body.error.message.contains("retry"))
            }
        }
    }

    @Test("an APIError keeps its status, code and message")
    func apiError() async throws {
        try await withApp { client in
            try await client.execute(uri: "/teapot", method: .get) { response in
                #expect(response.status.code == 418)
                let body = try errorBody(response)
                #expect(body == ErrorBody(code: "teapot", message: "short and stout"))
            }
        }
    }

    @Test("malformed JSON is a JSON 400")
    func malformedJSON() async throws {
        try await withApp { client in
            try await client.execute(uri: "/echo", method: .post, body: ByteBuffer(string: "{\"error\":")) { response in
                #expect(response.status == .badRequest)
                let body = try errorBody(response)
                #expect(body.error.code == "bad_request")
            }
        }
    }

    @Test("the request id is echoed when plain, replaced when not, generated when absent")
    func requestIDs() async throws {
        try await withApp { client in
            try await client.execute(uri: "/health", method: .get, headers: [.requestID: "abc.DEF_123-x"]) { response in
                #expect(response.headers[.requestID] == "abc.DEF_123-x")
            }
            try await client.execute(uri: "/health", method: .get, headers: [.requestID: "bad id\u{7}"]) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id != "bad id\u{7}" && id.count == 32)
            }
            try await client.execute(uri: "/health", method: .get) { response in
                let id = try #require(response.headers[.requestID])
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
            }
        }
    }

    @Test("GET /metrics counts requests by route template and status, with latency histograms")
    func metrics() async throws {
        try await withApp { client in
            for _ in 0..<3 { try await client.execute(uri: "/health", method: .get) }
            try await client.execute(uri: "/teapot", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 3"))
                #expect(text.contains("http_requests_total{method=\"GET\",route=\"/teapot\",status=\"418\"} 1"))
                #expect(text.contains("# TYPE http_request_duration_seconds histogram"))
                #expect(
                    text.contains(
                        "http_request_duration_seconds_count{method=\"GET\",route=\"/health\",status=\"200\"} 3"
                    )
                )
            }
        }
    }
}
