/// `POST /internal/usage/{user}` (filesystem, internal listener, service tokens): raw bytes a user stored (positive)
/// or removed (negative) outside files, counted against the quota.
public struct UsageChargeRequest: Codable, Sendable, Equatable {
    public var bytes: Int64

    public init(bytes: Int64) {
        self.bytes = bytes
    }
}

/// The answer of `POST /internal/usage/{user}`: the user's usage after the change (file bytes and raw bytes) and
/// the quota in force (nil: none).
public struct UsageChargeResponse: Codable, Sendable, Equatable {
    public var bytes: Int64
    public var quota: Int64?

    public init(bytes: Int64, quota: Int64?) {
        self.bytes = bytes
        self.quota = quota
    }

    /// Writes `quota: null` when there is none, rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(quota, forKey: .quota)
    }
}
