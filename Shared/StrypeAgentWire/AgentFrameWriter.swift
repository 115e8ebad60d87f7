import NIOCore
import NIOWebSocket
import StrypeCore
import WSCore

/// Sends frames on one WebSocket, one message at a time: the header, then the payload in fragments no larger than
/// `AgentTransport.fragmentBytes`, so the peer never has to accept one huge WebSocket frame.
public struct AgentFrameWriter: Sendable {
    private let outbound: WebSocketOutboundWriter
    private let lock = AsyncLock()

    public init(_ outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
    }

    /// Writes `header` with `payload` as one binary message; `header.size` is set from the payload.
    public func send(_ header: AgentFrameHeader, payload: ByteBuffer = ByteBuffer()) async throws {
        let prefix = ByteBuffer(bytes: AgentFrameCodec.encodeHeader(header, payloadCount: payload.readableBytes))
        try await lock.withLock {
            try await outbound.withBinaryMessageWriter { writer in
                try await writer(prefix)
                var rest = payload
                while rest.readableBytes > 0 {
                    let slice = rest.readSlice(length: min(rest.readableBytes, AgentTransport.fragmentBytes))!
                    try await writer(slice)
                }
            }
        }
    }

    /// Closes the connection with a code and a reason the peer can show (cut to fit a control frame).
    public func close(code: UInt16, reason: String) async {
        var reason = reason
        while reason.utf8.count > 120 { reason.removeLast() }
        try? await lock.withLock {
            try await outbound.close(.unknown(code), reason: reason)
        }
    }
}
