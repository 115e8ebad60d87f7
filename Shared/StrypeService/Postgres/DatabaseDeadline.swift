import Synchronization

/// Database work given up after a deadline, with a 503 `database_unavailable`: a query on a connection that dies
/// while the query is in flight (PostgreSQL killed) can wait for ever in postgres-nio, and every request must get an
/// answer. The work itself is cancelled and left to end on its own.
package enum DatabaseDeadline {
    /// Far beyond any query of a request, and within what a client waits.
    package static let standard: Duration = .seconds(20)

    /// `body`'s result, or the 503 when it takes longer than `limit`.
    package static func run<T: Sendable>(
        within limit: Duration = standard,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let gate = Gate<T>()
        return try await withCheckedThrowingContinuation { continuation in
            gate.waiting.withLock { $0 = continuation }
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                gate.timer.withLock { $0?.cancel() }
                gate.waiting.withLock { $0.take() }?.resume(with: result)
            }
            let expiry = Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled, let late = gate.waiting.withLock({ $0.take() }) else { return }
                work.cancel()
                late.resume(throwing: unavailable)
            }
            gate.timer.withLock { $0 = expiry }
        }
    }

    /// Whoever finishes first, the work or its timer, answers the waiting caller; the other finds nothing to do.
    private final class Gate<T: Sendable>: Sendable {
        let waiting = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let timer = Mutex<Task<Void, Never>?>(nil)
    }

    /// The answer when the database did not answer in time.
    package static let unavailable = APIError(
        .serviceUnavailable,
        code: "database_unavailable",
        message: "the database did not answer in time; try again shortly"
    )
}
