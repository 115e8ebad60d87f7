import Foundation
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// Provider accounts: created only after a probe proves them, listed without secrets, shared by admins.
struct AccountsController: RouteController {
    let core: CloudCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/accounts")
            .post(use: create)
            .get(use: list)
            .get("/{id}", use: get)
            .patch("/{id}", use: update)
            .delete("/{id}", use: delete)
    }

    /// `POST /accounts` → 201 once a probe object was written, read back and deleted; 422 with a fixed message per
    /// cause otherwise, and nothing saved. An endpoint the policy refuses is a 400 before anything connects.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        AccountResponse
    > {
        let principal = try context.requirePrincipal()
        guard let owner = principal.userID else { throw APIError.forbidden("accounts belong to users") }
        let body = try await request.decode(as: CreateAccountRequest.self, context: context)
        let name = try FieldRules.name(body.name)
        let (record, store) = try prepare(body, name: name, owner: owner, principal: principal)
        try await probe(store, provider: body.provider, context: context)
        try await core.accounts.insert(record)
        context.logger.info(
            "account created",
            metadata: ["account_id": "\(record.id)", "provider": "\(body.provider)"]
        )
        return EditedResponse(status: .created, response: record.response(viewer: owner))
    }

    /// `GET /accounts` → the caller's accounts and the shared ones; a service sees all, or with `?user=` what that
    /// user may use (chunk's placement).
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<AccountResponse> {
        let principal = try context.requirePrincipal()
        let records: [AccountRecord]
        if principal.isService, let user = try request.onBehalfOf() {
            records = try await core.accounts.visible(to: user)
            return Items(records.map { $0.response(viewer: user) })
        } else if principal.isService {
            records = try await core.accounts.all()
        } else if let user = principal.userID {
            records = try await core.accounts.visible(to: user)
        } else {
            records = []
        }
        return Items(records.map { $0.response(viewer: principal.userID) })
    }

    /// `GET /accounts/{id}`.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> AccountResponse {
        let principal = try context.requirePrincipal()
        let account = try await core.usableAccount(try context.uuidParameter("id", resource: "account"), by: principal)
        return account.response(viewer: principal.userID)
    }

    /// `PATCH /accounts/{id} {name?, shared?}`: owners rename; only admins share.
    @Sendable func update(_ request: Request, context: StrypeRequestContext) async throws -> AccountResponse {
        let principal = try context.requirePrincipal()
        let account = try await core.usableAccount(
            try context.uuidParameter("id", resource: "account"),
            by: principal,
            managing: true
        )
        let body = try await request.decode(as: UpdateAccountRequest.self, context: context)
        guard account.ownerID == principal.userID || principal.isAdmin else {
            throw APIError.forbidden("only the owner or an admin changes an account")
        }
        if body.shared != nil, !principal.isAdmin { throw APIError.forbidden("only admins share accounts") }
        let name = try body.name.map { try FieldRules.name($0) }
        guard let updated = try await core.accounts.update(id: account.id, name: name, shared: body.shared) else {
            throw APIError.notFound("no such account")
        }
        return updated.response(viewer: principal.userID)
    }

    /// `DELETE /accounts/{id}` → 204 (the owner or an admin); objects stored there are left in the bucket.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let principal = try context.requirePrincipal()
        let account = try await core.usableAccount(
            try context.uuidParameter("id", resource: "account"),
            by: principal,
            managing: true
        )
        guard account.ownerID == principal.userID || principal.isAdmin else {
            throw APIError.notFound("no such account")
        }
        // What users were charged for on the account goes back to their quotas.
        try await core.deleteAccount(account.id)
        return .noContent
    }

    /// The account to save and the store to probe, from a validated request. Kept apart from the async handler:
    /// Swift 6.3's optimiser crashed splitting the coroutine when this switch lived inside it.
    @inline(never)
    private func prepare(_ body: CreateAccountRequest, name: String, owner: UUID, principal: Principal) throws
        -> (AccountRecord, any ObjectStore)
    {
        let id = UUID()
        var record = AccountRecord(
            id: id,
            ownerID: owner,
            provider: body.provider,
            name: name,
            settings: AccountSettings(),
            sealedSecret: nil,
            shared: false,
            health: "healthy",
            healthReason: nil,
            capacity: nil,
            used: 0,
            objects: 0,
            createdAt: Date()
        )
        let store: any ObjectStore
        switch body.provider {
        case "s3":
            let settings = try Self.s3Settings(body)
            guard let secret = body.secretAccessKey, !secret.isEmpty, secret.utf8.count <= 256 else {
                throw APIError.invalidField("secret_access_key", "is required")
            }
            record.settings = settings
            // A probe that cannot connect must fail in seconds, not wait out a transfer timeout.
            store = try core.s3Store(
                settings: settings,
                accessKeyID: settings.accessKeyID!,
                secret: secret,
                timeout: .seconds(10)
            )
            let sealed = try JSONEncoder().encode(CloudCore.SealedCredentials(secretAccessKey: secret))
            record.sealedSecret = try core.secrets.seal(Array(sealed), context: id.uuidString.lowercased())
        case "gcs":
            guard let key = body.serviceAccountKey else {
                throw APIError.invalidField("service_account_key", "is required")
            }
            let account = try GoogleServiceAccount(json: key)
            record.settings = try Self.gcsSettings(body)
            store = try core.gcsStore(settings: record.settings, account: account, timeout: .seconds(10))
            let sealed = try JSONEncoder().encode(CloudCore.SealedCredentials(serviceAccountKey: key))
            record.sealedSecret = try core.secrets.seal(Array(sealed), context: id.uuidString.lowercased())
        case "local":
            guard principal.isAdmin else { throw APIError.forbidden("only admins add local-directory accounts") }
            guard !core.localRoots.isEmpty else {
                throw APIError(
                    .badRequest,
                    code: "local_storage_disabled",
                    message: "this server takes no local-directory accounts (its LOCAL_STORAGE_ROOTS is empty)"
                )
            }
            guard let path = body.path, LocalPath.isPlainAbsolute(path) else {
                throw APIError.invalidField("path", "must be an absolute directory path without . or .. segments")
            }
            // One answer for every path outside (missing, a link, a file): it tells nothing about the server's files.
            let outside = Self.pathOutsideRoots
            guard core.localRoots.confine(path) != nil else { throw outside }
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            // Checked again once it exists: a link made in the meantime must not have taken it out.
            guard let resolved = core.localRoots.confine(path) else { throw outside }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue
            else { throw APIError.invalidField("path", "cannot be made a directory") }
            record.settings = AccountSettings(path: path)
            store = LocalObjectStore(root: resolved, threadPool: core.fileThreads)
        default:
            throw APIError.invalidField("provider", "must be s3, gcs or local")
        }
        return (record, store)
    }

    /// Writes, reads back and deletes a small object. A failure is a 422 with a fixed message per cause: what the
    /// endpoint said goes to the log only, since the answer must not relay what some host inside the network says.
    @inline(never)
    private func probe(_ store: any ObjectStore, provider: String, context: StrypeRequestContext) async throws {
        let key = "cloudstrype-probe-\(RequestID.generate())"
        let content = ByteBuffer(string: "cloudstrype probe \(key)")
        do {
            _ = try await store.put(
                key: key,
                length: Int64(content.readableBytes),
                sha256: nil,
                body: BufferSequence([content])
            )
            let read = try await store.get(key: key, range: nil, context: context)
            let writer = CollectingWriter()
            try await read.body.write(writer)
            let collected = writer.buffer
            try await store.delete(key: key)
            guard collected == content else {
                throw ObjectStoreError.provider(status: 200, code: "ProbeMismatch", message: "read back other bytes")
            }
        } catch let error as APIError {
            throw error
        } catch {
            context.logger.warning(
                "account probe failed",
                metadata: ["provider": "\(provider)", "error": "\(error)"]
            )
            throw Self.probeFailure(error as? ObjectStoreError, provider: provider)
        }
    }

    /// A local path outside every root, whatever is there.
    static let pathOutsideRoots = APIError(
        .badRequest,
        code: "local_path_not_allowed",
        message: "path: must lie inside one of the server's LOCAL_STORAGE_ROOTS",
        field: "path"
    )

    /// The answer to a failed probe: one fixed message per cause.
    static func probeFailure(_ error: ObjectStoreError?, provider: String) -> APIError {
        let message: String
        switch error {
        case .endpointNotAllowed?:
            // A gcs account calls its key's token_uri too: either may be the address refused.
            let field = provider == "gcs" ? "endpoint or the key's token_uri" : "endpoint"
            return APIError(
                .badRequest,
                code: "endpoint_not_allowed",
                message: "\(field): this server does not connect to loopback, private, link-local or other "
                    + "non-public addresses",
                field: provider == "gcs" ? nil : "endpoint"
            )
        case .pathNotAllowed?:
            return pathOutsideRoots
        case _ where provider == "local": message = "the directory cannot be written"
        case .unreachable?: message = "the probe could not connect to the endpoint"
        case .tlsFailed?: message = "the probe could not make a TLS connection to the endpoint"
        case .provider(let status, _, _)? where status == 401 || status == 403:
            message = "the provider refused the credentials"
        case .provider(404, "NoSuchBucket", _)?: message = "the bucket does not exist"
        case .provider(404, _, _)? where provider == "gcs": message = "the bucket does not exist"
        case _ where provider == "gcs": message = "the endpoint did not answer as a Cloud Storage bucket does"
        default: message = "the endpoint did not answer as an S3 bucket does"
        }
        return APIError(.unprocessableContent, code: "account_probe_failed", message: message)
    }

    private static func s3Settings(_ body: CreateAccountRequest) throws -> AccountSettings {
        let endpoint = try endpoint(body.endpoint, example: "https://s3.example.com")
        guard let region = body.region, !region.isEmpty, region.utf8.count <= 64,
            region.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
        else { throw APIError.invalidField("region", "is required (e.g. us-east-1)") }
        guard let key = body.accessKeyID, !key.isEmpty, key.utf8.count <= 128 else {
            throw APIError.invalidField("access_key_id", "is required")
        }
        return AccountSettings(
            endpoint: endpoint,
            region: region,
            bucket: try bucket(body.bucket),
            prefix: try prefix(body.prefix),
            pathStyle: body.pathStyle ?? true,
            accessKeyID: key
        )
    }

    /// A gcs account's place: Google's API (or the `endpoint` of an emulator), a bucket and a prefix.
    private static func gcsSettings(_ body: CreateAccountRequest) throws -> AccountSettings {
        AccountSettings(
            endpoint: try body.endpoint.map { try endpoint($0, example: GCSObjectStore.googleEndpoint) },
            bucket: try bucket(body.bucket, google: true),
            prefix: try prefix(body.prefix)
        )
    }

    /// A base URL only (`EndpointPolicy.plainURL`).
    private static func endpoint(_ endpoint: String?, example: String) throws -> String {
        guard let endpoint, EndpointPolicy.plainURL(endpoint) != nil else {
            throw APIError.invalidField("endpoint", "must be an http(s) base URL like \(example)")
        }
        return endpoint
    }

    /// A bucket name: 3 to 63 of a-z 0-9 - . (as S3 accounts always took them), or Google's, which also allow `_`
    /// and, with dots, up to 222, and start and end with a letter or digit
    /// (https://cloud.google.com/storage/docs/buckets#naming).
    private static func bucket(_ bucket: String?, google: Bool = false) throws -> String {
        let longest = google && bucket?.contains(".") == true ? 222 : 63
        guard let bucket, (3...longest).contains(bucket.utf8.count),
            bucket.allSatisfy({
                ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." || (google && $0 == "_")) && $0.isASCII
            }),
            let first = bucket.first, let last = bucket.last,
            !google || ((first.isLetter || first.isNumber) && (last.isLetter || last.isNumber))
        else { throw APIError.invalidField("bucket", "must be a valid bucket name") }
        return bucket
    }

    /// The key prefix, ending in `/` when there is one.
    private static func prefix(_ prefix: String?) throws -> String {
        guard let prefix, !prefix.isEmpty else { return "" }
        let slashed = prefix.hasSuffix("/") ? prefix : prefix + "/"
        guard (try? ObjectKey.validate(String(slashed.dropLast()))) != nil else {
            throw APIError.invalidField("prefix", "only letters, digits, - _ . / are allowed")
        }
        return slashed
    }
}

/// Collects a response body in memory (for the tiny probe object only).
final class CollectingWriter: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

extension AccountResponse: ResponseEncodable {}
extension ObjectResponse: ResponseEncodable {}
extension ChunkLocationsResponse: ResponseEncodable {}
