/// A decoded Redis reply.
package enum RedisValue: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8])
    case null
    case array([RedisValue])

    /// The reply as text, for bulk and status replies.
    package var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The reply as a number, for integer replies and numeric bulk replies.
    package var integer: Int? {
        switch self {
        case .integer(let value): value
        case .bulk, .status: string.flatMap { Int($0) }
        default: nil
        }
    }

    /// The elements of an array reply; empty for null.
    package var array: [RedisValue]? {
        switch self {
        case .array(let values): values
        case .null: []
        default: nil
        }
    }
}

/// Why a Redis call failed: the server answered an error, or the connection could not be made or broke.
package enum RedisError: Error, CustomStringConvertible, Equatable {
    case server(String)
    case connection(String)
    case unexpectedReply(String)
    case shutdown

    package var description: String {
        switch self {
        case .server(let message): "redis error: \(message)"
        case .connection(let message): "redis unreachable: \(message)"
        case .unexpectedReply(let detail): "unexpected redis reply: \(detail)"
        case .shutdown: "redis client is shut down"
        }
    }
}
