import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// `file` or `dir`.
enum NodeKind: String, Sendable {
    case file
    case dir
}

/// One stored version of a file.
struct VersionRecord: Sendable {
    var number: Int
    var size: Int64
    var sha256: String
    var durability: String
    var encryption: String
    var contentType: String
    var created: Date
}

/// A file or directory row, with its current version when it is a file.
struct NodeRecord: Sendable {
    var id: UUID
    var ownerID: UUID
    var parentID: UUID?
    var name: String
    var kind: NodeKind
    var modified: Date
    var version: VersionRecord?
    var attrs: [String: String] = [:]
    var tags: [String] = []
    var trashedAt: Date?
    /// A directory's own storage choice for new files below it.
    var storage = StorageSettings()

    /// The API view at `path`; `access` below an owner's is shown (the node is shared with the caller).
    func response(path: FilePath, children: [NodeResponse]? = nil, access: Access = .owner) -> NodeResponse {
        NodeResponse(
            id: id,
            kind: kind.rawValue,
            path: path.description,
            name: name,
            size: version?.size ?? 0,
            sha256: version?.sha256,
            version: version?.number,
            durability: version?.durability,
            encryption: version?.encryption,
            contentType: version?.contentType,
            modified: modified,
            attrs: attrs,
            tags: tags,
            trashedAt: trashedAt,
            children: children,
            access: access == .owner ? nil : access.grantText
        )
    }
}

extension [NodeRecord] {
    /// The storage choice the nearest of these directories (root first) made, field by field.
    var nearestStorage: StorageSettings {
        var chosen = StorageSettings()
        for node in self where node.kind == .dir {
            chosen.durability = node.storage.durability ?? chosen.durability
            chosen.encryption = node.storage.encryption ?? chosen.encryption
        }
        return chosen
    }
}

/// One chunk of a version, in order: on backends through chunk, or kept inline in PostgreSQL.
struct ChunkPart: Sendable, Equatable {
    var chunkID: String
    var size: Int64
    /// The sealed content of an inline chunk (nil: its shards are on backends).
    var inline: InlineContent? = nil
}

/// A version ready to be committed: every chunk is stored.
struct NewVersion: Sendable {
    var size: Int64
    var sha256: String
    /// nil: the nearest directory's choice, else the user's, else the default, resolved as it commits.
    var durability: String?
    /// As `durability`; an inline version is always sealed (`aes256-gcm`).
    var encryption: String?
    var contentType: String
    var chunks: [ChunkPart]
}
