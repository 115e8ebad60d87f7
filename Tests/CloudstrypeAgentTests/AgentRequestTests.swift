import Foundation
import NIOCore
import StrypeAgentWire
import StrypeCore
import Testing

@testable import CloudstrypeAgent

@Suite("agent requests")
struct AgentRequestTests {
    static func session() throws -> AgentSession {
        let store = try ObjectDirectory(root: ObjectDirectoryTests.scratch(), capacity: 1 << 20)
        let config = AgentConfig(server: "http://x", memberID: "m", name: "n", token: "csa_t")
        return AgentSession(config: config, store: store, console: Console(), version: "test")
    }

    static func request(_ op: AgentOp, key: String? = "k", payload: ByteBuffer = ByteBuffer()) -> AgentMessage {
        var header = AgentFrameHeader(op: op, id: 9)
        header.key = key
        return AgentMessage(header: header, payload: payload)
    }

    @Test("put, stat, get, audit, list, delete; each reply keeps the request's id")
    func operations() async throws {
        let session = try Self.session()
        let data = ByteBuffer(bytes: Array(repeating: 3, count: 100))
        var (reply, _) = await session.answer(Self.request(.put, payload: data))
        #expect(reply.status == AgentStatus.ok && reply.id == 9)
        (reply, _) = await session.answer(Self.request(.stat))
        #expect(reply.size == 100)
        let (got, payload) = await session.answer(Self.request(.get))
        #expect(got.status == AgentStatus.ok && payload == data)
        var audit = Self.request(.audit)
        audit.header.nonce = String(repeating: "ab", count: 32)
        (reply, _) = await session.answer(audit)
        #expect(reply.proof?.count == 64)
        (reply, _) = await session.answer(Self.request(.list, key: nil))
        #expect(reply.keys == ["k"])
        (reply, _) = await session.answer(Self.request(.delete))
        #expect(reply.status == AgentStatus.ok)
        (reply, _) = await session.answer(Self.request(.get))
        #expect(reply.status == AgentStatus.notFound)
    }

    @Test("requests without what they need are refused with invalid_request")
    func invalid() async throws {
        let session = try Self.session()
        var (reply, _) = await session.answer(Self.request(.get, key: nil))
        #expect(reply.status == AgentStatus.invalid)
        var audit = Self.request(.audit)
        audit.header.nonce = "zz"
        (reply, _) = await session.answer(audit)
        #expect(reply.status == AgentStatus.invalid)
        (reply, _) = await session.answer(Self.request(.hello))
        #expect(reply.status == AgentStatus.invalid)
        let (pong, _) = await session.answer(Self.request(.ping, key: nil))
        #expect(pong.op == .pong && pong.capacity == 1 << 20)
    }

    @Test("fuzz: the ByteBuffer parser agrees with the codec on random and mutated messages (bounded)")
    func differentialFuzz() {
        var random = SystemRandomNumberGenerator()
        var header = AgentFrameHeader(op: .put, id: 1)
        header.key = "chunks/a"
        let seed = AgentFrameCodec.encode(AgentFrame(header: header, payload: [1, 2, 3, 4]))
        var accepted = 0
        for _ in 0..<3_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                switch Int.random(in: 0...2, using: &random) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = .random(in: 0...255, using: &random)
                case 1: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
                default: bytes.append(.random(in: 0...255, using: &random))
                }
                if bytes.isEmpty { bytes = [0] }
            }
            let codec = try? AgentFrameCodec.decode(bytes)
            var buffer = ByteBuffer(bytes: [9, 9])
            buffer.moveReaderIndex(forwardBy: 2)
            buffer.writeBytes(bytes)
            let message = try? AgentMessage(decoding: buffer)
            #expect((codec == nil) == (message == nil))
            if let codec, let message {
                #expect(codec.header == message.header && codec.payload == Array(message.payload.readableBytesView))
                accepted += 1
            }
        }
        #expect(accepted > 0)
    }
}
