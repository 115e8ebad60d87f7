import StrypeCodec
import StrypeService

/// Share-link tokens and download tickets are stored and looked up only by their SHA-256, in hex.
extension OpaqueToken {
    static func hexDigest(_ token: String) -> String { Checksum.hex(digest(token)) }
}
