import NIOCore
import StrypeService
import Testing

@Suite("streaming multipart reader")
struct MultipartReaderTests {
    typealias Parsed = [(name: String?, filename: String?, body: [UInt8])]

    static func form(_ parts: [(String, String?, [UInt8])], boundary: String) -> [UInt8] {
        var body: [UInt8] = Array("preamble\r\n".utf8)
        for (name, filename, bytes) in parts {
            var disposition = "form-data; name=\"\(name)\""
            if let filename { disposition += "; filename=\"\(filename)\"" }
            body += Array("--\(boundary)\r\nContent-Disposition: \(disposition)\r\n\r\n".utf8) + bytes + [13, 10]
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }

    /// Feeds `body` in pieces of random sizes and collects what the reader saw.
    static func parse(_ body: [UInt8], boundary: String, maxPiece: Int) async throws -> Parsed {
        var generator = SystemRandomNumberGenerator()
        var pieces: [ByteBuffer] = []
        var at = 0
        while at < body.count {
            let size = min(Int.random(in: 1...maxPiece, using: &generator), body.count - at)
            pieces.append(ByteBuffer(bytes: body[at..<(at + size)]))
            at += size
        }
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            for piece in pieces { continuation.yield(piece) }
            continuation.finish()
        }
        let reader = MultipartReader(stream.makeAsyncIterator(), boundary: boundary)
        var parsed: Parsed = []
        while let event = try await reader.next() {
            guard case .part(let headers) = event else { continue }
            var bytes: [UInt8] = []
            for try await piece in reader.partBody() { bytes += Array(buffer: piece) }
            parsed.append((headers.name, headers.filename, bytes))
        }
        return parsed
    }

    @Test("any split of a form gives back its parts, byte for byte, even with boundary-like bytes inside")
    func roundTrip() async throws {
        var generator = SystemRandomNumberGenerator()
        let boundary = "XyZ123boundary"
        for round in 0..<200 {
            let tricky = Array("\r\n--XyZ123boundar".utf8) + Array("--XyZ123boundary".utf8)
            let parts: [(String, String?, [UInt8])] = [
                ("path", nil, Array("/a/b.txt".utf8)),
                (
                    "file", "b.txt",
                    (0..<Int.random(in: 0..<3000, using: &generator)).map { _ in UInt8.random(in: 0...255) } + tricky
                ),
                ("empty", nil, []),
            ]
            let parsed = try await Self.parse(
                Self.form(parts, boundary: boundary),
                boundary: boundary,
                maxPiece: round % 2 == 0 ? 7 : 700
            )
            #expect(parsed.map(\.name) == ["path", "file", "empty"])
            #expect(parsed.map(\.filename) == [nil, "b.txt", nil])
            #expect(parsed.map(\.body) == parts.map(\.2))
        }
    }

    @Test("truncated or broken forms throw MultipartMalformed, never crash or hang")
    func malformed() async throws {
        let boundary = "b0undary"
        let good = Self.form([("file", "x", Array(repeating: 65, count: 100))], boundary: boundary)
        var generator = SystemRandomNumberGenerator()
        for cut in stride(from: 0, to: good.count - 4, by: 3) {
            await #expect(throws: MultipartMalformed.self) {
                _ = try await Self.parse(Array(good[..<cut]), boundary: boundary, maxPiece: 16)
            }
        }
        let broken = Array("--b0undary\r\nno colon here\r\n\r\nx\r\n--b0undary--".utf8)
        await #expect(throws: MultipartMalformed.self) {
            _ = try await Self.parse(broken, boundary: boundary, maxPiece: 5)
        }
        for _ in 0..<300 {
            let noise = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in
                "--b0undary\r\n:;=\"".utf8.randomElement(using: &generator)!
            }
            _ = try? await Self.parse(noise, boundary: boundary, maxPiece: 9)
        }
        #expect(MultipartBoundary.parse("multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(MultipartBoundary.parse("text/plain; boundary=abc") == nil)
    }

    @Test("mutated forms: bytes flipped, duplicated or dropped anywhere are parsed or refused, never more than sent")
    func mutated() async throws {
        let boundary = "Mut4ted"
        let good = Self.form(
            [("path", nil, Array("/x/y.bin".utf8)), ("file", "y.bin", Array(repeating: 66, count: 300))],
            boundary: boundary
        )
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var body = good
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<body.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: body[at] = UInt8.random(in: 0...255, using: &generator)
                case 1: body.insert(body[at], at: at)
                default: body.remove(at: at)
                }
            }
            do {
                let parsed = try await Self.parse(body, boundary: boundary, maxPiece: 13)
                #expect(parsed.reduce(0) { $0 + $1.body.count } <= body.count, "\(body)")
            } catch is MultipartMalformed {
                // Refused: what a broken form should get.
            }
        }
    }
}
