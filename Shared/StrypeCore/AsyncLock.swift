import Synchronization

/// A first-come, first-served lock held across suspension points, for up to `permits` holders at once: with one,
/// one writer at a time on a connection (the fragments of two messages never interleave); with more, a bound on
/// work in flight (chunk's stores, so memory stays bounded however many uploads arrive).
public final class AsyncLock: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(permits: Int = 1) {
        precondition(permits > 0)
        state = Mutex(State(available: permits))
    }

    /// Runs `body` holding a permit.
    public func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                guard state.available > 0 else {
                    state.waiters.append(continuation)
                    return false
                }
                state.available -= 1
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            // The permit passes straight to the next waiter.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
