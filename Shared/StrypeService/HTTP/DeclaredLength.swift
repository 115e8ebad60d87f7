import Hummingbird

/// A request's `Content-Length`, checked against a limit before any of the body is read, so an oversized upload is
/// refused at once instead of holding its connection open while the body arrives.
extension Request {
    /// The declared length when there is one; 413 `too_large` (with `message`) when it exceeds `limit`.
    package func declaredLength(atMost limit: Int64, _ message: String) throws -> Int64? {
        guard let length = headers[.contentLength].flatMap({ Int64($0) }) else { return nil }
        guard length <= limit else { throw APIError(.contentTooLarge, code: "too_large", message: message) }
        return length
    }

    /// The declared length, which must be there (411 `length_required`) and within `limit` (413 `too_large`).
    package func requiredLength(atMost limit: Int64, _ message: String) throws -> Int64 {
        guard let text = headers[.contentLength], let length = Int64(text), length >= 0 else {
            throw APIError(.lengthRequired, code: "length_required", message: "send Content-Length")
        }
        return try declaredLength(atMost: limit, message) ?? length
    }

    /// 400 `length_mismatch` when a body ended before its declared length.
    package static func checkComplete(received: Int, declared: Int64?) throws {
        guard let declared, declared != Int64(received) else { return }
        throw APIError(.badRequest, code: "length_mismatch", message: "the body is shorter than Content-Length")
    }
}
