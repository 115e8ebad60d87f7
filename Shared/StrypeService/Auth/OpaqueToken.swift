import Crypto
import Foundation

/// Long random tokens (refresh, agent and share-link tokens): shown once, stored only as their SHA-256.
package enum OpaqueToken {
    package static let refreshPrefix = "csr_"
    package static let agentPrefix = "csa_"

    /// `prefix` + 256 random bits in base64url.
    package static func generate(prefix: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        return prefix + base64URL(bytes)
    }

    /// The SHA-256 under which a token is stored and looked up.
    package static func digest(_ token: String) -> Data {
        Data(SHA256.hash(data: Array(token.utf8)))
    }

    package static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares secrets in time independent of where they differ.
    package static func constantTimeEquals(_ left: String, _ right: String) -> Bool {
        let a = Array(SHA256.hash(data: Array(left.utf8)))
        let b = Array(SHA256.hash(data: Array(right.utf8)))
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
