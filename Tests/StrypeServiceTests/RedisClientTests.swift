import Foundation
import StrypeService
import StrypeTestSupport
import Testing

@Suite("Redis client against a real Redis", .timeLimit(.minutes(1)))
struct RedisClientTests {
    private func withClient<T>(_ body: (RedisClient) async throws -> T) async throws -> T {
        let client = RedisClient(url: try TestEnvironment.redisURL, maxConnections: 4, logger: TestEnvironment.logger)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test("GET/SET with expiry, DEL, INCR, EXPIRE")
    func keyValueRoundTrips() async throws {
        try await withClient { redis in
            let key = TestEnvironment.uniqueName("kv")
            #expect(try await redis.get(key) == nil)
            try await redis.set(key, "hello wörld")
            #expect(try await redis.get(key) == "hello wörld")
            #expect(try await redis.set(key, "other", onlyIfAbsent: true) == false)
            #expect(try await redis.get(key) == "hello wörld")
            #expect(try await redis.timeToLive(key) == nil)
            #expect(try await redis.expire(key, in: .seconds(30)))
            let ttl = try #require(try await redis.timeToLive(key))
            #expect(ttl > .seconds(25) && ttl <= .seconds(30))
            #expect(try await redis.delete(key) == 1)
            #expect(try await redis.get(key) == nil)

            let counter = TestEnvironment.uniqueName("counter")
            #expect(try await redis.increment(counter) == 1)
            #expect(try await redis.increment(counter) == 2)
            try await redis.set(counter + ":short", "x", expiresIn: .milliseconds(100))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await redis.get(counter + ":short") == nil)
            try await redis.delete(counter)
        }
    }

    @Test("binary values survive unchanged")
    func binarySafety() async throws {
        try await withClient { redis in
            let key = TestEnvironment.uniqueName("bin")
            let value: [UInt8] = [0, 1, 2, 0, 255, 13, 10, 0x24]
            try await redis.send(bytes: [Array("SET".utf8), Array(key.utf8), value])
            #expect(try await redis.send(["GET", key]) == .bulk(value))
            try await redis.delete(key)
        }
    }

    @Test("HSET/HGETALL")
    func hashes() async throws {
        try await withClient { redis in
            let key = TestEnvironment.uniqueName("hash")
            #expect(try await redis.hashSet(key, ["instance": "a:1", "capacity": "42"]) == 2)
            #expect(try await redis.hashSet(key, ["capacity": "43"]) == 0)
            #expect(try await redis.hashGetAll(key) == ["instance": "a:1", "capacity": "43"])
            #expect(try await redis.hashGetAll(key + ":missing") == [:])
            try await redis.delete(key)
        }
    }

    @Test("a server error is thrown, and the connection stays usable")
    func serverErrors() async throws {
        try await withClient { redis in
            let key = TestEnvironment.uniqueName("wrongtype")
            try await redis.set(key, "text")
            await #expect(throws: RedisError.self) { try await redis.increment(key) }
            #expect(try await redis.ping())
            try await redis.delete(key)
        }
    }

    @Test("many concurrent callers share the bounded pool")
    func concurrentPool() async throws {
        try await withClient { redis in
            let key = TestEnvironment.uniqueName("concurrent")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<200 { group.addTask { _ = try await redis.increment(key) } }
                try await group.waitForAll()
            }
            #expect(try await redis.get(key) == "200")
            try await redis.delete(key)
        }
    }

    @Test("streams: XADD, XREADGROUP, XACK and re-claiming a crashed consumer's entries")
    func streamsWorkQueue() async throws {
        try await withClient { redis in
            let stream = TestEnvironment.uniqueName("queue")
            try await redis.streamCreateGroup(stream, group: "workers")
            try await redis.streamCreateGroup(stream, group: "workers")  // tolerated
            let first = try await redis.streamAdd(stream, ["chunk": "c1"])
            let second = try await redis.streamAdd(stream, ["chunk": "c2"], maxLength: 1000)
            #expect(try await redis.streamLength(stream) == 2)

            let crashed = try await redis.streamReadGroup(stream, group: "workers", consumer: "a", count: 1)
            #expect(crashed == [StreamEntry(id: first, fields: ["chunk": "c1"])])
            let taken = try await redis.streamReadGroup(
                stream,
                group: "workers",
                consumer: "b",
                block: .milliseconds(100)
            )
            #expect(taken.map(\.id) == [second])
            #expect(try await redis.streamAcknowledge(stream, group: "workers", ids: [second]) == 1)
            let empty = try await redis.streamReadGroup(
                stream,
                group: "workers",
                consumer: "b",
                block: .milliseconds(50)
            )
            #expect(empty.isEmpty)

            // Consumer "a" never acknowledged: once idle long enough, "b" claims it.
            try await Task.sleep(for: .milliseconds(120))
            let claimed = try await redis.streamAutoClaim(
                stream,
                group: "workers",
                consumer: "b",
                minIdle: .milliseconds(100)
            )
            #expect(claimed.map(\.id) == [first])
            #expect(try await redis.streamAcknowledge(stream, group: "workers", ids: [first]) == 1)
            try await redis.delete(stream)
        }
    }

    @Test("PUBLISH reaches a subscriber")
    func publishSubscribe() async throws {
        let url = try TestEnvironment.redisURL
        try await withClient { (redis) async throws in
            let channel = TestEnvironment.uniqueName("events")
            var events = RedisSubscriber(url: url, logger: TestEnvironment.logger).subscribe(to: [channel])
                .makeAsyncIterator()
            #expect(await events.next() == .subscribed)
            #expect(try await redis.publish(channel, "member-up:42") == 1)
            #expect(await events.next() == .message(channel: channel, payload: "member-up:42"))
        }
    }
}

@Suite("Redis client across a Redis restart", .timeLimit(.minutes(1)))
struct RedisRestartTests {
    @Test("calls fail while Redis is down and work again once it is back, without a new client")
    func reconnectsAfterRestart() async throws {
        let server = try await RedisServerProcess()
        let redis = RedisClient(url: server.url, maxConnections: 2, logger: TestEnvironment.logger)
        try await redis.set("k", "before")
        #expect(try await redis.get("k") == "before")

        server.stop()
        await #expect(throws: RedisError.self) { try await redis.get("k") }
        try await server.start()

        // The idle pooled connection is dead; the pool notices and connects anew.
        try await redis.set("k", "after")
        #expect(try await redis.get("k") == "after")
        await redis.shutdown()
    }

    @Test("pub/sub messages are delivered again after Redis restarts")
    func subscriptionSurvivesRestart() async throws {
        let server = try await RedisServerProcess()
        let redis = RedisClient(url: server.url, maxConnections: 2, logger: TestEnvironment.logger)
        let subscriber = RedisSubscriber(
            url: server.url,
            logger: TestEnvironment.logger,
            keepAliveInterval: .seconds(1)
        )
        var events = subscriber.subscribe(to: ["member-events"]).makeAsyncIterator()
        #expect(await events.next() == .subscribed)
        #expect(try await redis.publish("member-events", "one") == 1)
        #expect(await events.next() == .message(channel: "member-events", payload: "one"))

        server.stop()
        try await server.start()

        // The subscriber reconnects by itself and says so before messages flow again.
        #expect(await events.next() == .subscribed)
        #expect(try await redis.publish("member-events", "two") == 1)
        #expect(await events.next() == .message(channel: "member-events", payload: "two"))
        await redis.shutdown()
    }
}
