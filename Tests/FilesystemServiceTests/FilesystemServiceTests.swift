import StrypeTestSupport
import Testing

@testable import FilesystemService

@Suite("Filesystem service on the shared runtime", .timeLimit(.minutes(1)))
struct FilesystemServiceTests {
    @Test("configuration, migrations and operational routes")
    func conformsToRuntime() async throws {
        let problems = try await ServiceConformance.problems(
            of: FilesystemService.definition,
            peers: [.auth, .chunk],
            needsMasterKey: true
        )
        #expect(problems == [])
    }
}
