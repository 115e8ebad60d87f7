import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import StrypeCodec
import StrypeCore
import StrypeService

/// What cloud's controllers share: the accounts, the sealed secrets, and turning an account into an object store.
struct CloudCore: Sendable {
    let accounts: AccountRepository
    let secrets: SecretBox
    /// How S3 calls connect: endpoints checked against the policy, connections to checked addresses only.
    let connections: S3Connections
    /// Where local-directory accounts may live.
    let localRoots: LocalRoots
    let fileThreads: NIOThreadPool
    let redis: RedisClient
    let logger: Logger
    /// Where the bytes users store themselves (objects, seed chunks) are charged against their quota.
    let quota: any StorageQuota
    /// Google service accounts' access tokens, for gcs accounts.
    let googleTokens = GoogleAccessTokens()

    /// Announced when an account turns healthy or unhealthy (`<id> healthy|unhealthy`), for chunk's placement.
    static let healthChannel = "cloud:account-health"

    /// The credentials sealed at rest, as JSON (Foundation's keys, as the rows were written): an S3 secret key, or a
    /// Google service account's JSON key.
    struct SealedCredentials: Codable {
        var secretAccessKey: String?
        var serviceAccountKey: String?
    }

    /// The store behind an account. A local account's directory is resolved and checked against the roots at every
    /// open, so a link swapped in after its creation (or a root the operator withdrew) leads nowhere.
    func store(for account: AccountRecord) async throws -> any ObjectStore {
        switch account.provider {
        case "local":
            guard let path = account.settings.path else {
                throw APIError(.internalServerError, code: "internal_error", message: "account has no path")
            }
            let roots = localRoots
            guard let resolved = try await fileThreads.runIfActive({ roots.confine(path) }) else {
                throw ObjectStoreError.pathNotAllowed
            }
            return LocalObjectStore(root: resolved, threadPool: fileThreads)
        case "gcs":
            guard let key = try credentials(of: account).serviceAccountKey else { throw Self.noCredentials }
            return try gcsStore(settings: account.settings, account: try GoogleServiceAccount(json: key))
        default:
            guard let accessKey = account.settings.accessKeyID,
                let secret = try credentials(of: account).secretAccessKey
            else { throw Self.noCredentials }
            return try s3Store(settings: account.settings, accessKeyID: accessKey, secret: secret)
        }
    }

    private static let noCredentials = APIError(
        .internalServerError,
        code: "internal_error",
        message: "account has no credentials"
    )

    /// The account's sealed credentials, opened.
    private func credentials(of account: AccountRecord) throws -> SealedCredentials {
        guard let sealed = account.sealedSecret else { throw Self.noCredentials }
        let opened = try secrets.open(sealed, context: account.id.uuidString.lowercased())
        return try JSONDecoder().decode(SealedCredentials.self, from: Data(opened))
    }

    /// A Google Cloud Storage store from settings and the service account (also used to probe before saving).
    func gcsStore(settings: AccountSettings, account: GoogleServiceAccount, timeout: TimeAmount = .seconds(300))
        throws -> GCSObjectStore
    {
        guard let bucket = settings.bucket else { throw APIError.badRequest("a gcs account needs a bucket") }
        let endpoint = settings.endpoint ?? GCSObjectStore.googleEndpoint
        return GCSObjectStore(
            base: try ConnectionURL(endpoint, schemes: ["http", "https"], variable: "endpoint"),
            bucket: bucket,
            prefix: settings.prefix ?? "",
            account: account,
            tokens: googleTokens,
            connections: connections,
            timeout: timeout
        )
    }

    /// An S3 store from settings and credentials (also used to probe before anything is saved).
    func s3Store(settings: AccountSettings, accessKeyID: String, secret: String, timeout: TimeAmount = .seconds(300))
        throws
        -> S3ObjectStore
    {
        guard let endpoint = settings.endpoint, let bucket = settings.bucket, let region = settings.region else {
            throw APIError.badRequest("an s3 account needs endpoint, region and bucket")
        }
        let url = try ConnectionURL(endpoint, schemes: ["http", "https"], variable: "endpoint")
        let location = S3Location(
            scheme: url.scheme,
            host: url.host,
            port: url.port,
            region: region,
            bucket: bucket,
            prefix: settings.prefix ?? "",
            pathStyle: settings.pathStyle ?? true
        )
        let signer = SigV4Signer(credentials: .init(accessKeyID: accessKeyID, secretAccessKey: secret), region: region)
        return S3ObjectStore(location: location, signer: signer, connections: connections, timeout: timeout)
    }

