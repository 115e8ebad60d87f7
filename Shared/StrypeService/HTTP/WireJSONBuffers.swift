import Foundation
import NIOCore
import NIOFoundationCompat
import StrypeCore

extension WireJSON {
    /// A `T` from a body collected into a buffer.
    package static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        try decoder.decode(T.self, from: buffer)
    }
}
