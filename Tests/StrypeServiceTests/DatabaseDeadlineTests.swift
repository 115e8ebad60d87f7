import StrypeService
import Testing

@Suite("Database work with a deadline")
struct DatabaseDeadlineTests {
    @Test("work that ends in time gives its result or its error")
    func inTime() async throws {
        #expect(try await DatabaseDeadline.run(within: .seconds(5)) { 42 } == 42)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await DatabaseDeadline.run(within: .seconds(5)) { throw Failure() } }
    }

    @Test("work that never ends is a 503 database_unavailable once the deadline passes")
    func stuck() async throws {
        let started = ContinuousClock.now
        do {
            _ = try await DatabaseDeadline.run(within: .milliseconds(200)) { () async throws -> Int in
                // Like a query on a dead connection: it ignores cancellation and never returns.
                await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
                return 0
            }
            Issue.record("a stuck body returned")
        } catch let error as APIError {
            #expect(error.status == .serviceUnavailable && error.code == "database_unavailable")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
