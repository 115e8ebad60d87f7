import NIOCore
import StrypeCore

/// A frame as it arrived: the checked header, and the payload left in the buffer it came in (no copy).
public struct AgentMessage: Sendable {
    public var header: AgentFrameHeader
    public var payload: ByteBuffer

    public init(header: AgentFrameHeader, payload: ByteBuffer = ByteBuffer()) {
        self.header = header
        self.payload = payload
    }

    /// Decodes one whole WebSocket message with the limits of `AgentFrameCodec`.
    public init(decoding buffer: ByteBuffer) throws(AgentFrameError) {
        let view = buffer.readableBytesView
        let length = try AgentFrameCodec.headerLength(view)
        let start = view.startIndex
        let json = view[(start + 4)..<(start + 4 + length)]
        let payloadCount = view.count - 4 - length
        header = try AgentFrameCodec.decodeHeader(json: json, payloadCount: payloadCount)
        payload = buffer.getSlice(at: buffer.readerIndex + 4 + length, length: payloadCount) ?? ByteBuffer()
    }

    /// The payload as a lower-case status: `ok`, or the error code of a failed reply.
    public var isSuccess: Bool { header.status == AgentStatus.ok }
}

/// The `status` values of replies: `ok`, or an error code with a message in `error`.
public enum AgentStatus {
    public static let ok = "ok"
    public static let notFound = "not_found"
    public static let insufficientSpace = "insufficient_space"
    public static let invalid = "invalid_request"
    /// A put whose payload does not match its `sha256`.
    public static let checksumMismatch = "checksum_mismatch"
    public static let failed = "error"
}

extension AgentFrameHeader {
    /// An error reply with a code from `AgentStatus`.
    public func errorReply(code: String, _ message: String) -> AgentFrameHeader {
        var header = errorReply(message)
        header.status = code
        return header
    }
}
