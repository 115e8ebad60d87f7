import CISAL

/// Reed-Solomon erasure coding over GF(2^8) with ISA-L: K data shards, M parity shards, any K of the K+M rebuild
/// the rest. The encoding matrix is ISA-L's Cauchy matrix, whose every K×K submatrix is invertible.
public struct ReedSolomon: Sendable {
    public let dataShards: Int
    public let parityShards: Int
    private let matrix: [UInt8]
    private let encodeTables: [UInt8]

    /// Why coding could not proceed.
    public enum CodingError: Error, Equatable {
        case invalidShape(String)
        case tooFewShards(available: Int, needed: Int)
        case unequalShardSizes
    }

    public init(dataShards: Int, parityShards: Int) throws {
        guard (1...16).contains(dataShards), (1...8).contains(parityShards) else {
            throw CodingError.invalidShape("rs(\(dataShards),\(parityShards)) needs 1 ≤ K ≤ 16 and 1 ≤ M ≤ 8")
        }
        self.dataShards = dataShards
        self.parityShards = parityShards
        let total = dataShards + parityShards
        var matrix = [UInt8](repeating: 0, count: total * dataShards)
        gf_gen_cauchy1_matrix(&matrix, Int32(total), Int32(dataShards))
        self.matrix = matrix
        var tables = [UInt8](repeating: 0, count: 32 * dataShards * parityShards)
        matrix.withUnsafeBufferPointer { all in
            var parityRows = Array(all[(dataShards * dataShards)...])
            ec_init_tables(Int32(dataShards), Int32(parityShards), &parityRows, &tables)
        }
        self.encodeTables = tables
    }

    /// The M parity shards of `data` (K shards of equal size).
    public func encode(_ data: [[UInt8]]) throws -> [[UInt8]] {
        guard data.count == dataShards else {
            throw CodingError.invalidShape("expected \(dataShards) data shards, got \(data.count)")
        }
        let length = data[0].count
        guard data.allSatisfy({ $0.count == length }) else { throw CodingError.unequalShardSizes }
        return Self.apply(tables: encodeTables, sources: data, outputs: parityShards, length: length, k: dataShards)
    }

    /// All K+M shards, rebuilding the missing (nil) ones from any K present ones.
    public func reconstruct(_ shards: [[UInt8]?]) throws -> [[UInt8]] {
        let total = dataShards + parityShards
        guard shards.count == total else { throw CodingError.invalidShape("expected \(total) shard slots") }
        let present = shards.indices.filter { shards[$0] != nil }
        guard present.count >= dataShards else {
            throw CodingError.tooFewShards(available: present.count, needed: dataShards)
        }
        let missing = shards.indices.filter { shards[$0] == nil }
        if missing.isEmpty { return shards.map { $0! } }
        let chosen = Array(present.prefix(dataShards))
        let length = shards[chosen[0]]!.count
        guard chosen.allSatisfy({ shards[$0]!.count == length }) else { throw CodingError.unequalShardSizes }

        let tables = try decodeTables(chosen: chosen, missing: missing)
        let rebuilt = Self.apply(
            tables: tables,
            sources: chosen.map { shards[$0]! },
            outputs: missing.count,
            length: length,
            k: dataShards
        )
        var result = shards
        for (slot, index) in missing.enumerated() { result[index] = rebuilt[slot] }
        return result.map { $0! }
    }

    private static func apply(tables: [UInt8], sources: [[UInt8]], outputs: Int, length: Int, k: Int) -> [[UInt8]] {
        guard length > 0 else { return Array(repeating: [], count: outputs) }
        let sourceBuffers = sources.map { source -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
            pointer.initialize(from: source, count: length)
            return pointer
        }
        let outputBuffers = (0..<outputs).map { _ -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: length)
            pointer.initialize(repeating: 0, count: length)
            return pointer
        }
        defer {
            sourceBuffers.forEach { $0.deallocate() }
            outputBuffers.forEach { $0.deallocate() }
        }
        var sourcePointers: [UnsafeMutablePointer<UInt8>?] = sourceBuffers
        var outputPointers: [UnsafeMutablePointer<UInt8>?] = outputBuffers
        var tableCopy = tables
        ec_encode_data(Int32(length), Int32(k), Int32(outputs), &tableCopy, &sourcePointers, &outputPointers)
        return outputBuffers.map { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// Parity in place: `stripes` holds K data shards then room for M parity shards, each `length` bytes, one after
    /// another; ISA-L reads and writes them where they are, with no copies.
    public func encode(stripes: UnsafeMutablePointer<UInt8>, length: Int) {
        guard length > 0 else { return }
        var sources: [UnsafeMutablePointer<UInt8>?] = (0..<dataShards).map { stripes + $0 * length }
        var outputs: [UnsafeMutablePointer<UInt8>?] = (0..<parityShards).map { stripes + (dataShards + $0) * length }
        var tables = encodeTables
        ec_encode_data(Int32(length), Int32(dataShards), Int32(parityShards), &tables, &sources, &outputs)
    }

    /// Rebuilds, in place, the data shards (indices < K) that `present` marks missing, from K present shards in
    /// the same K+M stripe layout as `encode(stripes:length:)`.
    public func reconstructData(stripes: UnsafeMutablePointer<UInt8>, length: Int, present: [Bool]) throws {
        let total = dataShards + parityShards
        guard present.count == total else { throw CodingError.invalidShape("expected \(total) shard slots") }
        let available = present.indices.filter { present[$0] }
        guard available.count >= dataShards else {
            throw CodingError.tooFewShards(available: available.count, needed: dataShards)
        }
        let missing = (0..<dataShards).filter { !present[$0] }
        guard !missing.isEmpty, length > 0 else { return }
        let chosen = Array(available.prefix(dataShards))
        var tables = try decodeTables(chosen: chosen, missing: missing)
        var sources: [UnsafeMutablePointer<UInt8>?] = chosen.map { stripes + $0 * length }
        var outputs: [UnsafeMutablePointer<UInt8>?] = missing.map { stripes + $0 * length }
        ec_encode_data(Int32(length), Int32(dataShards), Int32(missing.count), &tables, &sources, &outputs)
    }

    /// The ISA-L tables that compute the `missing` shards from the `chosen` ones.
    private func decodeTables(chosen: [Int], missing: [Int]) throws -> [UInt8] {
        var selected = [UInt8](repeating: 0, count: dataShards * dataShards)
        for (row, index) in chosen.enumerated() {
            for column in 0..<dataShards { selected[row * dataShards + column] = matrix[index * dataShards + column] }
        }
        var inverse = [UInt8](repeating: 0, count: dataShards * dataShards)
        guard gf_invert_matrix(&selected, &inverse, Int32(dataShards)) == 0 else {
            throw CodingError.invalidShape("singular decoding matrix")
        }
        // A missing shard i is row i of (encoding matrix × inverse) applied to the chosen shards.
        var decodeRows = [UInt8](repeating: 0, count: missing.count * dataShards)
        for (slot, index) in missing.enumerated() {
            for column in 0..<dataShards {
                var value: UInt8 = 0
                for inner in 0..<dataShards {
                    value ^= gf_mul(matrix[index * dataShards + inner], inverse[inner * dataShards + column])
                }
                decodeRows[slot * dataShards + column] = value
            }
        }
        var tables = [UInt8](repeating: 0, count: 32 * dataShards * missing.count)
        ec_init_tables(Int32(dataShards), Int32(missing.count), &decodeRows, &tables)
        return tables
    }
}
