import NIOCore
import NIOWebSocket
import WSCore

/// Unmasks the frames agents send eight bytes at a time, before the WebSocket handler sees them. NIO unmasks a byte
/// at a time, which was a tenth of array's CPU while it relayed a download; frames leave this already unmasked.
public struct WordwiseUnmasking: WebSocketExtension {
    public let name = "cloudstrype-wordwise-unmasking"

    public init() {}

    public func processReceivedFrame(
        _ frame: WebSocketFrame,
        context: WebSocketExtensionContext
    ) async throws -> WebSocketFrame {
        guard let key = frame.maskKey else { return frame }
        var frame = frame
        frame.data.applyWebSocketMask(key)
        frame.maskKey = nil
        return frame
    }

    public func processFrameToSend(
        _ frame: WebSocketFrame,
        context: WebSocketExtensionContext
    ) async throws -> WebSocketFrame {
        frame
    }

    public func shutdown() async {}
}

extension ByteBuffer {
    /// XORs the readable bytes with `key` repeated (RFC 6455 §5.3), a machine word at a time; the same operation
    /// masks and unmasks.
    package mutating func applyWebSocketMask(_ key: WebSocketMaskingKey) {
        let keyBytes = Array(key)
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { word in
            for index in 0..<8 { word[index] = keyBytes[index % 4] }
        }
        withUnsafeMutableReadableBytes { bytes in
            var offset = 0
            while offset + 8 <= bytes.count {
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                bytes.storeBytes(of: word ^ pattern, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < bytes.count {
                bytes[offset] ^= keyBytes[offset % 4]
                offset += 1
            }
        }
    }
}
