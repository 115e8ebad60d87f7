import Crypto
import Foundation
import NIOCore
import StrypeCodec

/// Proofs of possession prepared while an object passes through: each challenge is a fresh nonce and the answer
/// `sha256(nonce ‖ bytes)` only a holder of the bytes can give; the server keeps both, the agent sees the nonce
/// only when audited.
enum AuditChallenges {
    /// Challenges made each time an audit reads an object back; when they run out the next audit reads it again.
    static let perObject = 4

    /// `count` challenges over `data`, as `nonce:proof` in hex.
    static func make(for data: ByteBuffer, count: Int = perObject) -> [String] {
        (0..<count).map { _ in
            let nonce = (0..<32).map { _ in UInt8.random(in: 0...255) }
            return "\(Checksum.hex(nonce)):\(proof(nonce: nonce, data: data))"
        }
    }

    /// `sha256(nonce ‖ data)` in hex.
    static func proof(nonce: [UInt8], data: ByteBuffer) -> String {
        var hasher = SHA256()
        hasher.update(data: nonce)
        data.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return Checksum.hex(Array(hasher.finalize()))
    }

    /// The SHA-256 of `data` in hex.
    static func sha256(_ data: ByteBuffer) -> String {
        data.withUnsafeReadableBytes { Checksum.hex(Array(SHA256.hash(data: $0))) }
    }
}
