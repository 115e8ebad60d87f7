import Foundation
import Testing

@testable import StrypeCore

@Suite("file paths")
struct FilePathTests {
    @Test("good paths parse to their segments, in NFC, with one trailing slash allowed")
    func good() throws {
        #expect(try FilePath("/").segments == [])
        #expect(try FilePath("/a/b.txt").segments == ["a", "b.txt"])
        #expect(try FilePath("/a/b/").segments == ["a", "b"])
        #expect(try FilePath("/a/..b/c.").segments == ["a", "..b", "c."])
        // "e" + combining acute accent becomes the single precomposed scalar.
        #expect(try FilePath("/cafe\u{301}").segments == ["caf\u{E9}"])
        #expect(try FilePath("/a/b").parent == FilePath("/a"))
        #expect(try FilePath("/a/b").description == "/a/b")
        #expect(try FilePath("/" + String(repeating: "x", count: 255)).name.utf8.count == 255)
    }

    @Test(
        "bad paths are refused with a reason",
        arguments: [
            "", "a", "a/b", "//", "/a//b", "/./a", "/a/..", "/a/../b", "/a\u{0}b", "/a\u{7}", "/a\u{7F}",
            "/" + String(repeating: "x", count: 256), "/" + String(repeating: "a/", count: 2100),
        ]
    )
    func bad(path: String) {
        #expect(throws: FilePath.Invalid.self) { try FilePath(path) }
    }

    @Test("random strings never crash the parser, and what it accepts prints back to itself")
    func fuzz() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["/", ".", "a", "b", "\u{0}", "\u{301}", "é", " ", "\u{7F}", "\u{1F600}"]
        for _ in 0..<5000 {
            let length = Int.random(in: 0..<12, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            guard let path = try? FilePath(text) else { continue }
            #expect(try FilePath(path.description) == path)
            #expect(!path.segments.contains { $0.isEmpty || $0 == "." || $0 == ".." || $0.contains("\u{0}") })
        }
    }
}
