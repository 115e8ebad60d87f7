import StrypeCodec
import Testing

@Suite("Reed-Solomon over ISA-L")
struct ReedSolomonTests {
    private func randomShards(_ count: Int, size: Int) -> [[UInt8]] {
        (0..<count).map { _ in (0..<size).map { _ in UInt8.random(in: 0...255) } }
    }

    /// Every subset of `size` indices out of `0..<total`.
    private func subsets(of total: Int, size: Int) -> [[Int]] {
        guard size > 0 else { return [[]] }
        guard total >= size else { return [] }
        return subsets(of: total - 1, size: size - 1).map { $0 + [total - 1] } + subsets(of: total - 1, size: size)
    }

    @Test("any K of K+M shards rebuild all of them", arguments: [(1, 1), (2, 1), (4, 2), (3, 3), (10, 4)])
    func reconstructFromAnyK(k: Int, m: Int) throws {
        let codec = try ReedSolomon(dataShards: k, parityShards: m)
        let data = randomShards(k, size: 257)
        let parity = try codec.encode(data)
        #expect(parity.count == m)
        let all = data + parity
        for lost in subsets(of: k + m, size: m) {
            var damaged: [[UInt8]?] = all
            for index in lost { damaged[index] = nil }
            #expect(try codec.reconstruct(damaged) == all, "lost \(lost)")
        }
    }

    @Test("fewer than K shards is an error, never wrong bytes")
    func tooFewShards() throws {
        let codec = try ReedSolomon(dataShards: 4, parityShards: 2)
        let all = try randomShards(4, size: 64).then { $0 + (try codec.encode($0)) }
        var damaged: [[UInt8]?] = all
        damaged[0] = nil
        damaged[2] = nil
        damaged[5] = nil
        #expect(throws: ReedSolomon.CodingError.tooFewShards(available: 3, needed: 4)) {
            try codec.reconstruct(damaged)
        }
    }

    @Test("shapes outside rs(1..16, 1..8) are refused", arguments: [(0, 1), (17, 1), (4, 0), (4, 9)])
    func invalidShapes(k: Int, m: Int) {
        #expect(throws: ReedSolomon.CodingError.self) { try ReedSolomon(dataShards: k, parityShards: m) }
    }

    @Test("parity of unequal shards is refused")
    func unequalSizes() throws {
        let codec = try ReedSolomon(dataShards: 2, parityShards: 1)
        #expect(throws: ReedSolomon.CodingError.unequalShardSizes) { try codec.encode([[1, 2], [3]]) }
    }
}

@Suite("Checksums")
struct ChecksumTests {
    @Test("SHA-256 matches the FIPS 180-2 vectors")
    func sha256Vectors() {
        #expect(Checksum.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Checksum.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
    }
}

extension Array {
    fileprivate func then<T>(_ transform: (Self) throws -> T) rethrows -> T { try transform(self) }
}
