import NIOCore
import NIOWebSocket
import StrypeAgentWire
import Testing

@Suite("wordwise WebSocket unmasking")
struct WordwiseUnmaskingTests {
    /// Every length around the word size and a few larger ones: the same bytes as NIO's byte-at-a-time mask, and
    /// masking twice gives back the original.
    @Test func matchesNIOAndIsItsOwnInverse() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...40) + [1021, 4096, 65_539] {
            let original = ByteBuffer(
                bytes: (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            )
            let key = WebSocketMaskingKey.random(using: &generator)
            var ours = ByteBuffer()
            ours.writeMasked(original, key: key)
            var theirs = original
            theirs.webSocketMask(key)
            #expect(ours == theirs, "length \(length)")
            if length >= 8 { #expect(ours != original) }
            var back = ByteBuffer()
            back.writeMasked(ours, key: key)
            #expect(back == original)
        }
    }

    /// A payload masked in two parts (extension data, then application data) continues the key where the first
    /// part left it, at every split.
    @Test func continuesTheKeyAcrossParts() {
        let original = ByteBuffer(bytes: (0..<37).map { UInt8($0 &* 7 &+ 1) })
        let key = WebSocketMaskingKey([9, 8, 7, 6])!
        var whole = original
        whole.webSocketMask(key)
        for split in 0...original.readableBytes {
            var parts = ByteBuffer()
            parts.writeMasked(original.getSlice(at: 0, length: split)!, key: key)
            parts.writeMasked(
                original.getSlice(at: split, length: original.readableBytes - split)!,
                key: key,
                keyOffset: split
            )
            #expect(parts == whole, "split \(split)")
        }
    }

    /// A slice that starts inside a larger buffer is masked from its own first byte, as a frame's payload is.
    @Test func masksASliceFromItsOwnStart() {
        var whole = ByteBuffer(bytes: Array(repeating: 0, count: 64))
        whole.moveReaderIndex(forwardBy: 3)
        let key = WebSocketMaskingKey([1, 2, 3, 4])!
        var masked = ByteBuffer()
        masked.writeMasked(whole, key: key)
        #expect(Array(masked.readableBytesView.prefix(8)) == [1, 2, 3, 4, 1, 2, 3, 4])
    }
}
