import StrypeCodec
import Testing

@Suite("chunk envelope")
struct ChunkCipherTests {
    /// Opening in place gives what `seal` was given, at every length class, and leaves it after the nonce.
    @Test(arguments: [0, 1, 15, 16, 17, 4096, 1 << 20])
    func opensInPlaceWhatWasSealed(length: Int) throws {
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let key = ChunkCipher.makeDataKey()
        var sealed = try ChunkCipher.seal(plaintext, dataKey: key, chunkID: "chunk-a")
        #expect(sealed.count == length + ChunkCipher.overhead)
        let count = try sealed.withUnsafeMutableBytes {
            try ChunkCipher.openInPlace($0, dataKey: key, chunkID: "chunk-a")
        }
        #expect(count == length)
        #expect(Array(sealed[ChunkCipher.nonceBytes..<ChunkCipher.nonceBytes + count]) == plaintext)
    }

    /// A changed byte (in the nonce, the ciphertext or the tag), another chunk's id or another key: refused.
    @Test func refusesAnythingChanged() throws {
        let key = ChunkCipher.makeDataKey()
        let sealed = try ChunkCipher.seal(Array(repeating: 0x5A, count: 1000), dataKey: key, chunkID: "chunk-a")
        for position in [0, 11, 12, 500, sealed.count - 1] {
            var altered = sealed
            altered[position] ^= 0x01
            #expect(throws: SecretBox.OpenError.authenticationFailed) {
                try altered.withUnsafeMutableBytes { try ChunkCipher.openInPlace($0, dataKey: key, chunkID: "chunk-a") }
            }
        }
        var moved = sealed
        #expect(throws: SecretBox.OpenError.authenticationFailed) {
            try moved.withUnsafeMutableBytes { try ChunkCipher.openInPlace($0, dataKey: key, chunkID: "chunk-b") }
        }
        var otherKey = sealed
        #expect(throws: SecretBox.OpenError.authenticationFailed) {
            try otherKey.withUnsafeMutableBytes {
                try ChunkCipher.openInPlace($0, dataKey: ChunkCipher.makeDataKey(), chunkID: "chunk-a")
            }
        }
        var short = Array(sealed.prefix(ChunkCipher.overhead - 1))
        #expect(throws: SecretBox.OpenError.malformed) {
            try short.withUnsafeMutableBytes { try ChunkCipher.openInPlace($0, dataKey: key, chunkID: "chunk-a") }
        }
    }
}

@Suite("chunk envelope sealed in place")
struct ChunkCipherSealInPlaceTests {
    /// What is sealed in place opens with swift-crypto's `open`, and two seals of the same bytes differ (fresh nonce).
    @Test(arguments: [0, 1, 16, 4097])
    func sealsInPlaceWhatSwiftCryptoOpens(length: Int) throws {
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
        let key = ChunkCipher.makeDataKey()
        var outputs: [[UInt8]] = []
        for _ in 0..<2 {
            var region =
                Array(repeating: UInt8(0), count: ChunkCipher.nonceBytes) + plaintext + Array(repeating: 0, count: 16)
            let count = try region.withUnsafeMutableBytes {
                try ChunkCipher.sealInPlace($0, plaintextCount: length, dataKey: key, chunkID: "chunk-a")
            }
            #expect(count == length + ChunkCipher.overhead)
            #expect(try ChunkCipher.open(region, dataKey: key, chunkID: "chunk-a") == plaintext)
            outputs.append(region)
        }
        #expect(outputs[0] != outputs[1])
        var small = Array(repeating: UInt8(0), count: length + ChunkCipher.overhead - 1)
        #expect(throws: SecretBox.OpenError.malformed) {
            try small.withUnsafeMutableBytes {
                try ChunkCipher.sealInPlace($0, plaintextCount: length, dataKey: key, chunkID: "chunk-a")
            }
        }
    }
}
