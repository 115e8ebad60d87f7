/// The five services of the suite; the raw value is the product name, the gateway prefix and the Postgres schema.
public enum ServiceName: String, CaseIterable, Codable, Sendable {
    case auth
    case cloud
    case array
    case chunk
    case filesystem

    /// The Postgres schema this service owns (`fs` for filesystem, as DESIGN §3 names it).
    public var schema: String {
        self == .filesystem ? "fs" : rawValue
    }

    /// The environment variable through which other services find this one (`AUTH_URL`, ...).
    public var urlVariable: String {
        rawValue.uppercased() + "_URL"
    }

    /// The variable naming the internal listeners of a peer, e.g. `CHUNK_INTERNAL_URL`.
    public var internalURLVariable: String {
        rawValue.uppercased() + "_INTERNAL_URL"
    }

    /// The port each service listens on by default; `Deploy/run` and the compose file use the same.
    public var defaultPort: Int {
        switch self {
        case .auth: 8081
        case .cloud: 8082
        case .array: 8083
        case .chunk: 8084
        case .filesystem: 8085
        }
    }
}
