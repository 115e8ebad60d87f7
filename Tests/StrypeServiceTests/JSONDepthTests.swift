import Foundation
import StrypeService
import Testing

/// The depth scan that runs before any JSON body is parsed: it counts arrays and objects outside strings only, and
/// goes through any size of input in one pass.
@Suite("JSON nesting depth before decoding")
struct JSONDepthTests {
    private func nested(_ depth: Int) -> [UInt8] {
        Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
    }

    @Test("nesting up to the limit passes; one more level is refused")
    func limit() {
        #expect(!JSONDepth.exceeds(nested(JSONDepth.maximumDepth)))
        #expect(JSONDepth.exceeds(nested(JSONDepth.maximumDepth + 1)))
        #expect(!JSONDepth.exceeds(Array(#"{"a":{"b":[1,2,{"c":null}]}}"#.utf8), limit: 4))
        #expect(JSONDepth.exceeds(Array(#"{"a":{"b":[1,2,{"c":[]}]}}"#.utf8), limit: 4))
    }

    @Test("siblings do not add up: depth is how deep, not how many")
    func siblings() {
        let wide = "[" + Array(repeating: "[[]]", count: 10_000).joined(separator: ",") + "]"
        #expect(!JSONDepth.exceeds(Array(wide.utf8), limit: 3))
    }

    @Test("brackets inside strings, escaped quotes included, do not count")
    func strings() {
        let body = #"{"name":"[[[[{{{{\"[[[[","tags":["]]]]\\","{{{{"]}"#
        #expect(!JSONDepth.exceeds(Array(body.utf8), limit: 2))
        // After an escaped backslash the quote closes the string, so what follows counts again.
        #expect(JSONDepth.exceeds(Array(#"{"a":"\\",[[["#.utf8), limit: 3))
    }

    @Test("a body nested 100,000 deep is refused at once, without recursion")
    func hostile() {
        #expect(JSONDepth.exceeds(Array(repeating: UInt8(ascii: "["), count: 100_000)))
        #expect(JSONDepth.exceeds(Array(repeating: UInt8(ascii: "{"), count: 100_000)))
    }

    @Test("malformed closing brackets never make the count negative")
    func malformed() {
        #expect(!JSONDepth.exceeds(Array("]]]]]]]]".utf8) + nested(3), limit: 3))
        #expect(JSONDepth.tooDeep.status == .badRequest && JSONDepth.tooDeep.code == "invalid_json")
    }
}
