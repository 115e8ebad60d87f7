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
    /// The user's own key/value metadata and tags.
    public var attrs: [String: String]?
    public var tags: [String]?
    /// When it went to the trash (only in trash listings).
    public var trashedAt: Date?
    /// A directory's entries, down to the depth asked for (folders first, then by name).
    public var children: [NodeResponse]?
    /// What the caller may do when the node is another user's, shared by a grant (`read` or `read-write`); the
    /// path then starts at the shared directory.
    public var access: String?
    /// In listings: the directory has entries the answer leaves out; `cursor=<next>` on the node's id lists them.
    public var next: String?

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
        attrs: [String: String]? = nil,
        tags: [String]? = nil,
        trashedAt: Date? = nil,
        children: [NodeResponse]? = nil,
        access: String? = nil,
        next: String? = nil
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
        self.attrs = attrs
        self.tags = tags
        self.trashedAt = trashedAt
        self.children = children
        self.access = access
        self.next = next
    }
}

/// `POST /dirs`: the directory to create, with any missing parents, by `path` in the caller's tree, or by `name`
/// in the directory `parent_id` (which may be shared with the caller).
public struct MakeDirectoryRequest: Codable, Sendable {
    public var path: String?
    public var parentID: UUID?
    public var name: String?

    public init(path: String? = nil, parentID: UUID? = nil, name: String? = nil) {
        self.path = path
        self.parentID = parentID
        self.name = name
    }
}

/// `POST /info/{id}`: new metadata; what is absent stays.
public struct UpdateNodeRequest: Codable, Sendable {
    public var name: String?
    public var attrs: [String: String]?
    public var tags: [String]?

    public init(name: String? = nil, attrs: [String: String]? = nil, tags: [String]? = nil) {
        self.name = name
        self.attrs = attrs
        self.tags = tags
    }
}

/// `POST /info/{id}/move`: the node's new path (a move, a rename, or both) in the caller's tree, or the directory
/// `parent_id` to move it into (keeping its name unless `name` is given).
public struct MoveRequest: Codable, Sendable {
    public var to: String?
    public var parentID: UUID?
    public var name: String?

    public init(to: String? = nil, parentID: UUID? = nil, name: String? = nil) {
        self.to = to
        self.parentID = parentID
        self.name = name
    }
}

/// One stored version of a file, in `GET /info/{id}/versions`.
public struct VersionResponse: Codable, Sendable, Equatable {
    public var version: Int
    public var size: Int64
    public var sha256: String
    public var durability: String
    public var encryption: String
    public var contentType: String
    public var created: Date
    public var current: Bool

    public init(
        version: Int,
        size: Int64,
        sha256: String,
        durability: String,
        encryption: String,
        contentType: String,
        created: Date,
        current: Bool
    ) {
        self.version = version
        self.size = size
        self.sha256 = sha256
        self.durability = durability
        self.encryption = encryption
        self.contentType = contentType
        self.created = created
        self.current = current
    }
}

/// `GET /usage`: what the user stores (every version and the trash count) against the quota.
public struct UsageResponse: Codable, Sendable, Equatable {
    public var bytes: Int64
    public var files: Int64
    /// nil: no quota.
    public var quota: Int64?

    public init(bytes: Int64, files: Int64, quota: Int64?) {
        self.bytes = bytes
        self.files = files
        self.quota = quota
    }

    /// Writes `quota: null` when there is none, rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(files, forKey: .files)
        try container.encode(quota, forKey: .quota)
    }
}

/// `GET/PUT /settings` (the user's) and `?path=` (a directory's override): how new files are stored.
public struct StorageSettings: Codable, Sendable, Equatable {
    public var durability: String?
    public var encryption: String?

    public init(durability: String? = nil, encryption: String? = nil) {
        self.durability = durability
        self.encryption = encryption
    }
}

/// `POST /info/{id}/links`: how long the link lives (seconds; absent: until revoked).
public struct CreateLinkRequest: Codable, Sendable {
    public var expiresIn: Int64?

    public init(expiresIn: Int64? = nil) {
        self.expiresIn = expiresIn
    }
}

