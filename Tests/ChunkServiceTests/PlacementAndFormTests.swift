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

    @Test("a form's boundary is read from its content type")
    func boundaries() {
        #expect(MultipartBoundary.parse("multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(MultipartBoundary.parse("text/plain; boundary=abc") == nil)
    }
}
