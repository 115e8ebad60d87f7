import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import StrypeCore
import StrypeService

/// Service accounts' access tokens, kept in this process until a minute before they expire. A token is fetched with
/// the JWT bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, RFC 7523) from the key's
/// `token_uri`, through the same checked connections as every provider call; it never leaves the process.
final class GoogleAccessTokens: Sendable {
    private let cache = NIOLockedValueBox([String: (token: String, renewAt: Date)]())

    /// The token endpoint's answer (https://developers.google.com/identity/protocols/oauth2/service-account#httprest).
    private struct Grant: Decodable {
        var accessToken: String
        var expiresIn: Int?
    }

    /// The token endpoint's refusal (RFC 6749 §5.2).
    private struct Refusal: Decodable {
        var error: String?
        var errorDescription: String?
    }

    private static func key(_ account: GoogleServiceAccount) -> String { account.fingerprint }

    /// A valid access token for `account`.
    func token(for account: GoogleServiceAccount, connections: S3Connections, timeout: TimeAmount) async throws
        -> String
    {
        let key = Self.key(account)
        if let cached = cache.withLockedValue({ $0[key] }), cached.renewAt > Date() { return cached.token }
        let assertion = try await account.assertion()
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        let url = account.tokenURL
        let response = try await connections.execute(
            .POST,
            url,
            pathAndQuery: "/" + url.path,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "\(form.utf8.count)")],
            body: .bytes(ByteBuffer(string: form)),
            timeout: timeout
        )
        let body = try await response.body.collect(upTo: 64 << 10)
        let status = Int(response.status.code)
        if status == 400 || status == 401 {
            let refusal = try? WireJSON.decode(Refusal.self, from: Data(buffer: body))
            // A 401 whatever the endpoint answered (RFC 6749 says 400): the account's credentials are refused.
            throw ObjectStoreError.provider(
                status: 401,
                code: refusal?.error ?? "token_refused",
                message: refusal?.errorDescription ?? "the token endpoint refused the service account"
            )
        }
        guard status == 200, let grant = try? WireJSON.decode(Grant.self, from: Data(buffer: body)),
            !grant.accessToken.isEmpty
        else {
            // Unavailable (5xx, 429: retried by the caller) or not a token endpoint's answer.
            throw ObjectStoreError.provider(
                status: status == 200 ? 502 : status,
                code: "token_endpoint_failed",
                message: "the token endpoint answered \(status) without a token"
            )
        }
        let lifetime = Double(grant.expiresIn ?? 3600)
        let renewAt = Date().addingTimeInterval(max(lifetime - 60, lifetime / 2))
        cache.withLockedValue { $0[key] = (grant.accessToken, renewAt) }
        return grant.accessToken
    }

    /// Drops the kept token (the provider refused it), so the next call fetches a fresh one.
    func forget(_ account: GoogleServiceAccount) {
        _ = cache.withLockedValue { $0.removeValue(forKey: Self.key(account)) }
    }
}
