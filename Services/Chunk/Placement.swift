/// Chooses backends for a chunk's shards: distinct backends, drawn at random weighted by free space (so fuller
/// backends fill more slowly, and equal ones share the load), among those with room for a shard.
enum Placement {
    /// `count` distinct candidates with at least `shardSize` free, or nil when there are not enough.
    static func choose<G: RandomNumberGenerator>(
        _ count: Int,
        from candidates: [Candidate],
        shardSize: Int64,
        using generator: inout G
    ) -> [Candidate]? {
        var pool = candidates.filter { $0.free >= shardSize }
        guard pool.count >= count else { return nil }
        var chosen: [Candidate] = []
        while chosen.count < count {
            // Weights grow with free space but are floored, so a nearly full backend is still possible, just rarer.
            let weights = pool.map { max(Double($0.free), 1) }
            var point = Double.random(in: 0..<weights.reduce(0, +), using: &generator)
            var index = 0
            while index < pool.count - 1, point >= weights[index] {
                point -= weights[index]
                index += 1
            }
            chosen.append(pool.remove(at: index))
        }
        return chosen
    }
}
