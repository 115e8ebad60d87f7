import StrypeTestSupport
import Testing

@testable import ChunkService

@Suite("Chunk service on the shared runtime", .timeLimit(.minutes(1)))
struct ChunkServiceTests {
    @Test("configuration, migrations and operational routes")
    func conformsToRuntime() async throws {
        let problems = try await ServiceConformance.problems(
            of: ChunkService.definition,
            peers: [.auth, .cloud, .array],
            needsMasterKey: true
        )
        #expect(problems == [])
    }
}
