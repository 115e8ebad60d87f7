import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import StrypeCore

/// The few HTTP calls the agent makes through the gateway: log in, create its token, ask how the server sees it.
struct ServerAPI {
    let server: String
    let http: HTTPClient

    private var base: String { server.hasSuffix("/") ? String(server.dropLast()) : server }

    func login(email: String, password: String) async throws -> String {
        let pair: TokenPair = try await call(
            .POST,
            "/api/auth/login",
            body: LoginRequest(email: email, password: password)
        )
        return pair.accessToken
    }

    func createAgentToken(name: String, accessToken: String) async throws -> AgentTokenResponse {
        try await call(.POST, "/api/auth/agents", body: NameRequest(name: name), bearer: accessToken)
    }

    func member(agentToken: String) async throws -> MemberResponse {
        try await call(.GET, "/api/array/members/me", body: Optional<NameRequest>.none, bearer: agentToken)
    }

    private func call<Body: Encodable, Reply: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: Body?,
        bearer: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try WireJSON.encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(30))
        } catch {
            throw AgentFailure("cannot reach \(base): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            let message = (try? WireJSON.decode(ErrorBody.self, from: Data(buffer: bytes)))?.error.message
            throw AgentFailure("\(path) answered \(response.status.code): \(message ?? String(buffer: bytes))")
        }
        return try WireJSON.decode(Reply.self, from: Data(buffer: bytes))
    }
}
