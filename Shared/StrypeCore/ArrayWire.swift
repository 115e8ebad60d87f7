import Foundation

/// An array member as the API shows it (`GET /members`): a desktop agent donating disk.
public struct MemberResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var ownerID: UUID
    public var capacity: Int64
    public var free: Int64
    public var objects: Int64
    public var bytes: Int64
    public var online: Bool
    public var lastSeen: Date?
    public var shared: Bool
    public var version: String?

    public init(
        id: UUID,
        name: String,
        ownerID: UUID,
        capacity: Int64,
        free: Int64,
        objects: Int64,
        bytes: Int64,
        online: Bool,
        lastSeen: Date?,
        shared: Bool,
        version: String?
    ) {
        self.id = id
        self.name = name
        self.ownerID = ownerID
        self.capacity = capacity
        self.free = free
        self.objects = objects
        self.bytes = bytes
        self.online = online
        self.lastSeen = lastSeen
        self.shared = shared
        self.version = version
    }
}

/// `PATCH /members/{id}`: rename (owner), or share with every user's placement (admins).
public struct UpdateMemberRequest: Codable, Sendable {
    public var name: String?
    public var shared: Bool?

    public init(name: String? = nil, shared: Bool? = nil) {
        self.name = name
        self.shared = shared
    }
}

/// An object stored on a member: `PUT …/objects/{key}` and `HEAD`.
public struct MemberObjectResponse: Codable, Sendable, Equatable {
    public var memberID: UUID
    public var key: String
    public var size: Int64
    public var sha256: String

    public init(memberID: UUID, key: String, size: Int64, sha256: String) {
        self.memberID = memberID
        self.key = key
        self.size = size
        self.sha256 = sha256
    }
}

/// The outcome of `POST /members/{id}/audit/{key}`: `held` or `lost`, and how it was proven.
public struct AuditResponse: Codable, Sendable, Equatable {
    public var memberID: UUID
    public var key: String
    public var status: String
    /// `challenge` (a precomputed nonce answered without sending data) or `download` (read back and hashed).
    public var method: String
    public var reason: String?

    public init(memberID: UUID, key: String, status: String, method: String, reason: String?) {
        self.memberID = memberID
        self.key = key
        self.status = status
        self.method = method
        self.reason = reason
    }
}

/// The seed route's answer: where the replicas of a chunk went.
public struct ArraySeedResponse: Codable, Sendable, Equatable {
    public var chunkID: String
    public var size: Int64
    public var sha256: String
    public var replicas: [UUID]

    public init(chunkID: String, size: Int64, sha256: String, replicas: [UUID]) {
        self.chunkID = chunkID
        self.size = size
        self.sha256 = sha256
        self.replicas = replicas
    }
}

/// A member coming online or going offline, published on `array:members` for chunk's placement and repair.
public struct MemberEvent: Codable, Sendable, Equatable {
    public var memberID: UUID
    public var state: String

    public init(memberID: UUID, state: String) {
        self.memberID = memberID
        self.state = state
    }

    public static let channel = "array:members"
}

/// An object whose audit failed, published on `array:objects-lost` so chunk repairs the shard.
public struct LostObjectEvent: Codable, Sendable, Equatable {
    public var memberID: UUID
    public var key: String
    public var reason: String

    public init(memberID: UUID, key: String, reason: String) {
        self.memberID = memberID
        self.key = key
        self.reason = reason
    }

    public static let channel = "array:objects-lost"
}
