import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// Streaming object I/O on one account: what chunk stores shards with.
struct ObjectsController: RouteController {
    let core: CloudCore
    let authentication: AuthenticationMiddleware

    static let sha256Header = HTTPField.Name("X-Content-SHA256")!

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let objects = router.group("/accounts/{id}/objects").add(middleware: authentication)
        objects.put("/**", use: put)
        objects.get("/**", use: get)
        objects.head("/**", use: head)
        objects.delete("/**", use: delete)
    }

    /// The largest object one S3 PUT takes.
    static let maximumObjectSize: Int64 = 5 << 30

    /// `PUT …/objects/{key}`: `Content-Length` required, `X-Content-SHA256` checked when sent → 201 `{key,size,sha256}`.
    /// A user's object is charged to the user's quota before a byte is sent: 413 `quota_exceeded` when it does not
    /// fit.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<ObjectResponse>
    {
        let (account, key, store) = try await target(context)
        // S3's limit for one PUT.
        let length = try request.requiredLength(atMost: Self.maximumObjectSize, "an object is at most 5 GiB")
        let sha256 = request.headers[Self.sha256Header]?.lowercased()
        if let sha256, sha256.utf8.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw APIError.invalidField("X-Content-SHA256", "must be 64 hex digits")
        }
        // Shards chunk writes belong to files, which filesystem counts; what a user puts here is charged here: the
        // whole length before a byte is sent, and the object it replaced refunded to whoever carried it, once the
        // new one is recorded (so concurrent writers of one key cannot leave bytes uncharged).
        let principal = try context.requirePrincipal()
        let owner = principal.isService ? nil : principal.userID
        if let owner, length > 0 { try await core.quota.charge(owner: owner, bytes: length) }
        let stored: StoredObject
        do {
            stored = try await store.put(key: key, length: length, sha256: sha256, body: request.body)
        } catch {
            // The provider kept the old object (or none): nothing new is stored.
            if let owner { await core.refund(owner: owner, bytes: length) }
            guard let failure = error as? ObjectStoreError else { throw error }
            await core.noteHealth(account, error: failure)
            throw failure.apiError
        }
        await core.noteHealth(account, error: nil)
        try await core.accounts.addUsage(id: account.id, bytes: stored.size, objects: 1)
        if let owner {
            let replaced = try await core.accounts.recordUserObject(
                accountID: account.id,
                storedKey: key,
                ownerID: owner,
                size: stored.size
            )
            if let replaced { await core.refund(owner: replaced.ownerID, bytes: replaced.size) }
        }
        return EditedResponse(
            status: .created,
            response: ObjectResponse(key: try objectKey(context), size: stored.size, sha256: stored.sha256)
        )
    }

    /// `GET …/objects/{key}` with an optional single `Range` → 200 or 206, streamed.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let (account, key, store) = try await target(context)
        do {
            var range: ClosedRange<Int64>?
            if let header = request.headers[.range] {
                guard let size = try await store.head(key: key) else { throw ObjectStoreError.notFound }
                guard let parsed = ByteRange.parse(header, size: size) else { throw ObjectStoreError.invalidRange }
                range = parsed
            }
            let read = try await store.get(key: key, range: range, context: context)
            await core.noteHealth(account, error: nil)
            var headers: HTTPFields = [.contentType: "application/octet-stream", .acceptRanges: "bytes"]
            if let range {
                headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(read.totalSize)"
                headers[.contentLength] = String(range.count)
                return Response(status: .partialContent, headers: headers, body: read.body)
            }
            headers[.contentLength] = String(read.totalSize)
            return Response(status: .ok, headers: headers, body: read.body)
        } catch let error as ObjectStoreError {
            await core.noteHealth(account, error: error)
            throw error.apiError
        }
    }

    /// `HEAD …/objects/{key}` → 200 with `Content-Length`, or 404.
    @Sendable func head(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let (account, key, store) = try await target(context)
        do {
            guard let size = try await store.head(key: key) else { throw ObjectStoreError.notFound }
            await core.noteHealth(account, error: nil)
            return Response(status: .ok, headers: [.contentLength: String(size), .acceptRanges: "bytes"])
        } catch let error as ObjectStoreError {
            await core.noteHealth(account, error: error)
            throw error.apiError
        }
    }

    /// `DELETE …/objects/{key}` → 204, also when it was already gone. An object a user put is refunded to the quota
    /// it was charged to; a shard chunk wrote refunds nothing.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let (account, key, store) = try await target(context)
        do {
            let size = try await store.head(key: key)
            try await store.delete(key: key)
            await core.noteHealth(account, error: nil)
            if let size { try await core.accounts.addUsage(id: account.id, bytes: -size, objects: -1) }
            if let charged = try await core.accounts.deleteUserObject(accountID: account.id, storedKey: key) {
                await core.refund(owner: charged.ownerID, bytes: charged.size)
            }
            return .noContent
        } catch let error as ObjectStoreError {
            await core.noteHealth(account, error: error)
            throw error.apiError
        }
    }

    private func objectKey(_ context: StrypeRequestContext) throws -> String {
        let key = context.parameters.getCatchAll().joined(separator: "/")
        do {
            return try ObjectKey.validate(key)
        } catch let error as ObjectStoreError {
            throw error.apiError
        }
    }

    private func target(_ context: StrypeRequestContext) async throws -> (AccountRecord, String, any ObjectStore) {
        let principal = try context.requirePrincipal()
        let account = try await core.usableAccount(try context.uuidParameter("id", resource: "account"), by: principal)
        let key = try core.storedKey(try objectKey(context), in: account, for: principal)
        do {
            return (account, key, try await core.store(for: account))
        } catch let error as ObjectStoreError {
            await core.noteHealth(account, error: error)
            throw error.apiError
        }
    }
}
