import NIOCore
import NIOWebSocket
import StrypeAgentWire
import Testing

@Suite("wordwise WebSocket unmasking")
struct WordwiseUnmaskingTests {
    /// Every length around the word size and a few larger ones, at every key offset: the same bytes as NIO's
    /// byte-at-a-time mask, and masking twice gives back the original.
    @Test func matchesNIOAndIsItsOwnInverse() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...40) + [1021, 4096, 65_539] {
            let original = ByteBuffer(
                bytes: (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            )
            let key = WebSocketMaskingKey.random(using: &generator)
            var ours = original
            ours.applyWebSocketMask(key)
            var theirs = original
            theirs.webSocketMask(key)
            #expect(ours == theirs, "length \(length)")
            if length >= 8 { #expect(ours != original) }
            ours.applyWebSocketMask(key)
            #expect(ours == original)
        }
    }

    /// A slice that starts inside a larger buffer is masked from its own first byte, as a frame's payload is.
    @Test func masksASliceFromItsOwnStart() {
        var whole = ByteBuffer(bytes: Array(repeating: 0, count: 64))
        whole.moveReaderIndex(forwardBy: 3)
        let key = WebSocketMaskingKey([1, 2, 3, 4])!
        whole.applyWebSocketMask(key)
        #expect(Array(whole.readableBytesView.prefix(8)) == [1, 2, 3, 4, 1, 2, 3, 4])
    }
}
