import AsyncHTTPClient
import Hummingbird
import NIOCore
import ServiceLifecycle
import StrypeService
import StrypeTestSupport
import Testing

@Suite("Graceful shutdown", .timeLimit(.minutes(1)))
struct GracefulShutdownTests {
    @Test("a request in flight when shutdown starts still completes; new connections are refused after")
    func inFlightRequestCompletes() async throws {
        let deps = try TestDependencies()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = buildApplication(
            testDefinition,
            dependencies: deps.dependencies,
            listener: .internalPort,
            extraRoutes: { router in
                router.get("/slow") { _, _ -> String in
                    try await Task.sleep(for: .milliseconds(1500))
                    return "finished"
                }
            },
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
            }
        )
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], logger: TestEnvironment.logger)
        )
        let running = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())

        let request = Task {
            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow"),
                timeout: .seconds(10)
            )
            return (response.status.code, String(buffer: try await response.body.collect(upTo: 1024)))
        }
        try await Task.sleep(for: .milliseconds(300))
        let shutdownStarted = ContinuousClock.now
        await group.triggerGracefulShutdown()

        let (status, body) = try await request.value
        #expect(status == 200)
        #expect(body == "finished")
        try await running.value
        #expect(ContinuousClock.now - shutdownStarted >= .milliseconds(900))

        await #expect(throws: (any Error).self) {
            _ = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"),
                timeout: .seconds(2)
            )
        }
        await deps.shutdown()
    }
}
