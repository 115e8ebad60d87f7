import Logging
import NIOPosix

/// What a subscription delivers: a message, or word that the (re)subscription is active, after which messages
/// flow again. Pub/sub drops what is sent while disconnected, so a consumer that must not miss state re-reads it
/// from Postgres on `.subscribed`.
package enum RedisSubscriptionEvent: Sendable, Equatable {
    case subscribed
    case message(channel: String, payload: String)
}

/// Subscribes to Redis channels on a connection and thread of its own, and keeps the subscription alive across
/// Redis restarts: on any failure it reconnects with backoff and subscribes again.
package struct RedisSubscriber: Sendable {
    private let url: ConnectionURL
    private let logger: Logger
    private let connectTimeout: Duration
    private let keepAliveInterval: Duration

    package init(
        url: ConnectionURL,
        logger: Logger,
        connectTimeout: Duration = .seconds(5),
        keepAliveInterval: Duration = .seconds(15)
    ) {
        self.url = url
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.keepAliveInterval = keepAliveInterval
    }

    /// Events on `channels` until the consumer stops iterating.
    package func subscribe(to channels: [String]) -> AsyncStream<RedisSubscriptionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RedisSubscriptionEvent.self,
            bufferingPolicy: .bufferingNewest(10_000)
        )
        let task = Task {
            let thread = NIOThreadPool(numberOfThreads: 1)
            thread.start()
            var backoff: Duration = .milliseconds(100)
            while !Task.isCancelled {
                do {
                    try await listen(channels, on: thread, continuation: continuation) { backoff = .milliseconds(100) }
                } catch {
                    if Task.isCancelled { break }
                    logger.warning(
                        "redis subscription lost; reconnecting",
                        metadata: [
                            "error": "\(error)",
                            "retry_in_ms": "\(backoff.wholeMilliseconds)",
                        ]
                    )
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(5))
                }
            }
            try? await thread.shutdownGracefully()
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func listen(
        _ channels: [String],
        on thread: NIOThreadPool,
        continuation: AsyncStream<RedisSubscriptionEvent>.Continuation,
        onSubscribed: () -> Void
    ) async throws {
        let url = self.url
        let timeout = connectTimeout
        let connection = try await thread.runIfActive { try RedisConnection(url: url, timeout: timeout) }
        try await thread.runIfActive { try connection.append(["SUBSCRIBE"] + channels) }
        var pending = Set(channels)
        let clock = ContinuousClock()
        var lastHeard = clock.now
        var lastPing = clock.now
        while !Task.isCancelled {
            let reply = try await thread.runIfActive { try connection.nextReply(timeoutMilliseconds: 250) }
            let now = clock.now
            guard let reply else {
                if now - lastHeard > keepAliveInterval * 3 {
                    throw RedisError.connection("no answer to keep-alive pings")
                }
                if now - lastPing > keepAliveInterval {
                    lastPing = now
                    try await thread.runIfActive { try connection.append(["PING"]) }
                }
                continue
            }
            lastHeard = now
            guard let parts = reply.array, let kind = parts.first?.string else {
                if case .error(let message) = reply { throw RedisError.server(message) }
                continue
            }
            switch kind.lowercased() {
            case "subscribe":
                if parts.count > 1, let channel = parts[1].string { pending.remove(channel) }
                if pending.isEmpty {
                    onSubscribed()
                    logger.debug(
                        "redis subscription active",
                        metadata: ["channels": "\(channels.joined(separator: ","))"]
                    )
                    continuation.yield(.subscribed)
                }
            case "message":
                if parts.count == 3, let channel = parts[1].string, let payload = parts[2].string {
                    continuation.yield(.message(channel: channel, payload: payload))
                }
            default:
                continue
            }
        }
    }
}
