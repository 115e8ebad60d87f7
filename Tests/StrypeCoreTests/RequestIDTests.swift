import StrypeCore
import Testing

@Suite("Request ids")
struct RequestIDTests {
    @Test("generated ids are 32 hex digits and differ")
    func generated() {
        let ids = (0..<100).map { _ in RequestID.generate() }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test("plain incoming ids are kept", arguments: ["a", "abc-DEF_1.2", String(repeating: "x", count: 128)])
    func kept(id: String) {
        #expect(RequestID.sanitized(id) == id)
    }

    @Test(
        "ids that could forge log lines or headers are dropped",
        arguments: [nil, "", "has space", "new\nline", "quote\"", "emoji🙂", String(repeating: "x", count: 129)]
    )
    func dropped(id: String?) {
        #expect(RequestID.sanitized(id) == nil)
    }
}

@Suite("Service names")
struct ServiceNameTests {
    @Test("schemas, variables and ports are distinct")
    func distinct() {
        let all = ServiceName.allCases
        #expect(Set(all.map(\.schema)).count == all.count)
        #expect(Set(all.map(\.defaultPort)).count == all.count)
        #expect(ServiceName.filesystem.schema == "fs")
        #expect(ServiceName.chunk.urlVariable == "CHUNK_URL")
    }
}
