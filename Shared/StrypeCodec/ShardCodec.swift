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

    /// The shards of `bytes`: for `rs` slices of one buffer laid out as K data then M parity shards, written once
    /// and encoded in place (no copy beyond the first).
    public func encode(_ bytes: [UInt8]) throws -> [ArraySlice<UInt8>] {
        guard case .erasure = spec else { return Array(repeating: bytes[...], count: spec.shardCount) }
        let size = shardSize(length: bytes.count)
        let total = spec.shardCount * size
        let stripes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            bytes.withUnsafeBufferPointer { source in
                if let start = source.baseAddress { base.update(from: start, count: bytes.count) }
            }
            encode(stripes: UnsafeMutableRawBufferPointer(start: base, count: total), sealedLength: bytes.count)
            initialized = total
        }
        return (0..<spec.shardCount).map { stripes[($0 * size)..<(($0 + 1) * size)] }
    }

    /// The bytes `encode(stripes:sealedLength:)` needs for a `length`-byte chunk: the chunk itself for copies; K + M
    /// shards for rs.
    public func stripesLength(sealedLength length: Int) -> Int {
        guard case .erasure = spec else { return length }
        return spec.shardCount * shardSize(length: length)
    }

    /// `encode` where the chunk lies: `stripes` begins with the `sealedLength`-byte chunk and holds
    /// `stripesLength(sealedLength:)` bytes; the padding is cleared and the parity computed behind it, so shard i is
    /// bytes i × shardSize ..< (i + 1) × shardSize. Copies need nothing done.
    public func encode(stripes: UnsafeMutableRawBufferPointer, sealedLength length: Int) {
        guard let coder, case .erasure(let data, _) = spec, let start = stripes.baseAddress else { return }
        let size = shardSize(length: length)
        precondition(stripes.count >= spec.shardCount * size, "too little room for the parity")
        let base = start.assumingMemoryBound(to: UInt8.self)
        (base + length).initialize(repeating: 0, count: data * size - length)
        coder.encode(stripes: base, length: size)
    }

    /// The `length`-byte chunk from the shards that are present (nil for missing or bad ones).
    public func decode(_ shards: [ArraySlice<UInt8>?], length: Int) throws -> [UInt8] {
        guard shards.count == spec.shardCount else {
            throw ReedSolomon.CodingError.invalidShape("expected \(spec.shardCount) shard slots")
        }
        guard let coder, case .erasure(let data, _) = spec else {
            guard let copy = shards.compactMap({ $0 }).first(where: { $0.count == length }) else {
                throw ReedSolomon.CodingError.tooFewShards(available: 0, needed: 1)
            }
            return Array(copy)
        }
        let size = shardSize(length: length)
        let present = shards.map { $0?.count == size }
        let available = present.filter { $0 }.count
        guard available >= data else { throw ReedSolomon.CodingError.tooFewShards(available: available, needed: data) }
        if length == 0 { return [] }
        // Present data shards go straight to their place; parity is copied in only to stand for missing ones.
        let dataMissing = (0..<data).filter { !present[$0] }.count
        if dataMissing == 0 {
            // Every data shard is here (the usual read): they are the sealed bytes in order, so no parity space is
            // made or cleared.
            return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
                guard let base = buffer.baseAddress else { return }
                for index in 0..<data {
                    let start = index * size
                    guard start < length else { break }
                    Self.copy(shards[index]!.prefix(length - start), to: base + start)
                }
                initialized = length
            }
        }
        let parityUsed = Array(shards.indices.filter { $0 >= data && present[$0] }.prefix(dataMissing))
        let total = spec.shardCount * size
        var failure: (any Error)?
        var stripes = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            for index in 0..<spec.shardCount {
                if (index < data && present[index]) || parityUsed.contains(index) {
                    Self.copy(shards[index]!, to: base + index * size)
                } else {
                    // Rebuilt in place (missing data) or never read (parity not needed): initialised, not copied.
                    (base + index * size).initialize(repeating: 0, count: size)
                }
            }
            var usable = present
            for index in data..<spec.shardCount where !parityUsed.contains(index) { usable[index] = false }
            do {
                try coder.reconstructData(stripes: base, length: size, present: usable)
            } catch {
                failure = error
            }
            initialized = total
        }
        if let failure { throw failure }
        stripes.removeLast(total - length)
        return stripes
    }

    private static func copy(_ slice: ArraySlice<UInt8>, to destination: UnsafeMutablePointer<UInt8>) {
        slice.withUnsafeBufferPointer { source in
            if let start = source.baseAddress { destination.update(from: start, count: source.count) }
        }
    }
}
