import Foundation

/// `POST /accounts`: an S3-compatible bucket (`provider: "s3"`), a Google Cloud Storage bucket with a service
/// account's JSON key (`"gcs"`), or a server-side directory (`"local"`, admins).
public struct CreateAccountRequest: Codable, Sendable {
    public var provider: String
    public var name: String
    public var endpoint: String?
    public var region: String?
    public var bucket: String?
    public var prefix: String?
    public var pathStyle: Bool?
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var path: String?
    /// A Google service account's JSON key, as text (gcs).
    public var serviceAccountKey: String?

    public init(
        provider: String,
        name: String,
        endpoint: String? = nil,
        region: String? = nil,
        bucket: String? = nil,
        prefix: String? = nil,
        pathStyle: Bool? = nil,
        accessKeyID: String? = nil,
        secretAccessKey: String? = nil,
        path: String? = nil,
        serviceAccountKey: String? = nil
    ) {
        self.provider = provider
        self.name = name
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.pathStyle = pathStyle
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.path = path
        self.serviceAccountKey = serviceAccountKey
    }
}

/// `PATCH /accounts/{id}`: rename, or (admins) share with every user.
public struct UpdateAccountRequest: Codable, Sendable {
    public var name: String?
    public var shared: Bool?

    public init(name: String? = nil, shared: Bool? = nil) {
        self.name = name
        self.shared = shared
    }
}

/// A provider account as the API shows it: never the secret; the access key id only to its owner.
public struct AccountResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var provider: String
    public var endpoint: String?
    public var region: String?
    public var bucket: String?
    public var prefix: String?
    public var pathStyle: Bool?
    public var path: String?
    public var accessKeyID: String?
    public var shared: Bool
    public var owned: Bool
    public var health: String
    public var healthReason: String?
    public var capacity: Int64?
    public var used: Int64
    public var objects: Int64
    public var createdAt: Date

    public init(
        id: UUID,
        provider: String,
        name: String,
        endpoint: String?,
        region: String?,
        bucket: String?,
        prefix: String?,
        pathStyle: Bool?,
        path: String?,
        accessKeyID: String?,
        shared: Bool,
        owned: Bool,
        health: String,
        healthReason: String?,
        capacity: Int64?,
        used: Int64,
        objects: Int64,
        createdAt: Date
    ) {
        (self.id, self.provider, self.name) = (id, provider, name)
        (self.endpoint, self.region, self.bucket, self.prefix) = (endpoint, region, bucket, prefix)
        (self.pathStyle, self.path, self.accessKeyID) = (pathStyle, path, accessKeyID)
        self.shared = shared
        self.owned = owned
        self.health = health
        self.healthReason = healthReason
        self.capacity = capacity
        self.used = used
        self.objects = objects
        self.createdAt = createdAt
    }
}

/// An object written: its key, size and SHA-256.
public struct ObjectResponse: Codable, Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var sha256: String

    public init(key: String, size: Int64, sha256: String) {
        self.key = key
        self.size = size
        self.sha256 = sha256
    }
}

/// Where the seed route stored a chunk.
public struct ChunkLocationsResponse: Codable, Sendable, Equatable {
    public var chunkID: String
    public var size: Int64
    public var sha256: String
    public var accounts: [UUID]

    public init(chunkID: String, size: Int64, sha256: String, accounts: [UUID]) {
        self.chunkID = chunkID
        self.size = size
        self.sha256 = sha256
        self.accounts = accounts
    }
}
