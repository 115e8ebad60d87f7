import Logging
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle

/// The Redis access of a service: a bounded pool of hiredis connections whose blocking calls run on a thread pool
/// of their own, never on an event loop. Broken connections are dropped and the next call connects anew, so a Redis
/// restart heals by itself. A command is never re-sent automatically, as it may have run.
package final class RedisClient: Service, Sendable {
    package let url: ConnectionURL
    private let maxConnections: Int
    private let timeout: Duration
    private let threadPool: NIOThreadPool
    private let state = NIOLockedValueBox(PoolState())
    private let logger: Logger

    private struct PoolState {
        var idle: [RedisConnection] = []
        var total = 0
        var waiters: [CheckedContinuation<RedisConnection?, any Error>] = []
        var closed = false
    }

    package init(url: ConnectionURL, maxConnections: Int = 8, timeout: Duration = .seconds(10), logger: Logger) {
        self.url = url
        self.maxConnections = maxConnections
        self.timeout = timeout
        self.logger = logger
        // One thread more than connections, so the subscriber's connect never waits behind pool work.
        self.threadPool = NIOThreadPool(numberOfThreads: maxConnections + 1)
        threadPool.start()
    }

    /// Keeps the pool open until graceful shutdown, then closes every connection.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Closes idle connections, fails waiters and stops the threads; later calls throw `RedisError.shutdown`.
    package func shutdown() async {
        let waiters = state.withLockedValue { state in
            state.closed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume(throwing: RedisError.shutdown) }
        try? await threadPool.shutdownGracefully()
    }

    /// Runs one command and returns its reply; a Redis error reply is thrown as `RedisError.server`.
    @discardableResult
    package func send(_ arguments: [String]) async throws -> RedisValue {
        try await send(bytes: arguments.map { Array($0.utf8) })
    }

    /// Runs one command with binary arguments.
    @discardableResult
    package func send(bytes arguments: [[UInt8]]) async throws -> RedisValue {
        let connection = try await acquire()
        let reply: RedisValue
        do {
            reply = try await threadPool.runIfActive { try connection.command(arguments) }
        } catch {
            release(connection)
            throw (error as? RedisError) ?? RedisError.connection("\(error)")
        }
        release(connection)
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    /// Opens a dedicated connection on the client's threads (for the subscriber, which holds one for itself).
    package func makeDedicatedConnection() async throws -> RedisConnection {
        let url = self.url
        let timeout = self.timeout
        return try await threadPool.runIfActive { try RedisConnection(url: url, timeout: timeout) }
    }

    /// Runs blocking work on the Redis threads.
    package func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    private func acquire() async throws -> RedisConnection {
        enum Step {
            case use(RedisConnection)
            case create
            case wait
        }
        while true {
            let step: Step = try state.withLockedValue { state in
                if state.closed { throw RedisError.shutdown }
                if let connection = state.idle.popLast() { return .use(connection) }
                if state.total < maxConnections {
                    state.total += 1
                    return .create
                }
                return .wait
            }
            switch step {
            case .use(let connection):
                if connection.isBroken || connection.peerClosed {
                    discard()
                    continue
                }
                return connection
            case .create:
                do {
                    return try await makeDedicatedConnection()
                } catch {
                    discard()
                    throw (error as? RedisError) ?? RedisError.connection("\(error)")
                }
            case .wait:
                let handed: RedisConnection? = try await withCheckedThrowingContinuation { continuation in
                    let closed = state.withLockedValue { state in
                        if state.closed { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if closed { continuation.resume(throwing: RedisError.shutdown) }
                }
                if let handed { return handed }
            }
        }
    }

    /// Returns a connection to the pool, or drops it when broken; a waiter gets it (or the right to connect).
    private func release(_ connection: RedisConnection) {
        if connection.isBroken {
            discard()
            return
        }
        let waiter: CheckedContinuation<RedisConnection?, any Error>? = state.withLockedValue { state in
            if state.closed {
                state.total -= 1
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }

    /// Forgets a connection; a waiter is woken to connect in its place.
    private func discard() {
        let waiter: CheckedContinuation<RedisConnection?, any Error>? = state.withLockedValue { state in
            state.total -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
        }
        waiter?.resume(returning: nil)
    }
}
