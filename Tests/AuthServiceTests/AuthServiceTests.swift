import StrypeTestSupport
import Testing

@testable import AuthService

@Suite("Auth service on the shared runtime", .timeLimit(.minutes(1)))
struct AuthServiceTests {
    @Test("configuration, migrations and operational routes")
    func conformsToRuntime() async throws {
        let problems = try await ServiceConformance.problems(
            of: AuthService.definition,
            peers: [],
            needsMasterKey: true
        )
        #expect(problems == [])
    }
}
