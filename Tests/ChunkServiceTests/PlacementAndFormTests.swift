import Foundation
import StrypeService
import Testing

@testable import ChunkService

@Suite("placement and multipart forms")
struct PlacementAndFormTests {
    static func candidate(_ free: Int64) -> Candidate {
        Candidate(backend: BackendRef(kind: .array, id: UUID()), free: free)
    }

    @Test("placement picks distinct backends with room, favouring free space, or none when too few")
    func placement() {
        var random = SystemRandomNumberGenerator()
        let roomy = Self.candidate(1_000_000)
        let small = Self.candidate(10)
        let full = Self.candidate(0)
        for _ in 0..<200 {
            let chosen = Placement.choose(2, from: [roomy, small, full], shardSize: 5, using: &random)
            #expect(chosen?.count == 2)
            #expect(Set(chosen?.map(\.backend) ?? []).count == 2)
            #expect(!(chosen ?? []).contains { $0.backend == full.backend })
        }
        #expect(Placement.choose(3, from: [roomy, small, full], shardSize: 5, using: &random) == nil)
        var firsts = 0
        for _ in 0..<1000 {
            if Placement.choose(1, from: [roomy, small], shardSize: 1, using: &random)?.first?.backend == roomy.backend
            {
                firsts += 1
            }
        }
        #expect(firsts > 950)
    }

    @Test("forms parse into named parts; broken ones are refused")
    func forms() throws {
        #expect(MultipartBoundary.parse("multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(MultipartBoundary.parse("text/plain; boundary=abc") == nil)
        let body = Array(
            ("--b\r\nContent-Disposition: form-data; name=\"durability\"\r\n\r\nrs(2,1)\r\n"
                + "--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"x.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n\r\n--not-it\r\n--b--\r\n").utf8
        )
        let form = try MultipartForm(body, boundary: "b")
        #expect(form.text("durability") == "rs(2,1)")
        #expect(form.part("data")?.filename == "x.bin")
        #expect(Array(form.part("data")!.body) == Array("\r\n--not-it".utf8))
        for broken in ["", "--b\r\nno headers end", "--b\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\nopen"] {
            #expect(throws: MultipartForm.Malformed.self) { try MultipartForm(Array(broken.utf8), boundary: "b") }
        }
    }
}
