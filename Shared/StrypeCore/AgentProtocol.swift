import Foundation

/// The operations of the agent protocol (DESIGN §3 array). A reply carries the op of its request and its `id`.
public enum AgentOp: String, Codable, Sendable, CaseIterable {
    /// Agent → server on connect: member id, version, capacity, free space.
    case hello
    case put
    case get
    case delete
    case stat
    /// Paged listing: `cursor` and `limit` in, `keys` and the next `cursor` out.
    case list
    /// Proof of possession: the server sends a fresh `nonce`, the agent answers `proof = sha256(nonce ‖ bytes)`.
    case audit
    case ping
    case pong

    /// Ops whose request carries a payload (`size` bytes).
    public var requestHasPayload: Bool { self == .put }
    /// Ops whose successful reply carries a payload.
    public var replyHasPayload: Bool { self == .get }
}

/// The JSON header of a frame. Requests set `op`, `id` and the op's fields; replies add `status` (`ok` or `error`)
/// and, on error, `error`.
public struct AgentFrameHeader: Codable, Sendable, Equatable {
    public var op: AgentOp
    public var id: UInt64
    public var key: String?
    /// Bytes of payload that follow the header.
    public var size: Int64?
    public var status: String?
    public var error: String?
    public var nonce: String?
    public var proof: String?
    public var memberID: String?
    public var version: String?
    public var capacity: Int64?
    public var free: Int64?
    public var cursor: String?
    public var limit: Int?
    public var keys: [String]?
    public var sha256: String?
    /// On `get`: false when the caller checks the bytes itself (chunk authenticates every chunk it reads), so the agent
    /// sends them without hashing; absent, the reply carries their `sha256`.
    public var digest: Bool?
    /// What the agent holds: object count and bytes (in `hello` and `pong`).
    public var objects: Int64?
    public var bytes: Int64?
    /// The member's name, sent back in the server's `hello` reply.
    public var name: String?

    public init(op: AgentOp, id: UInt64) {
        self.op = op
        self.id = id
    }

    /// A reply to this request: same op and id, `status: ok`.
    public func reply() -> AgentFrameHeader {
        var header = AgentFrameHeader(op: op, id: id)
        header.status = "ok"
        header.key = key
        return header
    }

    /// An error reply to this request.
    public func errorReply(_ message: String) -> AgentFrameHeader {
        var header = AgentFrameHeader(op: op, id: id)
        header.status = "error"
        header.error = message
        header.key = key
        return header
    }
}

/// Close codes of the agent WebSocket beyond RFC 6455's: why the server ended a connection.
public enum AgentCloseCode {
    /// The token is invalid or was revoked: reconnecting cannot help; register again.
    public static let unauthorized: UInt16 = 4401
    /// The member was removed by its owner: reconnecting cannot help.
    public static let removed: UInt16 = 4410
    /// Another connection of the same member took over.
    public static let replaced: UInt16 = 4409
    /// The agent did not say hello in time or broke the protocol.
    public static let protocolError: UInt16 = 4400
}

/// The WebSocket transport of frames: each frame is one binary message, sent as fragments of at most
/// `fragmentBytes` and reassembled up to `maximumMessageBytes`.
public enum AgentTransport {
    public static let fragmentBytes = 1 << 20
    public static let maximumMessageBytes =
        4 + AgentFrameCodec.maximumHeaderBytes + Int(AgentFrameCodec.maximumPayloadBytes)
}

/// One protocol message: header and payload.
public struct AgentFrame: Sendable, Equatable {
    public var header: AgentFrameHeader
    public var payload: [UInt8]

    public init(header: AgentFrameHeader, payload: [UInt8] = []) {
        self.header = header
        self.payload = payload
    }
}

/// Why bytes are not a valid frame. Whoever receives one answers with an error or closes; nothing is stored.
public enum AgentFrameError: Error, Equatable, Sendable {
    case truncated
    case headerTooLarge(Int)
    case malformedHeader(String)
    case payloadTooLarge(Int64)
    case payloadSizeMismatch(declared: Int64, actual: Int)
    case invalidKey(String)
}

/// `u32 header length (big endian) ‖ JSON header ‖ payload`, with limits checked before anything is trusted.
public enum AgentFrameCodec {
    public static let maximumHeaderBytes = 16 * 1024
    /// A 64 MiB chunk plus room for shard framing.
    public static let maximumPayloadBytes: Int64 = 64 * 1024 * 1024 + 64 * 1024

    /// The bytes of a frame; `header.size` is set to the payload's length.
    public static func encode(_ frame: AgentFrame) -> [UInt8] {
        encodeHeader(frame.header, payloadCount: frame.payload.count) + frame.payload
    }

    /// The length prefix and JSON header of a frame whose payload of `payloadCount` bytes follows separately.
    public static func encodeHeader(_ header: AgentFrameHeader, payloadCount: Int) -> [UInt8] {
        var header = header
        header.size = payloadCount == 0 && header.size == nil ? nil : Int64(payloadCount)
        // Every header encodes; a failure would be a programming error, sent as an empty object the peer refuses.
        let json = Array((try? WireJSON.encode(header)) ?? Data("{}".utf8))
        let length = UInt32(json.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + json
    }

    /// A frame from one whole message, validating lengths, the header and its key.
    public static func decode(_ bytes: [UInt8]) throws(AgentFrameError) -> AgentFrame {
        let length = try headerLength(bytes)
        let header = try decodeHeader(json: bytes[4..<(4 + length)], payloadCount: bytes.count - 4 - length)
        return AgentFrame(header: header, payload: Array(bytes[(4 + length)...]))
    }

    /// The JSON header's length from the first bytes of a message, checked against the limit and what is there.
    public static func headerLength(_ bytes: some Collection<UInt8>) throws(AgentFrameError) -> Int {
        guard bytes.count >= 4 else { throw .truncated }
        let prefix = Array(bytes.prefix(4))
        let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
        guard length <= maximumHeaderBytes else { throw .headerTooLarge(length) }
        guard length > 0, bytes.count >= 4 + length else { throw .truncated }
        return length
    }

    /// The header from its JSON, checked against the payload that came with it and the key rule.
    public static func decodeHeader(json: some Collection<UInt8>, payloadCount: Int) throws(AgentFrameError)
        -> AgentFrameHeader
    {
        let header: AgentFrameHeader
        do {
            header = try WireJSON.decode(AgentFrameHeader.self, from: Array(json))
        } catch {
            throw .malformedHeader(String(describing: error).prefix(200).description)
        }
        let declared = header.size ?? 0
        guard declared >= 0, declared <= maximumPayloadBytes else { throw .payloadTooLarge(declared) }
        guard declared == Int64(payloadCount) else {
            throw .payloadSizeMismatch(declared: declared, actual: payloadCount)
        }
        if let key = header.key, let problem = StorageKey.problem(with: key) { throw .invalidKey(problem) }
        return header
    }
}
