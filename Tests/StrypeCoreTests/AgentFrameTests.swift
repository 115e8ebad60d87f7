import StrypeCore
import Testing

/// A small deterministic generator (SplitMix64), so a failing fuzz case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("agent frames")
struct AgentFrameTests {
    static func frame(_ op: AgentOp, payload: [UInt8] = []) -> AgentFrame {
        var header = AgentFrameHeader(op: op, id: 42)
        header.key = "chunks/ab/abcdef.0"
        header.nonce = op == .audit ? "00ff" : nil
        return AgentFrame(header: header, payload: payload)
    }

    @Test("every op round-trips, with and without payload", arguments: AgentOp.allCases)
    func roundTrip(op: AgentOp) throws {
        for payload in [[], [0], Array(0...255).map(UInt8.init)] as [[UInt8]] {
            let original = Self.frame(op, payload: payload)
            let decoded = try AgentFrameCodec.decode(AgentFrameCodec.encode(original))
            #expect(decoded.payload == payload)
            #expect(decoded.header.op == op && decoded.header.id == 42 && decoded.header.key == original.header.key)
            #expect(decoded.header.size == (payload.isEmpty ? nil : Int64(payload.count)))
        }
    }

    @Test("the layout is u32 big-endian header length, JSON header, payload")
    func layout() throws {
        let bytes = AgentFrameCodec.encode(Self.frame(.put, payload: [7, 8, 9]))
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        let json = String(decoding: bytes[4..<(4 + length)], as: UTF8.self)
        #expect(json.hasPrefix("{") && json.contains("\"op\":\"put\"") && json.contains("\"size\":3"))
        #expect(Array(bytes.suffix(3)) == [7, 8, 9])
    }

    @Test("replies keep op, id and key; errors say why")
    func replies() {
        let request = Self.frame(.get).header
        #expect(request.reply().status == "ok" && request.reply().id == 42 && request.reply().op == .get)
        let failure = request.errorReply("no such object")
        #expect(failure.status == "error" && failure.error == "no such object" && failure.key == request.key)
    }

    @Test("hostile frames are refused with a reason")
    func refused() {
        func header(_ json: String) -> [UInt8] {
            let bytes = Array(json.utf8)
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
        }
        #expect(throws: AgentFrameError.truncated) { try AgentFrameCodec.decode([0, 0]) }
        #expect(throws: AgentFrameError.truncated) { try AgentFrameCodec.decode([0, 0, 0, 10, 1, 2]) }
        #expect(throws: AgentFrameError.truncated) { try AgentFrameCodec.decode([0, 0, 0, 0]) }
        #expect(throws: AgentFrameError.headerTooLarge(1 << 24)) {
            try AgentFrameCodec.decode([1, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        }
        #expect(throws: AgentFrameError.self) { try AgentFrameCodec.decode(header("{\"op\":\"put\"")) }
        #expect(throws: AgentFrameError.self) {
            try AgentFrameCodec.decode(header("{\"op\":\"format-disk\",\"id\":1}"))
        }
        #expect(throws: AgentFrameError.self) { try AgentFrameCodec.decode(header("{\"op\":\"put\",\"id\":-1}")) }
        #expect(throws: AgentFrameError.payloadSizeMismatch(declared: 5, actual: 2)) {
            try AgentFrameCodec.decode(header("{\"op\":\"put\",\"id\":1,\"size\":5}") + [1, 2])
        }
        #expect(throws: AgentFrameError.payloadSizeMismatch(declared: 0, actual: 1)) {
            try AgentFrameCodec.decode(header("{\"op\":\"get\",\"id\":1}") + [1])
        }
        #expect(throws: AgentFrameError.payloadTooLarge(-3)) {
            try AgentFrameCodec.decode(header("{\"op\":\"put\",\"id\":1,\"size\":-3}"))
        }
        #expect(throws: AgentFrameError.payloadTooLarge(1 << 40)) {
            try AgentFrameCodec.decode(header("{\"op\":\"put\",\"id\":1,\"size\":1099511627776}"))
        }
        for key in ["../../etc/passwd", "/abs", "a//b", "", "sp ace"] {
            #expect(throws: AgentFrameError.self, "\(key)") {
                try AgentFrameCodec.decode(header("{\"op\":\"get\",\"id\":1,\"key\":\"\(key)\"}"))
            }
        }
    }

    @Test("fuzz: random and mutated frames never crash the parser (bounded)", arguments: [1, 2, 3, 4] as [UInt64])
    func fuzz(seed: UInt64) {
        var random = SplitMix64(state: seed)
        let seeds = AgentOp.allCases.map {
            AgentFrameCodec.encode(Self.frame($0, payload: $0.requestHasPayload ? [1, 2, 3] : []))
        }
        var accepted = 0
        var refused = 0
        for iteration in 0..<5_000 {
            var bytes: [UInt8]
            if iteration % 4 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            } else {
                bytes = seeds[Int.random(in: 0..<seeds.count, using: &random)]
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    switch Int.random(in: 0...3, using: &random) {
                    case 0 where !bytes.isEmpty:
                        bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(
                            in: 0...255,
                            using: &random
                        )
                    case 1 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
                    case 2:
                        bytes.insert(
                            UInt8.random(in: 0...255, using: &random),
                            at: Int.random(in: 0...bytes.count, using: &random)
                        )
                    default: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
                    }
                }
            }
            do {
                let frame = try AgentFrameCodec.decode(bytes)
                // Whatever is accepted is consistent and survives a round trip.
                #expect(Int64(frame.payload.count) == (frame.header.size ?? 0))
                let again = try AgentFrameCodec.decode(AgentFrameCodec.encode(frame))
                #expect(again.payload == frame.payload && again.header.id == frame.header.id)
                accepted += 1
            } catch {
                refused += 1
            }
        }
        #expect(accepted + refused == 5_000)
        #expect(refused > 0, "mutations must be caught")
    }
}
