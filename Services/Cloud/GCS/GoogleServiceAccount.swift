import Foundation
import JWTKit
import StrypeCodec
import StrypeCore
import StrypeService

/// A Google service account's JSON key (`"type": "service_account"`), as the Cloud console downloads it: who signs in
/// (`client_email`), with which RSA key (`private_key`, `private_key_id`), at which token endpoint (`token_uri`).
/// Its grant is the JWT bearer flow of "Using OAuth 2.0 for Server to Server Applications"
/// (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests).
struct GoogleServiceAccount: Sendable {
    let clientEmail: String
    let keyID: String
    let privateKey: Insecure.RSA.PrivateKey
    /// As the key file writes it: the assertion's audience must be exactly this.
    let tokenURI: String
    let tokenURL: ConnectionURL
    /// The SHA-256 of the whole key file: what a kept access token is bound to. The email and key id are not
    /// secret, so a token kept under them could be handed to someone holding neither the key nor its endpoint.
    let fingerprint: String

    /// Google's token endpoint, which a key file names unless it is for another (a test's) server.
    static let defaultTokenURI = "https://oauth2.googleapis.com/token"
    /// Read and write objects, nothing else (https://cloud.google.com/storage/docs/oauth-scopes).
    static let scope = "https://www.googleapis.com/auth/devstorage.read_write"

    /// The fields of a key file that matter here, named as Google writes them.
    private struct KeyFile: Decodable {
        var type: String?
        var clientEmail: String?
        var privateKey: String?
        var privateKeyID: String?
        var tokenURI: String?
    }

    /// The key from its JSON text; a 400 on `service_account_key` naming what is wrong, never echoing the key.
    init(json: String) throws {
        func invalid(_ reason: String) -> APIError { APIError.invalidField("service_account_key", reason) }
        guard json.utf8.count <= 16 << 10, let file = try? WireJSON.decode(KeyFile.self, from: Data(json.utf8)) else {
            throw invalid("must be a service account's JSON key (at most 16 KiB)")
        }
        guard file.type == "service_account" else { throw invalid("must have \"type\": \"service_account\"") }
        guard let email = file.clientEmail, !email.isEmpty, email.utf8.count <= 320, !email.contains(where: \.isNewline)
        else { throw invalid("has no client_email") }
        guard let pem = file.privateKey, let key = try? Insecure.RSA.PrivateKey(pem: pem) else {
            throw invalid("has no RSA private_key of at least 2048 bits")
        }
        let uri = file.tokenURI ?? Self.defaultTokenURI
        guard let url = EndpointPolicy.plainURL(uri) else {
            throw invalid("has a token_uri that is not a plain http(s) URL (no credentials, query or fragment)")
        }
        tokenURI = uri
        tokenURL = url
        clientEmail = email
        keyID = file.privateKeyID ?? ""
        privateKey = key
        fingerprint = Checksum.sha256Hex(Array(json.utf8))
    }

    /// The claims of the grant's assertion.
    private struct Assertion: JWTPayload {
        var iss: IssuerClaim
        var scope: String
        var aud: AudienceClaim
        var iat: IssuedAtClaim
        var exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// The signed JWT (RS256) that `token_uri` exchanges for an access token, valid for an hour from `now`.
    func assertion(now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        let kid = keyID.isEmpty ? nil : JWKIdentifier(string: keyID)
        await keys.add(rsa: privateKey, digestAlgorithm: .sha256, kid: kid)
        let claims = Assertion(
            iss: IssuerClaim(value: clientEmail),
            scope: Self.scope,
            aud: AudienceClaim(value: tokenURI),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(3600))
        )
        return try await keys.sign(claims, kid: kid)
    }
}
