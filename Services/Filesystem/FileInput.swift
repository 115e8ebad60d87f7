import Foundation
import HTTPTypes
import Hummingbird
import StrypeCore
import StrypeService

/// What filesystem's requests carry, read and checked one way for every route: a bad value is a 400 naming its field.
enum FileInput {
    static let durabilityHeader = HTTPField.Name("X-Durability")!
    static let encryptionHeader = HTTPField.Name("X-Encryption")!
    /// Used until the user's settings say otherwise (DESIGN §3).
    static let defaultDurability = "raid1(2)"
    static let defaultEncryption = "aes256-gcm"

    /// The user making the request (whose tree a path names unless a grant says otherwise); 403 for a service.
    static func caller(_ context: StrypeRequestContext) throws -> UUID {
        guard let user = try context.requirePrincipal().userID else {
            throw APIError.forbidden("files belong to users")
        }
        return user
    }

    static func path(_ text: String?) throws -> FilePath {
        guard let text else { throw APIError.invalidField("path", "a path is required") }
        do {
            return try FilePath(text)
        } catch {
            throw APIError.invalidField("path", error.description)
        }
    }

    static func id(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw APIError.invalidField(field, "a directory id") }
        return id
    }

    /// A file part's name: browsers send the base name; older ones a whole local path, of which the last part.
    static func fileName(_ raw: String) throws -> String {
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        do {
            return try FilePath.name(base)
        } catch {
            throw APIError.invalidField("filename", error.description)
        }
    }

    static func durability(_ text: String?) throws -> String {
        guard let text else { return defaultDurability }
        return try StorageRequest.durability(text).description
    }

    static func encryption(_ text: String?) throws -> String {
        guard let text else { return defaultEncryption }
        return try StorageRequest.encryption(text).rawValue
    }

    static func declaredLength(_ request: Request) throws -> Int64? {
        guard let text = request.headers[.contentLength] else { return nil }
        guard let length = Int64(text), length >= 0 else {
            throw APIError.badRequest("Content-Length is not a length", code: "bad_content_length")
        }
        return length
    }

    /// 413 for an upload that does not fit what the quota leaves.
    static func quotaExceeded(_ room: Int64) -> APIError {
        APIError(
            .contentTooLarge,
            code: "quota_exceeded",
            message: "this upload does not fit your quota: \(room) bytes are left"
        )
    }

    /// 403 for an upload whose uploader lost write access to where it goes.
    static let writeRevoked = APIError.forbidden("you may no longer write into this folder; the upload is cancelled")
}
