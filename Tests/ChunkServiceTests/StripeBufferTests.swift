import NIOCore
import StrypeCodec
import StrypeCore
import Testing

@testable import ChunkService

@Suite("stripe buffer")
struct StripeBufferTests {
    /// A chunk sealed and encoded in its one buffer decodes and opens to what arrived, for copies and rs, encrypted
    /// or not, at lengths around the shard boundaries, whether the declared length was right, short or missing.
    @Test(arguments: ["raid1(3)", "rs(4,2)", "rs(2,1)", "rs(1,2)"])
    func shardsDecodeToWhatArrived(durability text: String) throws {
        let durability = try #require(DurabilitySpec(text))
        let codec = try ShardCodec(durability)
        for encryption in [EncryptionSpec.aes256gcm, .none] {
            for length in [0, 1, 3, 4, 1000, 65_537] {
                for expected in [length, 0, length / 2] {
                    let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
                    var stripes = try StripeBuffer(expected: expected, durability: durability, encryption: encryption)
                    // Arriving in pieces, as a body does.
                    for start in stride(from: 0, to: length, by: 4000) {
                        stripes.append(ByteBuffer(bytes: plaintext[start..<min(length, start + 4000)]))
                    }
                    #expect(stripes.plaintextCount == length)
                    let key = encryption == .aes256gcm ? ChunkCipher.makeDataKey() : nil
                    let (pieces, sealedSize) = try stripes.shards(dataKey: key, chunkID: "c1")
                    #expect(sealedSize == length + (key == nil ? 0 : ChunkCipher.overhead))
                    #expect(pieces.count == durability.shardCount)
                    #expect(pieces.allSatisfy { $0.readableBytes == codec.shardSize(length: sealedSize) })
                    // Any shardsNeeded of them: here the last ones (parity, for rs).
                    var kept: [ArraySlice<UInt8>?] = pieces.map { Array($0.readableBytesView)[...] }
                    for index in 0..<(durability.shardCount - durability.shardsNeeded) { kept[index] = nil }
                    let sealed = try codec.decode(kept, length: sealedSize)
                    let opened = try key.map { try ChunkCipher.open(sealed, dataKey: $0, chunkID: "c1") } ?? sealed
                    #expect(opened == plaintext, "\(text) \(encryption) length \(length) expected \(expected)")
                }
            }
        }
    }
}
