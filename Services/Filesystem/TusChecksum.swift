import Crypto
import Hummingbird
import NIOCore

/// The checksum of one request's bytes, for `Upload-Checksum`.
final class BodyChecksum: @unchecked Sendable {
    private let algorithm: String?
    private var sha1 = Insecure.SHA1()
    private var sha256 = SHA256()

    init(algorithm: String?) {
        self.algorithm = algorithm
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        switch algorithm {
        case "sha1": sha1.update(bufferPointer: bytes)
        case "sha256": sha256.update(bufferPointer: bytes)
        default: break
        }
    }

    func digest() -> [UInt8] {
        algorithm == "sha1" ? Array(sha1.finalize()) : Array(sha256.finalize())
    }
}

/// A body whose bytes also go through a `BodyChecksum`.
struct ChecksummedBody<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let checksum: BodyChecksum

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let checksum: BodyChecksum

        mutating func next() async throws -> ByteBuffer? {
            guard let piece = try await base.next() else { return nil }
            piece.withUnsafeReadableBytes { checksum.update($0) }
            return piece
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), checksum: checksum) }
}
