import StrypeTestSupport
import Testing

@testable import CloudService

@Suite("Cloud service on the shared runtime", .timeLimit(.minutes(1)))
struct CloudServiceTests {
    @Test("configuration, migrations and operational routes")
    func conformsToRuntime() async throws {
        let problems = try await ServiceConformance.problems(
            of: CloudService.definition,
            peers: [.auth, .filesystem],
            needsMasterKey: true
        )
        #expect(problems == [])
    }
}
