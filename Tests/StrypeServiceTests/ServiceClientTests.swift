import AsyncHTTPClient
import Hummingbird
import HummingbirdTesting
import NIOCore
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@Suite("Service-to-service client", .timeLimit(.minutes(1)))
struct ServiceClientTests {
    @Test("the current request id travels with outgoing calls")
    func propagatesRequestID() async throws {
        let deps = try TestDependencies()
        // The peer echoes the X-Request-Id it received.
        let peer = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort) {
            router in
            router.get("/whoami") { request, _ in request.headers[.requestID] ?? "none" }
        }
        try await peer.test(.live) { peerClient in
            let peerPort = try #require(peerClient.port)
            let client = ServiceClient(
                baseURL: "http://127.0.0.1:\(peerPort)",
                http: HTTPClient.shared,
                timeout: .seconds(5)
            )
            // A service whose handler calls the peer.
            let caller = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort) {
                router in
                router.get("/relay") { _, _ -> String in
                    let response = try await client.send(.GET, "/whoami")
                    return String(buffer: try await response.body.collect(upTo: 1024))
                }
            }
            try await caller.test(.router) { callerClient in
                try await callerClient.execute(uri: "/relay", method: .get, headers: [.requestID: "follow-me-7"]) {
                    response in
                    #expect(String(buffer: response.body) == "follow-me-7")
                }
            }
            // Outside any request a fresh id is sent.
            let response = try await client.send(.GET, "/whoami")
            let id = String(buffer: try await response.body.collect(upTo: 1024))
            #expect(id.count == 32 && id != "none")
        }
        await deps.shutdown()
    }

    @Test("a call past its deadline fails instead of hanging")
    func deadline() async throws {
        let deps = try TestDependencies()
        let peer = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort) {
            router in
            router.get("/stall") { _, _ -> String in
                try await Task.sleep(for: .seconds(2))
                return "late"
            }
        }
        try await peer.test(.live) { peerClient in
            let client = ServiceClient(baseURL: "http://127.0.0.1:\(peerClient.port!)", http: HTTPClient.shared)
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                _ = try await client.send(.GET, "/stall", timeout: .milliseconds(300))
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
        await deps.shutdown()
    }

    @Test("a call skips an instance that refuses connections")
    func failsOver() async throws {
        let deps = try TestDependencies()
        let peer = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort)
        try await peer.test(.live) { peerClient in
            let live = "http://127.0.0.1:\(try #require(peerClient.port))"
            // The services' own client: a refused connection fails at once instead of being retried.
            let http = HTTPClient.makeServiceClient()
            // Port 1 on loopback: nothing listens, the connection is refused at once.
            let client = ServiceClient(baseURLs: ["http://127.0.0.1:1", live], http: http)
            for _ in 0..<4 {
                let health = try await client.getJSON("/health", as: HealthResponse.self)
                #expect(health.service == "auth")
            }
            // With only the refusing instance the error reaches the caller.
            let dead = ServiceClient(baseURLs: ["http://127.0.0.1:1"], http: http)
            await #expect(throws: (any Error).self) { _ = try await dead.send(.GET, "/health") }
            try await http.shutdown()
        }
        await deps.shutdown()
    }

    @Test("getJSON decodes 2xx bodies and throws on error statuses")
    func getJSON() async throws {
        let deps = try TestDependencies()
        let peer = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort)
        try await peer.test(.live) { peerClient in
            let client = ServiceClient(baseURL: "http://127.0.0.1:\(peerClient.port!)", http: HTTPClient.shared)
            let health = try await client.getJSON("/health", as: HealthResponse.self)
            #expect(health.service == "auth")
            await #expect {
                _ = try await client.getJSON("/missing", as: HealthResponse.self)
            } throws: { error in
                (error as? ServiceCallError)?.status == 404
            }
        }
        await deps.shutdown()
    }
}
