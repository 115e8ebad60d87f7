import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// Where a directory listing goes on: after the entry of this kind and name, in listing order (folders first, then
/// names by their bytes). Clients get it as an opaque `next` and hand it back as `cursor`.
struct ListCursor: Sendable, Equatable {
    var isFile: Bool
    var name: String

    /// The most entries one listing answers, and the default.
    static let maximumLimit = 1000
    /// Before every entry: the `next` of a folder the answer had no room left to list.
    static let start = ListCursor(isFile: false, name: "")

    init(isFile: Bool, name: String) {
        self.isFile = isFile
        self.name = name
    }

    /// The cursor just after `node`.
    init(after node: NodeRecord) {
        self.init(isFile: node.kind == .file, name: node.name)
    }

    /// URL-safe base64 (no padding) of `d/<name>` or `f/<name>`.
    var token: String {
        Data(((isFile ? "f/" : "d/") + name).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor `token` names; nil when it is not one this server makes.
    init?(token: String) {
        guard token.utf8.count <= 400, let bytes = Base64.decode(token),
            let text = String(validating: bytes, as: UTF8.self), text.hasPrefix("d/") || text.hasPrefix("f/")
        else { return nil }
        let name = String(text.dropFirst(2))
        // Only a name an entry could have (or none: the start); anything else was not made here.
        guard name.isEmpty || (try? FilePath.name(name)) == name else { return nil }
        self.init(isFile: text.hasPrefix("f/"), name: name)
    }

    /// `cursor` and `limit` of a listing request's query.
    static func page(_ request: Request) throws -> (after: ListCursor?, limit: Int) {
        let query = request.uri.queryParameters
        return try page(cursor: query.get("cursor"), limit: query.get("limit"))
    }

    /// The first `limit` of `entries` (fetched one over, which tells whether entries are left out) and, when some
    /// are, the `next` that goes on after the last one shown.
    static func cut(_ entries: [NodeRecord], limit: Int) -> (shown: ArraySlice<NodeRecord>, next: String?) {
        let shown = entries.prefix(limit)
        guard entries.count > shown.count, let last = shown.last else { return (shown, nil) }
        return (shown, ListCursor(after: last).token)
    }

    /// `cursor` from the query (400 when it is not one of ours) and `limit` (1 to 1000, default 1000).
    static func page(cursor: String?, limit: String?) throws -> (after: ListCursor?, limit: Int) {
        var after: ListCursor?
        if let text = cursor {
            guard let cursor = ListCursor(token: text) else {
                throw APIError.invalidField("cursor", "give back the `next` of an earlier answer")
            }
            after = cursor
        }
        guard let limit = Int(limit ?? String(maximumLimit)), (1...maximumLimit).contains(limit) else {
            throw APIError.invalidField("limit", "1 to \(maximumLimit) entries")
        }
        return (after, limit)
    }
}
