import StrypeCore

/// Cuts a (sealed) chunk into the shards of a durability spec and puts it back together: `raid1(N)` makes N
/// identical copies; `rs(K,M)` K zero-padded pieces of ⌈length / K⌉ bytes plus M parity shards, any K of which
/// give the chunk back.
public struct ShardCodec: Sendable {
    public let spec: DurabilitySpec
    private let coder: ReedSolomon?

    public init(_ spec: DurabilitySpec) throws {
        self.spec = spec
        if case .erasure(let data, let parity) = spec {
            coder = try ReedSolomon(dataShards: data, parityShards: parity)
        } else {
            coder = nil
        }
    }

    /// The size of every shard of a `length`-byte chunk.
    public func shardSize(length: Int) -> Int {
        switch spec {
        case .replicas: length
        case .erasure(let data, _): (length + data - 1) / data
        }
    }

    public func encode(_ bytes: [UInt8]) throws -> [[UInt8]] {
        guard let coder, case .erasure(let data, _) = spec else {
            return Array(repeating: bytes, count: spec.shardCount)
        }
        let size = shardSize(length: bytes.count)
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(spec.shardCount)
        for index in 0..<data {
            let start = min(index * size, bytes.count)
            let end = min(start + size, bytes.count)
            var piece = Array(bytes[start..<end])
            if piece.count < size { piece += [UInt8](repeating: 0, count: size - piece.count) }
            pieces.append(piece)
        }
        if size == 0 { return pieces + Array(repeating: [], count: spec.shardCount - data) }
        return pieces + (try coder.encode(pieces))
    }

    /// The `length`-byte chunk from the shards that are present (nil for missing or bad ones).
    public func decode(_ shards: [[UInt8]?], length: Int) throws -> [UInt8] {
        guard shards.count == spec.shardCount else {
            throw ReedSolomon.CodingError.invalidShape("expected \(spec.shardCount) shard slots")
        }
        guard let coder, case .erasure(let data, _) = spec else {
            guard let copy = shards.compactMap({ $0 }).first(where: { $0.count == length }) else {
                throw ReedSolomon.CodingError.tooFewShards(available: 0, needed: 1)
            }
            return copy
        }
        let present = shards.compactMap { $0 }.count
        guard present >= data else { throw ReedSolomon.CodingError.tooFewShards(available: present, needed: data) }
        if length == 0 { return [] }
        let whole = shards[0..<data].allSatisfy { $0 != nil } ? shards.map { $0 ?? [] } : try coder.reconstruct(shards)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for piece in whole[0..<data] { bytes += piece }
        return Array(bytes.prefix(length))
    }
}
