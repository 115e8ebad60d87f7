import Foundation
import HTTPTypes
import Hummingbird
import Logging
import StrypeCore

/// What one kind of linked storage does for the object routes (`ObjectsController`): cloud accounts and array
/// members each provide one; the routes, the access rule and the quota's charges and refunds are written once.
package protocol BackendObjects: Sendable {
    associatedtype Backend: Sendable
    /// A backend ready for I/O (a cloud account with its provider's client).
    associatedtype Opened: Sendable
    associatedtype Stored: ResponseEncodable

    /// Where a backend's objects are: `/accounts/{id}/objects`, `/members/{id}/objects`.
    static var route: String { get }
    /// The largest object one PUT takes, and what a 413 says of it.
    static var maximumObjectSize: (bytes: Int64, message: String) { get }
    /// Where users' objects are charged (filesystem's ledger).
    var quota: any StorageQuota { get }
    var logger: Logger { get }

    /// The backend of the route's `{id}`, if `principal` may use it (404 otherwise).
    func backend(_ context: StrypeRequestContext, for principal: Principal) async throws -> Backend
    /// The key the route's `**` names, checked.
    func clientKey(_ context: StrypeRequestContext) throws -> String
    /// The key `principal`'s object `key` is stored under on `backend` (`BackendAccess.storedKey`), checked.
    func storedKey(_ key: String, on backend: Backend, for principal: Principal) throws -> String
    /// The backend ready for I/O; the error a client sees when it cannot be.
    func open(_ backend: Backend) async throws -> Opened
    /// Writes the request's body (`length` bytes, `sha256` when the caller sent it) under `key`; the error a client
    /// sees when it cannot. What was written: its size and SHA-256.
    func write(_ request: Request, length: Int64, sha256: String?, key: String, on backend: Opened, by: Principal)
        async throws -> (size: Int64, sha256: String)
    /// Records the object written; the charge of an object it replaced, to be refunded.
    func record(_ written: (size: Int64, sha256: String), key: String, on backend: Opened, by: Principal) async throws
        -> (ownerID: UUID, bytes: Int64)?
    /// The answer to a PUT.
    func stored(_ written: (size: Int64, sha256: String), key: String, on backend: Opened) -> Stored
    /// The object's bytes (with `Range` where the backend takes it).
    func read(_ request: Request, key: String, on backend: Opened, context: StrypeRequestContext) async throws
        -> Response
    /// 200 with the object's `Content-Length`, or 404.
    func stat(key: String, on backend: Opened) async throws -> Response
    /// Deletes the object (gone already is fine); the charge it carried, to be refunded.
    func remove(key: String, on backend: Opened) async throws -> (ownerID: UUID, bytes: Int64)?
}

/// `…/objects/{key}` on one backend: put, get, stat and delete, as chunk stores shards and users store objects. A
/// user's object is charged to their quota, the whole length before a byte is read (413 `quota_exceeded` when it does
/// not fit); the object it replaces is refunded to whoever carried it once the new one is recorded, so concurrent
/// writers of one key cannot leave bytes uncharged. Shards chunk writes belong to files, which filesystem counts.
package struct ObjectsController<Objects: BackendObjects>: RouteController {
    package let objects: Objects

    package static var sha256Header: HTTPField.Name { HTTPField.Name("X-Content-SHA256")! }

    package init(objects: Objects) {
        self.objects = objects
    }

    package func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated(Objects.route)
            .put("/**", use: put)
            .get("/**", use: get)
            .head("/**", use: head)
            .delete("/**", use: delete)
    }

    /// `PUT …/objects/{key}`: `Content-Length` required, `X-Content-SHA256` checked when sent → 201 with what is
    /// stored.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        Objects.Stored
    > {
        let (backend, key, principal) = try await target(context)
        let limit = Objects.maximumObjectSize
        let length = try request.requiredLength(atMost: limit.bytes, limit.message)
        let sha256 = request.headers[Self.sha256Header]?.lowercased()
        if let sha256, sha256.utf8.count != 64 || !sha256.allSatisfy(\.isHexDigit) {
            throw APIError.invalidField("X-Content-SHA256", "must be 64 hex digits")
        }
        let chargedTo = principal.isService ? nil : principal.userID
        if let chargedTo, length > 0 { try await objects.quota.charge(owner: chargedTo, bytes: length) }
        let written: (size: Int64, sha256: String)
        do {
            written = try await objects.write(
                request,
                length: length,
                sha256: sha256,
                key: key,
                on: backend,
                by: principal
            )
        } catch {
            // The backend kept the old object (or none): nothing new is stored.
            if let chargedTo { await objects.quota.refund(owner: chargedTo, bytes: length, logger: objects.logger) }
            throw error
        }
        if let replaced = try await objects.record(written, key: key, on: backend, by: principal) {
            await objects.quota.refund(owner: replaced.ownerID, bytes: replaced.bytes, logger: objects.logger)
        }
        return EditedResponse(
            status: .created,
            response: objects.stored(written, key: try objects.clientKey(context), on: backend)
        )
    }

    /// `GET …/objects/{key}` → the bytes, streamed.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let (backend, key, _) = try await target(context)
        return try await objects.read(request, key: key, on: backend, context: context)
    }

    /// `HEAD …/objects/{key}` → 200 with `Content-Length`, or 404.
    @Sendable func head(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let (backend, key, _) = try await target(context)
        return try await objects.stat(key: key, on: backend)
    }

    /// `DELETE …/objects/{key}` → 204, also when it was already gone; what a user put is refunded to the quota it was
    /// charged to, a shard chunk wrote refunds nothing.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        let (backend, key, _) = try await target(context)
        if let charged = try await objects.remove(key: key, on: backend) {
            await objects.quota.refund(owner: charged.ownerID, bytes: charged.bytes, logger: objects.logger)
        }
        return .noContent
    }

    /// The backend of the route, the stored key of its object, and the caller.
    private func target(_ context: StrypeRequestContext) async throws -> (Objects.Opened, String, Principal) {
        let principal = try context.requirePrincipal()
        let backend = try await objects.backend(context, for: principal)
        let key = try objects.storedKey(try objects.clientKey(context), on: backend, for: principal)
        return (try await objects.open(backend), key, principal)
    }
}
