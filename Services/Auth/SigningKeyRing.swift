import Crypto
import Foundation
import JWTKit
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle
import StrypeCodec
import StrypeService

/// The Ed25519 keys that sign access tokens, shared by every auth replica through Postgres (private halves sealed
/// under the master key). The newest unretired key signs; retired keys stay in the JWKS until every token they
/// signed has expired.
final class SigningKeyRing: Sendable {
    /// Announced after a rotation, so other replicas reload at once.
    static let rotationChannel = "auth:keys-rotated"
    /// How long a retired key still verifies: an access token's lifetime plus clock-skew margin.
    static let retiredKeyGrace: TimeInterval = AccessClaims.lifetime + 5 * 60

    private struct Loaded {
        var activeKid: String
        var collection: JWTKeyCollection
        var jwks: String
        var kids: [String]
    }

    private let client: PostgresClient
    private let box: SecretBox
    private let logger: Logger
    private let loaded = NIOLockedValueBox<Loaded?>(nil)
    private let lastReload = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    init(client: PostgresClient, masterKey: MasterKey, logger: Logger) {
        self.client = client
        self.box = SecretBox(masterKey: masterKey.bytes, purpose: "auth.signing-keys")
        self.logger = logger
    }

    /// Signs claims with the active key.
    func sign(_ claims: AccessClaims) async throws -> String {
        let current = try await current()
        return try await current.collection.sign(claims, kid: JWKIdentifier(string: current.activeKid))
    }

    /// The public JWKS document.
    func jwks() async throws -> String {
        try await current().jwks
    }

    /// The kid that signs now, and every kid that still verifies.
    func kids() async throws -> (active: String, all: [String]) {
        let current = try await current()
        return (current.activeKid, current.kids)
    }

    /// Makes a new key the signing key and retires the old one; returns the new kid.
    @discardableResult
    func rotate() async throws -> String {
        let kid = try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('cloudstrype.auth.keys'))",
                logger: logger
            )
            try await connection.query(
                "UPDATE auth.signing_keys SET retired_at = now() WHERE retired_at IS NULL",
                logger: logger
            )
            return try await insertKey(on: connection)
        }
        logger.info("signing key rotated", metadata: ["kid": "\(kid)"])
        try await reload()
        return kid
    }

    /// Reads the keys from Postgres, creating the first one when there is none.
    func reload() async throws {
        var rows = try await fetch()
        if !rows.contains(where: { $0.retiredAt == nil }) {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtext('cloudstrype.auth.keys'))",
                    logger: logger
                )
                let existing = try await connection.query(
                    "SELECT count(*)::int FROM auth.signing_keys WHERE retired_at IS NULL",
                    logger: logger
                )
                var active = 0
                for try await count in existing.decode(Int.self) { active = count }
                if active == 0 { _ = try await insertKey(on: connection) }
            }
            rows = try await fetch()
        }
        let collection = JWTKeyCollection()
        var jwks: [[String: String]] = []
        for row in rows {
            let raw = try box.open(row.sealed, context: row.kid)
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            await collection.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: row.kid))
            jwks.append([
                "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": row.kid,
                "x": OpaqueToken.base64URL(key.publicKey.rawRepresentation),
            ])
        }
        guard let active = rows.filter({ $0.retiredAt == nil }).max(by: { $0.createdAt < $1.createdAt }) else {
            throw APIError(.internalServerError, code: "internal_error", message: "no signing key")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document = String(decoding: try encoder.encode(["keys": jwks]), as: UTF8.self)
        loaded.withLockedValue {
            $0 = Loaded(activeKid: active.kid, collection: collection, jwks: document, kids: rows.map(\.kid))
        }
        lastReload.withLockedValue { $0 = ContinuousClock.now }
    }

    private func current() async throws -> Loaded {
        if let current = loaded.withLockedValue({ $0 }) { return current }
        try await reload()
        return loaded.withLockedValue { $0 }!
    }

    private struct KeyRow {
        var kid: String
        var sealed: [UInt8]
        var createdAt: Date
        var retiredAt: Date?
    }

    private func fetch() async throws -> [KeyRow] {
        let cutoff = Date().addingTimeInterval(-Self.retiredKeyGrace)
        let rows = try await client.query(
            """
            SELECT kid, private_key_sealed, created_at, retired_at FROM auth.signing_keys
            WHERE retired_at IS NULL OR retired_at > \(cutoff) ORDER BY created_at
            """,
            logger: logger
        )
        return try await rows.decode((String, Data, Date, Date?).self).collected().map {
            (kid, sealed, created, retired) in
            KeyRow(kid: kid, sealed: Array(sealed), createdAt: created, retiredAt: retired)
        }
    }

    private func insertKey(on connection: PostgresConnection) async throws -> String {
        let key = Curve25519.Signing.PrivateKey()
        var random = SystemRandomNumberGenerator()
        let kid = OpaqueToken.base64URL((0..<12).map { _ in random.next() as UInt8 })
        let sealed = Data(try box.seal(Array(key.rawRepresentation), context: kid))
        let publicKey = Data(key.publicKey.rawRepresentation)
        try await connection.query(
            "INSERT INTO auth.signing_keys (kid, public_key, private_key_sealed) VALUES (\(kid), \(publicKey), \(sealed))",
            logger: logger
        )
        return kid
    }
}

/// Auth verifies with its own ring, reloaded from Postgres (at most once a second) when a token names a kid this
/// replica does not know yet.
extension SigningKeyRing: VerificationKeySource {
    func verificationKeys(refresh: Bool) async throws -> VerificationKeySet {
        if refresh, lastReload.withLockedValue({ $0.map { ContinuousClock.now - $0 >= .seconds(1) } ?? true }) {
            try await reload()
        }
        let current = try await current()
        return VerificationKeySet(collection: current.collection, kids: Set(current.kids))
    }
}

/// Keeps the key ring current: reloads when another replica rotates, and every few minutes so retired keys leave.
struct SigningKeyRefresher: Service {
    let ring: SigningKeyRing
    let subscriber: RedisSubscriber
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in subscriber.subscribe(to: [SigningKeyRing.rotationChannel]) {
                        if case .message = event { await reload() }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(300))
                        await reload()
                    }
                }
                await group.waitForAll()
            }
        }
    }

    private func reload() async {
        do {
            try await ring.reload()
        } catch {
            logger.warning("could not reload signing keys", metadata: ["error": "\(error)"])
        }
    }
}
