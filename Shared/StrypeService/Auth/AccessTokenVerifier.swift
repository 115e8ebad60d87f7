import AsyncHTTPClient
import Foundation
import JWTKit
import NIOConcurrencyHelpers

/// Where the public keys that sign access tokens come from: auth's JWKS over HTTP, or auth's own key ring.
package protocol JWKSSource: Sendable {
    /// The current JWKS document as JSON.
    func currentJWKS() async throws -> String
}

/// Auth's `GET /.well-known/jwks.json`, fetched by every other service.
package struct RemoteJWKS: JWKSSource {
    package let client: ServiceClient

    package init(client: ServiceClient) {
        self.client = client
    }

    package func currentJWKS() async throws -> String {
        let response = try await client.send(.GET, "/.well-known/jwks.json", timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw ServiceCallError(status: Int(response.status.code), body: String(buffer: body))
        }
        return String(buffer: body)
    }
}

/// Verifies access tokens locally: signature against the cached JWKS (refetched when a token names an unknown `kid`,
/// at most every few seconds), expiry, issuer, and the session not being revoked.
package final class AccessTokenVerifier: Sendable {
    private struct State {
        var keys: JWTKeyCollection?
        var loadedAt: ContinuousClock.Instant?
        var loading: Task<JWTKeyCollection, any Error>?
    }

    private let source: any JWKSSource
    private let revocations: SessionRevocations
    private let minimumRefreshInterval: Duration
    private let state = NIOLockedValueBox(State())

    package init(
        source: any JWKSSource,
        revocations: SessionRevocations,
        minimumRefreshInterval: Duration = .seconds(5)
    ) {
        self.source = source
        self.revocations = revocations
        self.minimumRefreshInterval = minimumRefreshInterval
    }

    /// The principal of a valid token; an `APIError` (401, or 503 when no key could ever be loaded) otherwise.
    package func verify(_ token: String) async throws -> Principal {
        guard token.utf8.count <= 8192, token.split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw APIError.unauthorized("the access token is malformed", code: "invalid_token")
        }
        var keys = try await currentKeys(forceRefresh: false)
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch let error as JWTError where error.errorType == .unknownKID {
            // A key newer than our copy of the JWKS, after a rotation: refetch once.
            guard let refreshed = try? await currentKeys(forceRefresh: true), refreshed !== keys else {
                throw APIError.unauthorized("the access token is signed by an unknown key", code: "invalid_token")
            }
            keys = refreshed
            claims = try await verifyMapped(token, keys: keys)
        } catch {
            throw Self.mapped(error)
        }
        if let session = claims.sid, revocations.isRevoked(session) {
            throw APIError.unauthorized("the session of this token has ended", code: "token_revoked")
        }
        return Principal(claims: claims)
    }

    private func verifyMapped(_ token: String, keys: JWTKeyCollection) async throws -> AccessClaims {
        do {
            return try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw Self.mapped(error)
        }
    }

    private static func mapped(_ error: any Error) -> APIError {
        if let error = error as? JWTError, error.errorType == .claimVerificationFailure,
            error.failedClaim is ExpirationClaim
        {
            return .unauthorized("the access token has expired", code: "token_expired")
        }
        return .unauthorized("the access token is not valid", code: "invalid_token")
    }

    /// The cached keys, loading them when there are none or when a refresh is due and allowed.
    private func currentKeys(forceRefresh: Bool) async throws -> JWTKeyCollection {
        let now = ContinuousClock.now
        let task: Task<JWTKeyCollection, any Error> = state.withLockedValue { state in
            if let loading = state.loading { return loading }
            if let keys = state.keys {
                let recent = state.loadedAt.map { now - $0 < minimumRefreshInterval } ?? false
                if !forceRefresh || recent { return Task { keys } }
            }
            let source = self.source
            let loading = Task { () throws -> JWTKeyCollection in
                let json = try await source.currentJWKS()
                return try await JWTKeyCollection().add(jwksJSON: json)
            }
            state.loading = loading
            return loading
        }
        do {
            let keys = try await task.value
            state.withLockedValue { state in
                if state.loading != nil {
                    state.keys = keys
                    state.loadedAt = ContinuousClock.now
                    state.loading = nil
                }
            }
            return keys
        } catch {
            let cached = state.withLockedValue { state -> JWTKeyCollection? in
                state.loading = nil
                state.loadedAt = ContinuousClock.now
                return state.keys
            }
            if let cached { return cached }
            throw APIError(.serviceUnavailable, code: "auth_unavailable", message: "token keys could not be loaded")
        }
    }
}
