import Foundation
import Hummingbird
import NIOCore
import StrypeCore

/// How deeply a JSON request body may nest arrays and objects. No request of any service needs more than a few
/// levels, and the parser recurses per level, so deeper bodies are refused by one pass over the bytes first.
package enum JSONDepth {
    package static let maximumDepth = 32

    /// Whether `bytes` nest arrays and objects deeper than `limit`, counting `[` and `{` outside strings. It parses
    /// nothing: malformed JSON is the decoder's to refuse.
    package static func exceeds(_ bytes: some Sequence<UInt8>, limit: Int = maximumDepth) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
        }
        return false
    }

    /// The 400 for a body nested too deeply.
    package static let tooDeep = APIError(
        .badRequest,
        code: "invalid_json",
        message: "the JSON body is nested too deeply: at most \(maximumDepth) levels of arrays and objects"
    )
}

/// JSON body decoding (``WireJSON``, within the context's size limit) with the depth checked before the
/// body is parsed; every service's `request.decode` goes through it.
package struct DepthCheckedJSONDecoder: RequestDecoder {
    package init() {}

    package func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext)
        async throws -> T
    {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        guard !JSONDepth.exceeds(buffer.readableBytesView) else { throw JSONDepth.tooDeep }
        return try WireJSON.decode(T.self, from: Data(buffer.readableBytesView))
    }
}

extension StrypeRequestContext {
    package typealias Decoder = DepthCheckedJSONDecoder

    package var requestDecoder: DepthCheckedJSONDecoder { DepthCheckedJSONDecoder() }
}
