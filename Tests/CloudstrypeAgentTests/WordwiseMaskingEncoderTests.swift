import NIOCore
import NIOEmbedded
import NIOWebSocket
import StrypeAgentWire
import Testing

@Suite("wordwise WebSocket masking encoder")
struct WordwiseMaskingEncoderTests {
    /// Frames of every length class (7-bit, 16-bit, 64-bit lengths), masked and not, written by our encoder and
    /// read back by NIO's decoder: the same flags, opcode and payload.
    @Test func nioDecodesWhatItWrites() throws {
        var generator = SystemRandomNumberGenerator()
        let encoder = EmbeddedChannel(handler: WordwiseMaskingEncoder())
        let decoder = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 20)))
        var sent: [WebSocketFrame] = []
        for (length, masked) in [(0, true), (5, true), (125, false), (126, true), (65_535, true), (70_001, true)] {
            let payload = ByteBuffer(
                bytes: (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            )
            let frame = WebSocketFrame(
                fin: length != 126,
                opcode: length == 0 ? .ping : .binary,
                maskKey: masked ? .random(using: &generator) : nil,
                data: payload
            )
            sent.append(frame)
            try encoder.writeOutbound(frame)
        }
        while let bytes = try encoder.readOutbound(as: ByteBuffer.self) { try decoder.writeInbound(bytes) }
        for frame in sent {
            let received = try #require(try decoder.readInbound(as: WebSocketFrame.self))
            #expect(received.fin == frame.fin && received.opcode == frame.opcode)
            #expect(received.maskKey == frame.maskKey)
            #expect(received.unmaskedData == frame.data, "length \(frame.data.readableBytes)")
            if frame.maskKey != nil, frame.data.readableBytes >= 8 { #expect(received.data != frame.data) }
        }
        #expect(try decoder.readInbound(as: WebSocketFrame.self) == nil)
    }
}
