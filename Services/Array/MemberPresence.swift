import Foundation
import StrypeCore
import StrypeService

/// Who holds each member's connection: `array:member:<id>` in Redis = `<instance URL> <connection id>`, with a TTL
/// refreshed by heartbeats, so a crashed instance's members turn offline by themselves.
struct MemberPresence: Sendable {
    let redis: RedisClient
    /// This instance's internal address, where other instances forward requests for its members.
    let instanceURL: String
    let ttl: Duration

    static func key(_ memberID: UUID) -> String { "array:member:\(memberID.uuidString.lowercased())" }

    private func value(_ connectionID: UUID) -> String { "\(instanceURL) \(connectionID.uuidString.lowercased())" }

    /// Marks the member online here, taking over from any earlier connection.
    func claim(_ memberID: UUID, connectionID: UUID) async throws {
        _ = try await redis.set(Self.key(memberID), value(connectionID), expiresIn: ttl)
    }

    /// Extends the TTL while this connection still holds the member (or takes it back if it lapsed); false when
    /// another connection took over.
    func refresh(_ memberID: UUID, connectionID: UUID) async throws -> Bool {
        let reply = try await redis.send([
            "EVAL", Self.refreshScript, "1", Self.key(memberID), value(connectionID),
            String(ttl.wholeMilliseconds),
        ])
        return reply.integer == 1
    }

    /// Marks the member offline, unless another connection holds it by now.
    func release(_ memberID: UUID, connectionID: UUID) async throws -> Bool {
        let reply = try await redis.send(["EVAL", Self.releaseScript, "1", Self.key(memberID), value(connectionID)])
        return reply.integer == 1
    }

    /// The instance that holds the member's connection, or nil when it is offline.
    func locate(_ memberID: UUID) async throws -> String? {
        guard let value = try await redis.get(Self.key(memberID)) else { return nil }
        return value.split(separator: " ").first.map(String.init)
    }

    /// Announces a member going up or down for chunk's placement and repair.
    func announce(_ memberID: UUID, online: Bool) async {
        let event = MemberEvent(memberID: memberID, state: online ? "up" : "down")
        guard let json = try? WireJSON.encode(event) else { return }
        _ = try? await redis.publish(MemberEvent.channel, String(decoding: json, as: UTF8.self))
    }

    // A key that expired while this connection lived (a stalled heartbeat) is taken back; only another
    // connection's value means someone else holds the member now.
    private static let refreshScript = """
        local current = redis.call('GET', KEYS[1])
        if current == ARGV[1] or current == false then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1
        end
        return 0
        """
    private static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0
        """
}
