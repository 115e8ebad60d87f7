import StrypeCodec
import StrypeCore
import Testing

@Suite("shards and the chunk envelope")
struct ShardCodecTests {
    static func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    @Test("rs(K,M) decodes from every choice of K shards", arguments: [(2, 1), (4, 2), (3, 3)])
    func anyKShards(data: Int, parity: Int) throws {
        let codec = try ShardCodec(.erasure(data: data, parity: parity))
        for length in [0, 1, data, 1000, 4097] {
            let original = Self.bytes(length)
            let shards = try codec.encode(original)
            #expect(shards.count == data + parity)
            #expect(shards.allSatisfy { $0.count == codec.shardSize(length: length) })
            let total = data + parity
            for mask in 0..<(1 << total) where mask.nonzeroBitCount == parity {
                let kept: [ArraySlice<UInt8>?] = shards.indices.map { mask & (1 << $0) == 0 ? shards[$0] : nil }
                #expect(try codec.decode(kept, length: length) == original)
            }
            if length > 0 {
                let tooFew: [ArraySlice<UInt8>?] = shards.indices.map { $0 < data - 1 ? shards[$0] : nil }
                #expect(throws: ReedSolomon.CodingError.self) { try codec.decode(tooFew, length: length) }
            }
        }
    }

    @Test("raid1(N) copies, and reads from any one")
    func replicas() throws {
        let codec = try ShardCodec(.replicas(3))
        let original = Self.bytes(999)
        let shards = try codec.encode(original)
        #expect(shards.map(Array.init) == [original, original, original])
        #expect(try codec.decode([nil, nil, original[...]], length: 999) == original)
        #expect(throws: ReedSolomon.CodingError.self) { try codec.decode([nil, nil, nil], length: 999) }
    }

    @Test("the envelope opens only with its key and its chunk id, and detects any change")
    func envelope() throws {
        let key = ChunkCipher.makeDataKey()
        let plaintext = Self.bytes(5000)
        let sealed = try ChunkCipher.seal(plaintext, dataKey: key, chunkID: "a")
        #expect(sealed.count == plaintext.count + ChunkCipher.overhead)
        #expect(try ChunkCipher.open(sealed, dataKey: key, chunkID: "a") == plaintext)
        #expect(throws: SecretBox.OpenError.self) { try ChunkCipher.open(sealed, dataKey: key, chunkID: "b") }
        #expect(throws: SecretBox.OpenError.self) {
            try ChunkCipher.open(sealed, dataKey: ChunkCipher.makeDataKey(), chunkID: "a")
        }
        var tampered = sealed
        tampered[100] ^= 1
        #expect(throws: SecretBox.OpenError.self) { try ChunkCipher.open(tampered, dataKey: key, chunkID: "a") }
        let kek = ChunkCipher.makeDataKey()
        let wrapped = try ChunkCipher.wrap(dataKey: key, keyEncryptionKey: kek, chunkID: "a")
        #expect(try ChunkCipher.unwrap(wrapped, keyEncryptionKey: kek, chunkID: "a") == key)
        #expect(throws: SecretBox.OpenError.self) {
            try ChunkCipher.unwrap(wrapped, keyEncryptionKey: kek, chunkID: "b")
        }
    }
}
