import Synchronization

/// Values kept for a fixed time per key: what other services answered, reused for a moment instead of asked again
/// per request. Expired entries are dropped whenever one is added.
package final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: (expires: ContinuousClock.Instant, value: Value)]>([:])
    private let lifetime: Duration
    /// Past this many live entries, an addition starts the cache afresh (a bound on memory, not an LRU).
    private let maximumEntries: Int

    package init(lifetime: Duration, maximumEntries: Int = .max) {
        self.lifetime = lifetime
        self.maximumEntries = maximumEntries
    }

    /// The value kept for `key`, if it has not expired.
    package func get(_ key: Key) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key], entry.expires > .now else { return nil }
            return entry.value
        }
    }

    package func put(_ key: Key, _ value: Value) {
        let now = ContinuousClock.now
        entries.withLock { entries in
            entries = entries.filter { $0.value.expires > now }
            if entries.count >= maximumEntries { entries = [:] }
            entries[key] = (now + lifetime, value)
        }
    }

    /// The kept value, or `make`'s, kept from now on.
    package func value(for key: Key, make: () async throws -> Value) async rethrows -> Value {
        if let known = get(key) { return known }
        let made = try await make()
        put(key, made)
        return made
    }
}
