import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@Suite("The public and the internal listener")
struct ListenerTests {
    /// One app per listener over the same routes: a protected route, an internal-only one, and the operational ones.
    private func withApp(
        _ listener: Listener,
        _ body: @escaping @Sendable (any TestClientProtocol, TestTokenIssuer) async throws -> Void
    ) async throws {
        let deps = try TestDependencies()
        let issuer = await TestTokenIssuer()
        let verifier = AccessTokenVerifier(keys: issuer, revocations: SessionRevocations())
        let app = buildApplication(testDefinition, dependencies: deps.dependencies, listener: listener) { router in
            router.group("/protected").add(middleware: AuthenticationMiddleware(verifier: verifier))
                .get { _, context -> String in try context.requirePrincipal().subject }
            router.group("/peers-only").add(middleware: InternalOnlyMiddleware()).get { _, _ -> String in "inside" }
        }
        do {
            try await app.test(.router) { client in try await body(client, issuer) }
            await deps.shutdown()
        } catch {
            await deps.shutdown()
            throw error
        }
    }

    @Test("the public port refuses service tokens and does not have internal routes or metrics")
    func publicPort() async throws {
        try await withApp(.publicPort) { client, issuer in
            let service = try await issuer.serviceToken()
            try await client.execute(uri: "/protected", method: .get, headers: [.authorization: "Bearer \(service)"]) {
                response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("internal port"))
            }
            let user = try await issuer.token(user: UUID())
            try await client.execute(uri: "/protected", method: .get, headers: [.authorization: "Bearer \(user)"]) {
                response in
                #expect(response.status == .ok)
            }
            for path in ["/peers-only", "/peers-only/", "//peers-only", "/metrics", "/metrics/"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound, "\(path)")
                }
            }
            try await client.execute(uri: "/health", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test("the internal port serves service tokens, internal routes and metrics")
    func internalPort() async throws {
        try await withApp(.internalPort) { client, issuer in
            let service = try await issuer.serviceToken()
            try await client.execute(uri: "/protected", method: .get, headers: [.authorization: "Bearer \(service)"]) {
                response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "service:chunk")
            }
            try await client.execute(uri: "/peers-only", method: .get) { response in
                #expect(String(buffer: response.body) == "inside")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in #expect(response.status == .ok) }
        }
    }
}
