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
        let (status, bytes) = try await auth.postJSON(
            "/service-token",
            ServiceTokenRequest(service: service, secret: secret.value)
        )
        guard status == .ok else { throw ServiceCallError(status: Int(status.code), body: String(buffer: bytes)) }
        let issued = try WireJSON.decode(TokenPair.self, from: bytes)
        let renewAt = Date().addingTimeInterval(max(Double(issued.expiresIn) - 60, 5))
        cached.withLockedValue { $0 = (issued.accessToken, renewAt) }
        return issued.accessToken
    }
}