    /// Records an I/O outcome on the account and announces a change of health.
    func noteHealth(_ account: AccountRecord, error: (any Error)?) async {
        // Only provider-side failures say something about the account's health; a bad key or range does not.
        let unhealthy: String?
        switch error {
        case nil: unhealthy = nil
        case ObjectStoreError.unreachable(let reason)?: unhealthy = reason
        case ObjectStoreError.tlsFailed(let reason)?: unhealthy = "TLS failed: \(reason)"
        case ObjectStoreError.endpointNotAllowed?: unhealthy = "the endpoint is not allowed on this server"
        case ObjectStoreError.pathNotAllowed?: unhealthy = "the directory is outside the local storage roots"
        case ObjectStoreError.provider(let status, let code, let message)?
        where status >= 500 || status == 401 || status == 403:
            unhealthy = "\(code): \(message)"
        default: return
        }
        do {
            if try await accounts.recordHealth(id: account.id, healthy: unhealthy == nil, reason: unhealthy) {
                let state = unhealthy == nil ? "healthy" : "unhealthy"
                try await redis.publish(Self.healthChannel, "\(account.id.uuidString.lowercased()) \(state)")
                logger.warning(
                    "account health changed",
                    metadata: ["account_id": "\(account.id)", "health": "\(state)"]
                )
            }
        } catch {
            logger.warning("could not record account health", metadata: ["error": "\(error)"])
        }
    }

    /// Gives `bytes` back to the owner's quota (see `StorageQuota.refund`).
    func refund(owner: UUID, bytes: Int64) async {
        await quota.refund(owner: owner, bytes: bytes, logger: logger)
    }

    /// Deletes an account and refunds what users were charged for on it: their objects, and seed chunks whose last
    /// copy it held. False when there was no such account.
    @discardableResult
    func deleteAccount(_ id: UUID) async throws -> Bool {
        guard let refunds = try await accounts.deleteRefunding(id: id) else { return false }
        await quota.refund(refunds, logger: logger)
        return true
    }

    /// The account if the caller may use it: its owner, anyone for a shared one, any service, and admins when
    /// `managing` (renaming, sharing, removing; admins do not read other users' objects). 404 otherwise, so other
    /// users' accounts are not even confirmed to exist.
    func usableAccount(_ id: UUID, by principal: Principal, managing: Bool = false) async throws -> AccountRecord {
        guard let account = try await accounts.find(id: id),
            BackendAccess.mayUse(ownerID: account.ownerID, shared: account.shared, by: principal)
                || (managing && principal.isAdmin)
        else { throw APIError.notFound("no such account") }
        return account
    }

    /// The stored key of a caller's object (`BackendAccess.storedKey`).
    func storedKey(_ key: String, in account: AccountRecord, for principal: Principal) throws -> String {
        try BackendAccess.storedKey(try ObjectKey.validate(key), ownerID: account.ownerID, for: principal)
    }
}

extension ObjectStoreError {
    /// The API error a client sees.
    var apiError: APIError {
        switch self {
        case .notFound: .notFound("no such object")
        case .invalidKey(let reason): .invalidField("key", reason)
        case .invalidRange: APIError(.rangeNotSatisfiable, code: "range_not_satisfiable", message: description)
        case .lengthMismatch: APIError(.badRequest, code: "length_mismatch", message: description)
        case .checksumMismatch: APIError(.badRequest, code: "checksum_mismatch", message: description)
        case .provider(let status, let code, let message):
            // The provider refused or failed: to our caller that is a bad gateway, whatever the provider's status.
            APIError(
                .badGateway,
                code: "provider_error",
                message: "\(code): \(message) (HTTP \(status))"
            )
        case .unreachable(let reason): APIError(.badGateway, code: "provider_unreachable", message: reason)
        case .tlsFailed: APIError(.badGateway, code: "provider_unreachable", message: "TLS with the provider failed")
        // The account exists but may no longer be used; to the caller the provider is unusable, as any 502.
        case .endpointNotAllowed:
            APIError(
                .badGateway,
                code: "endpoint_not_allowed",
                message: "this server does not connect to the account's endpoint"
            )
        case .pathNotAllowed:
            APIError(
                .badGateway,
                code: "local_path_not_allowed",
                message: "the account's directory is outside the server's local storage roots"
            )
        }
    }
}
