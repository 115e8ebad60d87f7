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
        // The payload is a slice of the read buffer, so unmasking it in place would copy it first: one pass instead.
        var unmasked = ByteBufferAllocator().buffer(capacity: frame.data.readableBytes)
        unmasked.writeMasked(frame.data, key: key)
        frame.data = unmasked
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
    /// Appends `source`'s readable bytes XORed with `key` repeated (RFC 6455 §5.3), a machine word at a time, the
    /// key's phase starting `keyOffset` bytes into the payload; the same operation masks and unmasks. Copying and
    /// masking in one pass reads and writes each byte once.
    package mutating func writeMasked(_ source: ByteBuffer, key: WebSocketMaskingKey, keyOffset: Int = 0) {
        let keyBytes = Array(key)
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { word in
            for index in 0..<8 { word[index] = keyBytes[(index + keyOffset) % 4] }
        }
        let count = source.readableBytes
        source.withUnsafeReadableBytes { input in
            _ = writeWithUnsafeMutableBytes(minimumWritableBytes: count) { output in
                var offset = 0
                while offset + 8 <= count {
                    let word = input.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    output.storeBytes(of: word ^ pattern, toByteOffset: offset, as: UInt64.self)
                    offset += 8
                }
                while offset < count {
                    output[offset] = input[offset] ^ keyBytes[(offset + keyOffset) % 4]
                    offset += 1
                }
                return count
            }
        }
    }
}
