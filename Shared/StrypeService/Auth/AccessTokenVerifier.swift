import AsyncHTTPClient
import Foundation
import JWTKit
import NIOConcurrencyHelpers

/// Public keys that verify access tokens, with the kids they cover.
package struct VerificationKeySet: Sendable {
    package let collection: JWTKeyCollection
    package let kids: Set<String>

    package init(collection: JWTKeyCollection, kids: Set<String>) {
        self.collection = collection
        self.kids = kids
    }
}

/// Where verification keys come from: auth's JWKS over HTTP for every other service, auth's own key ring for auth.
package protocol VerificationKeySource: Sendable {
    /// The current keys; `refresh` asks for a newer copy because a token named a kid not among them.
    func verificationKeys(refresh: Bool) async throws -> VerificationKeySet
}

/// Auth's `GET /.well-known/jwks.json`, fetched once and again when an unknown kid appears (at most once a second,
/// one fetch at a time), so a rotation reaches every service without a restart.
package final class RemoteJWKS: VerificationKeySource {
    private struct State {
        var current: VerificationKeySet?
        var fetchedAt: ContinuousClock.Instant?
        var fetching: Task<VerificationKeySet, any Error>?
    }

    private let client: ServiceClient
    private let minimumRefreshInterval: Duration
    private let state = NIOLockedValueBox(State())

    package init(client: ServiceClient, minimumRefreshInterval: Duration = .seconds(1)) {
        self.client = client
        self.minimumRefreshInterval = minimumRefreshInterval
    }

    package func verificationKeys(refresh: Bool) async throws -> VerificationKeySet {
        let now = ContinuousClock.now
        enum Source {
            case cached(VerificationKeySet)
            case fetch(Task<VerificationKeySet, any Error>)
        }
        let source: Source = state.withLockedValue { state in
            if let fetching = state.fetching { return .fetch(fetching) }
            if let current = state.current {
                let recent = state.fetchedAt.map { now - $0 < minimumRefreshInterval } ?? false
                if !refresh || recent { return .cached(current) }
            }
            let client = self.client
            let fetching = Task { try await Self.fetch(client) }
            state.fetching = fetching
            return .fetch(fetching)
        }
        // Only a fetch moves `fetchedAt`: were a cached answer to move it too, steady traffic would keep the copy
        // "recent" for ever and a rotated key would never be fetched.
        let task: Task<VerificationKeySet, any Error>
        switch source {
        case .cached(let keys): return keys
        case .fetch(let fetching): task = fetching
        }
        do {
            let keys = try await task.value
            state.withLockedValue { state in
                state.current = keys
                state.fetchedAt = ContinuousClock.now
                state.fetching = nil
            }
            return keys
        } catch {
            let cached = state.withLockedValue { state -> VerificationKeySet? in
                state.fetching = nil
                state.fetchedAt = ContinuousClock.now
                return state.current
            }
            if let cached { return cached }
            throw error
        }
    }

    private static func fetch(_ client: ServiceClient) async throws -> VerificationKeySet {
        let response = try await client.send(.GET, "/.well-known/jwks.json", timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw ServiceCallError(status: Int(response.status.code), body: String(buffer: body))
        }
        return try await parse(String(buffer: body))
    }

    /// Keys and kids of a JWKS document.
    package static func parse(_ json: String) async throws -> VerificationKeySet {
        struct Document: Decodable {
            struct Key: Decodable { var kid: String? }
            var keys: [Key]
        }
        let kids = try JSONDecoder().decode(Document.self, from: Data(json.utf8)).keys.compactMap(\.kid)
        let collection = try await JWTKeyCollection().add(jwksJSON: json)
        return VerificationKeySet(collection: collection, kids: Set(kids))
    }
}

/// Verifies access tokens locally: a known `kid`, the signature, expiry and issuer, and a session not revoked.
package struct AccessTokenVerifier: Sendable {
    private let keys: any VerificationKeySource
    private let revocations: SessionRevocations
    /// Tokens whose signature was checked lately, with their claims: an Ed25519 check was the largest cost of a small
    /// upload, and a client sends one token many times. Expiry, revocation and that its key is still one of the
    /// current keys (a retired key's tokens stop at once) are still checked on every request.
    private let verified = ExpiringCache<String, (kid: String, claims: AccessClaims)>(
        lifetime: .seconds(60),
        maximumEntries: 10_000
    )

    package init(keys: any VerificationKeySource, revocations: SessionRevocations) {
        self.keys = keys
        self.revocations = revocations
    }

    /// The principal of a valid token; an `APIError` otherwise (401, or 503 when no key could be loaded at all, or
    /// when a fail-closed revocation set could not be loaded).
    package func verify(_ token: String) async throws -> Principal {
        guard token.utf8.count <= 8192 else {
            throw APIError.unauthorized("the access token is malformed", code: "invalid_token")
        }
        if let known = verified.get(token), known.claims.exp.value > Date(),
            try await loadKeys(refresh: false).kids.contains(known.kid)
        {
            return try await principal(known.claims)
        }
        guard let kid = Self.keyID(of: token) else {
            throw APIError.unauthorized("the access token is malformed", code: "invalid_token")
        }
        var set = try await loadKeys(refresh: false)
        if !set.kids.contains(kid) {
            // Perhaps a key newer than our copy, after a rotation.
            set = try await loadKeys(refresh: true)
            guard set.kids.contains(kid) else {
                throw APIError.unauthorized("the access token is signed by an unknown key", code: "invalid_token")
            }
        }
        let claims: AccessClaims
        do {
            claims = try await set.collection.verify(token, as: AccessClaims.self)
        } catch let error as JWTError
            where error.errorType == .claimVerificationFailure && error.failedClaim is ExpirationClaim
        {
            throw APIError.unauthorized("the access token has expired", code: "token_expired")
        } catch {
            throw APIError.unauthorized("the access token is not valid", code: "invalid_token")
        }
        verified.put(token, (kid, claims))
        return try await principal(claims)
    }

    /// The principal of verified claims, unless their session was revoked.
    private func principal(_ claims: AccessClaims) async throws -> Principal {
        if let session = claims.sid {
            // A fail-closed set that could not be loaded cannot tell a revoked session from a live one.
            if !revocations.isCurrent, !(await revocations.waitUntilCurrent(timeout: .seconds(2))) {
                throw APIError(
                    .serviceUnavailable,
                    code: "revocations_unavailable",
                    message: "revoked sessions could not be loaded (Redis is unreachable); try again shortly"
                )
            }
            if revocations.isRevoked(session) {
                throw APIError.unauthorized("the session of this token has ended", code: "token_revoked")
            }
        }
        return Principal(claims: claims)
    }

    private func loadKeys(refresh: Bool) async throws -> VerificationKeySet {
        do {
            return try await keys.verificationKeys(refresh: refresh)
        } catch {
            throw APIError(.serviceUnavailable, code: "auth_unavailable", message: "token keys could not be loaded")
        }
    }

    /// The `kid` of a compact JWS with three parts; nil when malformed or missing (our tokens always carry one).
    static func keyID(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].utf8.count <= 1024 else { return nil }
        var base64 = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
            let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let kid = header["kid"] as? String, !kid.isEmpty
        else { return nil }
        return kid
    }
}
