import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import StrypeCore

/// Gets and caches the service token background work (repair, collection) calls other services with: auth issues
/// it to holders of `SERVICE_SECRET`; it is renewed a minute before it expires.
package final class ServiceTokenProvider: Sendable {
    private let auth: ServiceClient
    private let service: String
    private let secret: Secret
    private let cached = NIOLockedValueBox<(token: String, renewAt: Date)?>(nil)

    package init(auth: ServiceClient, service: String, secret: Secret) {
        self.auth = auth
        self.service = service
        self.secret = secret
    }

    /// A valid service access token.
    package func token() async throws -> String {
        if let current = cached.withLockedValue({ $0 }), current.renewAt > Date() { return current.token }
        let body = try JSONEncoder().encode(ServiceTokenRequest(service: service, secret: secret.value))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let response = try await auth.send(
            .POST,
            "/service-token",
            headers: headers,
            body: .bytes(ByteBuffer(data: body))
        )
        let bytes = try await response.body.collect(upTo: 64 << 10)
        guard response.status == .ok else {
            throw ServiceCallError(status: Int(response.status.code), body: String(buffer: bytes))
        }
        let issued = try JSONDecoder().decode(TokenPair.self, from: bytes)
        let renewAt = Date().addingTimeInterval(max(Double(issued.expiresIn) - 60, 5))
        cached.withLockedValue { $0 = (issued.accessToken, renewAt) }
        return issued.accessToken
    }
}
