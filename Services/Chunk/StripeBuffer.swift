import NIOCore
import StrypeCodec
import StrypeCore

/// A chunk being stored, in one buffer laid out so that it is sealed and cut into shards where it lies: the plaintext
/// after room for the nonce, then room for the tag, the padding and the parity. Sealing and encoding copied the chunk
/// three times over (the cipher's input and output, the stripes, a buffer per shard); now its bytes are written once,
/// as they arrive, and the shards are slices of the same buffer.
struct StripeBuffer {
    private var buffer: ByteBuffer
    private let prefix: Int
    private let codec: ShardCodec

    /// Room for a chunk of `expected` plaintext bytes (more grows the buffer).
    init(expected: Int, durability: DurabilitySpec, encryption: EncryptionSpec) throws {
        codec = try ShardCodec(durability)
        prefix = encryption == .aes256gcm ? ChunkCipher.nonceBytes : 0
        buffer = ByteBufferAllocator().buffer(capacity: Self.capacity(expected, prefix: prefix, codec: codec))
        buffer.writeRepeatingByte(0, count: prefix)
    }

    /// The whole buffer a chunk of `count` bytes needs: sealed, padded, with its parity.
    private static func capacity(_ count: Int, prefix: Int, codec: ShardCodec) -> Int {
        let sealed = max(count, 0) + (prefix > 0 ? ChunkCipher.overhead : 0)
        return max(codec.stripesLength(sealedLength: sealed), sealed)
    }

    var plaintextCount: Int { buffer.readableBytes - prefix }

    mutating func append(_ piece: ByteBuffer) { buffer.writeImmutableBuffer(piece) }

    mutating func append(_ bytes: [UInt8]) { buffer.writeBytes(bytes) }

    /// The plaintext's SHA-256, for a chunk a user stores (its ETag).
    func plaintextSHA256() -> String {
        Checksum.sha256Hex(buffer.readableBytesView.dropFirst(prefix))
    }

    /// Seals the plaintext where it is (when a data key is given) and makes the shards: slices of this one buffer,
    /// every raid1 copy the same one. Returns them with the sealed length.
    consuming func shards(dataKey: [UInt8]?, chunkID: String) throws -> (pieces: [ByteBuffer], sealedSize: Int) {
        let count = plaintextCount
        let whole = Self.capacity(count, prefix: prefix, codec: codec)
        let start = buffer.readerIndex
        buffer.reserveCapacity(start + whole)
        let codec = self.codec
        var sealedSize = count
        try buffer.withVeryUnsafeMutableBytes { storage in
            let region = UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + whole)])
            if let dataKey {
                sealedSize = try ChunkCipher.sealInPlace(
                    region,
                    plaintextCount: count,
                    dataKey: dataKey,
                    chunkID: chunkID
                )
            }
            codec.encode(stripes: region, sealedLength: sealedSize)
        }
        buffer.moveWriterIndex(to: start + max(sealedSize, codec.stripesLength(sealedLength: sealedSize)))
        let size = codec.shardSize(length: sealedSize)
        guard case .erasure = codec.spec else {
            let copy = buffer.getSlice(at: start, length: sealedSize)!
            return (Array(repeating: copy, count: codec.spec.shardCount), sealedSize)
        }
        return ((0..<codec.spec.shardCount).map { buffer.getSlice(at: start + $0 * size, length: size)! }, sealedSize)
    }
}
