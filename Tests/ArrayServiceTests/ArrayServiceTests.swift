import StrypeTestSupport
import Testing

@testable import ArrayService

@Suite("Array service on the shared runtime", .timeLimit(.minutes(1)))
struct ArrayServiceTests {
    @Test("configuration, migrations and operational routes")
    func conformsToRuntime() async throws {
        let problems = try await ServiceConformance.problems(
            of: ArrayService.definition,
            peers: [.auth, .filesystem],
            needsMasterKey: false
        )
        #expect(problems == [])
    }
}
