import Foundation
import Logging
import NIOConcurrencyHelpers

/// The sessions revoked in the last access-token lifetime, kept in memory by every service so verifying a token
/// needs no round trip. Auth records each revocation in Redis (a sorted set scored by when it stops mattering) and
/// publishes it; this cache loads the set at start and after every resubscription, and applies messages as they come.
package final class SessionRevocations: Sendable {
    /// The Redis sorted set of revoked session ids, scored by the Unix time after which no token of theirs lives.
    package static let setKey = "auth:revoked-sessions"
    /// The pub/sub channel auth announces revocations on, one session id per message.
    package static let channel = "auth:sessions-revoked"

    private let revoked = NIOLockedValueBox<[String: Date]>([:])
    private let current: NIOLockedValueBox<Bool>
    /// Whether tokens with a session are refused (503) until the set has been loaded from Redis, rather than checked
    /// against an empty set: a service started while Redis is down would otherwise accept every session revoked in
    /// the last 16 minutes until Redis is back.
    package let failClosed: Bool

    package init(failClosed: Bool = false) {
        self.failClosed = failClosed
        self.current = NIOLockedValueBox(!failClosed)
    }

    /// False while a fail-closed set has not been loaded since start, or its last reload failed.
    package var isCurrent: Bool { current.withLockedValue { $0 } }

    /// Waits up to `timeout` for the set to be current (the first load right after start); true when it is.
    package func waitUntilCurrent(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isCurrent {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// True when tokens of this session must be refused.
    package func isRevoked(_ sessionID: String) -> Bool {
        revoked.withLockedValue { entries in
            guard let until = entries[sessionID] else { return false }
            if until < Date() {
                entries[sessionID] = nil
                return false
            }
            return true
        }
    }

    /// Marks a session revoked until `until` (when its last access token has expired).
    package func insert(_ sessionID: String, until: Date) {
        revoked.withLockedValue { $0[sessionID] = until }
    }

    /// Loads the sorted set from Redis, dropping what has expired.
    package func reload(from redis: RedisClient) async throws {
        let now = Date().timeIntervalSince1970
        try await redis.send(["ZREMRANGEBYSCORE", Self.setKey, "-inf", String(Int(now))])
        let reply = try await redis.send(["ZRANGEBYSCORE", Self.setKey, String(Int(now)), "+inf", "WITHSCORES"])
        let items = reply.array ?? []
        var loaded: [String: Date] = [:]
        var index = 0
        while index + 1 < items.count {
            if let id = items[index].string, let score = items[index + 1].string.flatMap(Double.init) {
                loaded[id] = Date(timeIntervalSince1970: score)
            }
            index += 2
        }
        revoked.withLockedValue { entries in entries.merge(loaded) { max($0, $1) } }
    }

    /// Records revocations in Redis and announces them (used by auth).
    package static func publish(_ sessionIDs: [String], redis: RedisClient) async throws {
        guard !sessionIDs.isEmpty else { return }
        let until = Int(Date().timeIntervalSince1970 + AccessClaims.lifetime + 60)
        var arguments = ["ZADD", setKey]
        for id in sessionIDs { arguments += [String(until), id] }
        try await redis.send(arguments)
        for id in sessionIDs { try await redis.publish(channel, id) }
    }

    /// Follows the revocation channel until the task is cancelled; reloads the set on every (re)subscription.
    package func follow(subscriber: RedisSubscriber, redis: RedisClient, logger: Logger) async {
        for await event in subscriber.subscribe(to: [Self.channel]) {
            switch event {
            case .subscribed:
                // Messages may have been missed while the subscription was down: until the set is read again a
                // fail-closed service refuses session tokens, so the reload is retried until it works.
                var delay: Duration = .milliseconds(200)
                while !Task.isCancelled {
                    do {
                        try await reload(from: redis)
                        current.withLockedValue { $0 = true }
                        break
                    } catch {
                        if failClosed { current.withLockedValue { $0 = false } }
                        logger.warning("could not load revoked sessions", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(5))
                    }
                }
            case .message(_, let sessionID):
                insert(sessionID, until: Date().addingTimeInterval(AccessClaims.lifetime + 60))
            }
        }
    }
}
