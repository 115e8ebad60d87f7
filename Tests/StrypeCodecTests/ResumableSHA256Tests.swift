import Crypto
import Foundation
import Testing

@testable import StrypeCodec

@Suite("resumable SHA-256")
struct ResumableSHA256Tests {
    @Test("matches swift-crypto for every length around block edges and random splits, saved and restored midway")
    func matches() throws {
        var generator = SystemRandomNumberGenerator()
        let lengths = Array(0...130) + [1000, 4096, 65_537, 1_000_003]
        // With the CPU's SHA extensions where it has them, and always with the portable compression.
        for extensions in Set([ResumableSHA256.hardware, false]) {
            for length in lengths {
                let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let split = length == 0 ? 0 : Int.random(in: 0...length, using: &generator)
                var hasher = ResumableSHA256()
                hasher.usesExtensions = extensions
                data[..<split].withUnsafeBytes { hasher.update($0) }
                var restored = try #require(ResumableSHA256(saved: hasher.saved))
                restored.usesExtensions = extensions
                #expect(restored == hasher)
                var resumed = restored
                data[split...].withUnsafeBytes { resumed.update($0) }
                #expect(
                    resumed.finalize() == Array(SHA256.hash(data: data)),
                    "length \(length) split \(split) extensions \(extensions)"
                )
            }
        }
        #expect(ResumableSHA256(saved: [1, 2, 3]) == nil)
    }
}
