import Foundation
import StrypeService
import Testing

@testable import FilesystemService

/// Bounded fuzzing of the tus headers a client controls: whatever arrives, the parsers answer or refuse with a 400,
/// and what a well-formed header carries comes back exactly. A failure prints the header that caused it.
@Suite("tus header parsing under hostile input")
struct TusHeaderFuzzTests {
    /// Characters that matter to the grammar, mixed with any Unicode.
    static let alphabet: [Character] = Array(" ,=+/abcXYZ019\u{0}\t\r\né😀") + ["\u{301}", "\u{7F}"]

    static func noise(length: Int, using random: inout some RandomNumberGenerator) -> String {
        String(
            (0..<length).map { _ in
                Bool.random(using: &random)
                    ? alphabet.randomElement(using: &random)!
                    : Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random)))
            }
        )
    }

    @Test("Upload-Metadata: random text is parsed or refused with a 400, never more")
    func randomMetadata() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let header = Self.noise(length: Int.random(in: 0...80, using: &random), using: &random)
            do {
                let pairs = try TusController.metadata(header)
                #expect(pairs.keys.allSatisfy { !$0.isEmpty && !$0.contains(" ") && !$0.contains(",") }, "\(header)")
            } catch let error as APIError {
                #expect(error.status == .badRequest, "\(header)")
            } catch {
                Issue.record("\(header): \(error)")
            }
        }
    }

    @Test("Upload-Metadata: any keys and UTF-8 values, base64-encoded, come back exactly")
    func metadataRoundTrip() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var expected: [String: String] = [:]
            for index in 0..<Int.random(in: 0...5, using: &random) {
                let value = Self.noise(length: Int.random(in: 0...40, using: &random), using: &random)
                expected["k\(index)\(UInt8.random(in: 0...9, using: &random))"] = value
            }
            let header = expected.map { key, value in
                value.isEmpty ? key : "\(key) \(Data(value.utf8).base64EncodedString())"
            }.joined(separator: ",")
            #expect(try TusController.metadata(header) == expected, "\(header)")
        }
    }

    @Test("Upload-Checksum: random text is parsed or refused with a 400; a real digest comes back")
    func checksum() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let header = Self.noise(length: Int.random(in: 0...60, using: &random), using: &random)
            let prefixed = ["sha1 ", "sha256 ", "md5 ", ""].randomElement(using: &random)! + header
            do {
                if let parsed = try TusController.checksum(prefixed) {
                    #expect(["sha1", "sha256"].contains(parsed.algorithm), "\(prefixed)")
                }
            } catch let error as APIError {
                #expect(error.status == .badRequest, "\(prefixed)")
            }
        }
        let digest = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let parsed = try TusController.checksum("sha256 \(Data(digest).base64EncodedString())")
        #expect(parsed?.algorithm == "sha256" && parsed?.digest == digest)
    }
}