/// A share link. `token` and `url` are only in the answer that creates it: the server keeps a hash.
public struct LinkResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var fileID: UUID
    public var token: String?
    public var url: String?
    public var expires: Date?
    public var created: Date

    public init(id: UUID, fileID: UUID, token: String?, url: String?, expires: Date?, created: Date) {
        self.id = id
        self.fileID = fileID
        self.token = token
        self.url = url
        self.expires = expires
        self.created = created
    }
}

/// `POST /uploads`: a multipart upload of `size` bytes in parts of `part_size` bytes to `path` in the caller's tree,
/// or as `name` in the directory `parent_id` (which may be shared with the caller read-write).
public struct CreateUploadRequest: Codable, Sendable {
    public var path: String?
    public var parentID: UUID?
    public var name: String?
    public var size: Int64
    public var partSize: Int64

    public init(path: String? = nil, parentID: UUID? = nil, name: String? = nil, size: Int64, partSize: Int64) {
        self.path = path
        self.parentID = parentID
        self.name = name
        self.size = size
        self.partSize = partSize
    }
}

/// One part of a multipart upload: where to `PUT` it (a signed URL, no token needed) until when.
public struct UploadPartResponse: Codable, Sendable, Equatable {
    public var part: Int
    public var size: Int64
    public var url: String
    public var expires: Date
    public var received: Bool

    public init(part: Int, size: Int64, url: String, expires: Date, received: Bool) {
        self.part = part
        self.size = size
        self.url = url
        self.expires = expires
        self.received = received
    }
}

/// A multipart upload session.
public struct UploadSessionResponse: Codable, Sendable, Equatable {
    public var uploadID: UUID
    public var path: String
    public var size: Int64
    public var partSize: Int64
    public var expires: Date
    /// At most 1,000 parts per answer, from the one asked for.
    public var parts: [UploadPartResponse]
    /// The first part this answer leaves out (`GET /uploads/{id}?from=<next_part>`); nil when none is.
    public var nextPart: Int?

    public init(
        uploadID: UUID,
        path: String,
        size: Int64,
        partSize: Int64,
        expires: Date,
        parts: [UploadPartResponse],
        nextPart: Int? = nil
    ) {
        self.uploadID = uploadID
        self.path = path
        self.size = size
        self.partSize = partSize
        self.expires = expires
        self.parts = parts
        self.nextPart = nextPart
    }
}

/// `POST /info/{id}/grants`: shares a directory with a user (by email) or a group (by name), `read` or
/// `read-write`.
public struct CreateGrantRequest: Codable, Sendable {
    public var user: String?
    public var group: String?
    public var access: String

    public init(user: String? = nil, group: String? = nil, access: String) {
        self.user = user
        self.group = group
        self.access = access
    }
}

/// A user or a group, as directory grants name them (auth's `GET /lookup/...` answers one).
public struct Grantee: Codable, Sendable, Equatable {
    /// `user` or `group`.
    public var kind: String
    public var id: UUID
    /// The user's email or the group's name.
    public var name: String

    public init(kind: String, id: UUID, name: String) {
        self.kind = kind
        self.id = id
        self.name = name
    }
}

/// A directory shared with a user or group.
public struct GrantResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var nodeID: UUID
    public var grantee: Grantee
    /// `read` or `read-write`.
    public var access: String
    public var created: Date
    /// The shared directory, in `GET /shared` (with its path from itself: `/name`).
    public var node: NodeResponse?

    public init(id: UUID, nodeID: UUID, grantee: Grantee, access: String, created: Date, node: NodeResponse? = nil) {
        self.id = id
        self.nodeID = nodeID
        self.grantee = grantee
        self.access = access
        self.created = created
        self.node = node
    }
}

/// `POST /info/{id}/download`: a URL that downloads the file without an `Authorization` header (a browser's plain
/// navigation streams it to disk), valid until `expires`.
public struct DownloadTicketResponse: Codable, Sendable, Equatable {
    public var url: String
    public var expires: Date

    public init(url: String, expires: Date) {
        self.url = url
        self.expires = expires
    }
}
