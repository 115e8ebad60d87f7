import Foundation
import HummingbirdTesting
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@Suite("/ready follows its dependencies", .timeLimit(.minutes(1)))
struct ReadinessTests {
    @Test("503 naming Redis while it is down, 200 again once it is back, with no restart")
    func redisOutage() async throws {
        let server = try await RedisServerProcess()
        let deps = try TestDependencies(redis: server.url)
        let app = buildApplication(testDefinition, dependencies: deps.dependencies, listener: .internalPort)
        try await app.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
            server.stop()
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try WireJSON.decode(ReadinessResponse.self, from: Data(buffer: response.body))
                #expect(body.checks["postgres"] == "ok")
                #expect(body.checks["redis"] != "ok")
                #expect(body.error?.code == "not_ready")
                #expect(body.error?.message.hasPrefix("redis: ") == true)
            }
            try await server.start()
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        await deps.shutdown()
    }

    @Test("a dependency that hangs is reported within the probe timeout")
    func hangingDependency() async throws {
        let started = ContinuousClock.now
        let failure = await ReadinessCheck(name: "slow", timeout: .milliseconds(200)) {
            try await Task.sleep(for: .seconds(30))
        }.run()
        #expect(failure?.contains("no answer within") == true)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("an unreachable Postgres is named")
    func postgresDown() async throws {
        let client = try PostgresFactory.makeClient(
            url: try ConnectionURL("postgres://nobody@127.0.0.1:1/x", schemes: ["postgres"], variable: "DATABASE_URL"),
            poolSize: 1,
            logger: TestEnvironment.logger
        )
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        let failure = await ReadinessCheck.postgres(client).run()
        #expect(failure != nil)
    }
}
