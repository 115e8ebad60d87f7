/// The typed commands later services need; each is one round trip.
extension RedisClient {
    /// `PING`: true when Redis answered PONG.
    package func ping() async throws -> Bool {
        try await send(["PING"]).string == "PONG"
    }

    /// `GET key`; nil when missing.
    package func get(_ key: String) async throws -> String? {
        try await send(["GET", key]).string
    }

    /// `SET key value [EX seconds] [NX]`; returns false when NX was asked and the key existed.
    @discardableResult
    package func set(_ key: String, _ value: String, expiresIn: Duration? = nil, onlyIfAbsent: Bool = false)
        async throws -> Bool
    {
        var arguments = ["SET", key, value]
        if let expiresIn { arguments += ["PX", String(expiresIn.wholeMilliseconds)] }
        if onlyIfAbsent { arguments.append("NX") }
        return try await send(arguments) != .null
    }

    /// `DEL keys...`: how many existed.
    @discardableResult
    package func delete(_ keys: String...) async throws -> Int {
        try await send(["DEL"] + keys).integer ?? 0
    }

    /// `INCR key`: the new value.
    package func increment(_ key: String) async throws -> Int {
        guard let value = try await send(["INCR", key]).integer else { throw RedisError.unexpectedReply("INCR") }
        return value
    }

    /// `PEXPIRE key ms`: false when the key does not exist.
    @discardableResult
    package func expire(_ key: String, in duration: Duration) async throws -> Bool {
        try await send(["PEXPIRE", key, String(duration.wholeMilliseconds)]).integer == 1
    }

    /// `PTTL key` in milliseconds: nil when the key is missing or has no expiry.
    package func timeToLive(_ key: String) async throws -> Duration? {
        let value = try await send(["PTTL", key]).integer ?? -2
        return value < 0 ? nil : .milliseconds(value)
    }

    /// `HSET key field value ...`: how many fields were new.
    @discardableResult
    package func hashSet(_ key: String, _ fields: [String: String]) async throws -> Int {
        var arguments = ["HSET", key]
        for (field, value) in fields.sorted(by: { $0.key < $1.key }) { arguments += [field, value] }
        return try await send(arguments).integer ?? 0
    }

    /// `HGETALL key`: empty when missing.
    package func hashGetAll(_ key: String) async throws -> [String: String] {
        let items = try await send(["HGETALL", key]).array ?? []
        var result: [String: String] = [:]
        var index = 0
        while index + 1 < items.count {
            if let field = items[index].string, let value = items[index + 1].string { result[field] = value }
            index += 2
        }
        return result
    }

    /// `PUBLISH channel message`: how many subscribers received it.
    @discardableResult
    package func publish(_ channel: String, _ message: String) async throws -> Int {
        try await send(["PUBLISH", channel, message]).integer ?? 0
    }

    /// `XADD stream * field value ...` with an optional approximate `MAXLEN`: the new entry id.
    @discardableResult
    package func streamAdd(_ stream: String, _ fields: [String: String], maxLength: Int? = nil) async throws -> String {
        var arguments = ["XADD", stream]
        if let maxLength { arguments += ["MAXLEN", "~", String(maxLength)] }
        arguments.append("*")
        for (field, value) in fields.sorted(by: { $0.key < $1.key }) { arguments += [field, value] }
        guard let id = try await send(arguments).string else { throw RedisError.unexpectedReply("XADD") }
        return id
    }

    /// `XGROUP CREATE stream group $ MKSTREAM`, tolerating a group that already exists.
    package func streamCreateGroup(_ stream: String, group: String, startAt: String = "$") async throws {
        do {
            try await send(["XGROUP", "CREATE", stream, group, startAt, "MKSTREAM"])
        } catch RedisError.server(let message) where message.hasPrefix("BUSYGROUP") {
            return
        }
    }

    /// `XREADGROUP GROUP group consumer COUNT n BLOCK ms STREAMS stream >`: new entries for this consumer.
    /// `block` must stay below the connection timeout (10 s), so it is capped at 5 s.
    package func streamReadGroup(
        _ stream: String,
        group: String,
        consumer: String,
        count: Int = 10,
        block: Duration? = nil,
        startID: String = ">"
    ) async throws -> [StreamEntry] {
        var arguments = ["XREADGROUP", "GROUP", group, consumer, "COUNT", String(count)]
        if let block { arguments += ["BLOCK", String(min(block.wholeMilliseconds, 5000))] }
        arguments += ["STREAMS", stream, startID]
        return Self.entries(fromStreams: try await send(arguments))
    }

    /// `XACK stream group id...`: how many were acknowledged.
    @discardableResult
    package func streamAcknowledge(_ stream: String, group: String, ids: [String]) async throws -> Int {
        try await send(["XACK", stream, group] + ids).integer ?? 0
    }

    /// `XAUTOCLAIM stream group consumer min-idle 0-0 COUNT n`: entries idle longer than `minIdle` (their consumer
    /// likely crashed), now owned by `consumer`.
    package func streamAutoClaim(_ stream: String, group: String, consumer: String, minIdle: Duration, count: Int = 10)
        async throws -> [StreamEntry]
    {
        let reply = try await send([
            "XAUTOCLAIM", stream, group, consumer, String(minIdle.wholeMilliseconds), "0-0", "COUNT", String(count),
        ])
        guard let parts = reply.array, parts.count >= 2 else { return [] }
        return Self.entries(parts[1])
    }

    /// `XLEN stream`.
    package func streamLength(_ stream: String) async throws -> Int {
        try await send(["XLEN", stream]).integer ?? 0
    }

    private static func entries(fromStreams reply: RedisValue) -> [StreamEntry] {
        // [[stream, [[id, [f, v, ...]], ...]], ...]
        (reply.array ?? []).flatMap { stream -> [StreamEntry] in
            guard let pair = stream.array, pair.count == 2 else { return [] }
            return entries(pair[1])
        }
    }

    private static func entries(_ list: RedisValue) -> [StreamEntry] {
        (list.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
            let flat = parts[1].array ?? []
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < flat.count {
                if let field = flat[index].string, let value = flat[index + 1].string { fields[field] = value }
                index += 2
            }
            return StreamEntry(id: id, fields: fields)
        }
    }
}

/// One entry of a Redis Stream.
package struct StreamEntry: Sendable, Equatable {
    package let id: String
    package let fields: [String: String]

    package init(id: String, fields: [String: String]) {
        self.id = id
        self.fields = fields
    }
}
