import Foundation

/// A file or directory as filesystem's routes answer it: uploads return the file, `GET /info` the tree.
public struct NodeResponse: Codable, Sendable, Equatable {
    public var id: UUID
    /// `file` or `dir`.
    public var kind: String
    public var path: String
    public var name: String
    /// Bytes of the current version (files), or 0.
    public var size: Int64
    public var sha256: String?
    public var version: Int?
    public var durability: String?
    public var encryption: String?
    public var contentType: String?
    public var modified: Date
    /// A directory's entries, down to the depth asked for (folders first, then by name).
    public var children: [NodeResponse]?

    public init(
        id: UUID,
        kind: String,
        path: String,
        name: String,
        size: Int64,
        sha256: String? = nil,
        version: Int? = nil,
        durability: String? = nil,
        encryption: String? = nil,
        contentType: String? = nil,
        modified: Date,
        children: [NodeResponse]? = nil
    ) {
        self.id = id
        self.kind = kind
        self.path = path
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.version = version
        self.durability = durability
        self.encryption = encryption
        self.contentType = contentType
        self.modified = modified
        self.children = children
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, path, name, size, sha256, version, durability, encryption, modified, children
        case contentType = "content_type"
    }
}

/// `POST /dirs`: the directory to create, with any missing parents.
public struct MakeDirectoryRequest: Codable, Sendable {
    public var path: String

    public init(path: String) {
        self.path = path
    }
}
