import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import StrypeCore
import StrypeService

/// An account with its provider's client.
struct OpenAccount: Sendable {
    let record: AccountRecord
    let store: any ObjectStore
}

/// Objects on users' cloud accounts, streamed to and from the provider, for the shared object routes.
struct AccountObjects: BackendObjects {
    let core: CloudCore

    static let route = "/accounts/{id}/objects"
    /// S3's limit for one PUT.
    static let maximumObjectSize: (bytes: Int64, message: String) = (5 << 30, "an object is at most 5 GiB")
    var quota: any StorageQuota { core.quota }
    var logger: Logger { core.logger }

    func backend(_ context: StrypeRequestContext, for principal: Principal) async throws -> AccountRecord {
        try await core.usableAccount(try context.uuidParameter("id", resource: "account"), by: principal)
    }

    func clientKey(_ context: StrypeRequestContext) throws -> String {
        do {
            return try ObjectKey.validate(context.parameters.getCatchAll().joined(separator: "/"))
        } catch let error as ObjectStoreError {
            throw error.apiError
        }
    }

    func storedKey(_ key: String, on account: AccountRecord, for principal: Principal) throws -> String {
        try core.storedKey(key, in: account, for: principal)
    }

    /// The account with its provider's client; a failure is noted in the account's health.
    func open(_ account: AccountRecord) async throws -> OpenAccount {
        do {
            return OpenAccount(record: account, store: try await core.store(for: account))
        } catch let error as ObjectStoreError {
            await core.noteHealth(account, error: error)
            throw error.apiError
        }
    }

    func write(_ request: Request, length: Int64, sha256: String?, key: String, on account: OpenAccount, by: Principal)
        async throws -> (size: Int64, sha256: String)
    {
        let stored = try await withStore(account) { store in
            try await store.put(key: key, length: length, sha256: sha256, body: request.body)
        }
        return (stored.size, stored.sha256)
    }

    func record(_ written: (size: Int64, sha256: String), key: String, on account: OpenAccount, by principal: Principal)
        async throws -> (ownerID: UUID, bytes: Int64)?
    {
        try await core.accounts.addUsage(id: account.record.id, bytes: written.size, objects: 1)
        guard !principal.isService, let owner = principal.userID else { return nil }
        let replaced = try await core.accounts.recordUserObject(
            accountID: account.record.id,
            storedKey: key,
            ownerID: owner,
            size: written.size
        )
        return replaced.map { ($0.ownerID, $0.size) }
    }

    func stored(_ written: (size: Int64, sha256: String), key: String, on _: OpenAccount) -> ObjectResponse {
        ObjectResponse(key: key, size: written.size, sha256: written.sha256)
    }

    /// With an optional single `Range` → 200 or 206, streamed.
    func read(_ request: Request, key: String, on account: OpenAccount, context: StrypeRequestContext) async throws
        -> Response
    {
        try await withStore(account) { store in
            var range: ClosedRange<Int64>?
            if let header = request.headers[.range] {
                guard let size = try await store.head(key: key) else { throw ObjectStoreError.notFound }
                guard let parsed = ByteRange.parse(header, size: size) else { throw ObjectStoreError.invalidRange }
                range = parsed
            }
            let read = try await store.get(key: key, range: range, context: context)
            var headers: HTTPFields = [.contentType: "application/octet-stream", .acceptRanges: "bytes"]
            if let range {
                headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(read.totalSize)"
                headers[.contentLength] = String(range.count)
                return Response(status: .partialContent, headers: headers, body: read.body)
            }
            headers[.contentLength] = String(read.totalSize)
            return Response(status: .ok, headers: headers, body: read.body)
        }
    }

    func stat(key: String, on account: OpenAccount) async throws -> Response {
        try await withStore(account) { store in
            guard let size = try await store.head(key: key) else { throw ObjectStoreError.notFound }
            return Response(status: .ok, headers: [.contentLength: String(size), .acceptRanges: "bytes"])
        }
    }

    func remove(key: String, on account: OpenAccount) async throws -> (ownerID: UUID, bytes: Int64)? {
        try await withStore(account) { store in
            let size = try await store.head(key: key)
            try await store.delete(key: key)
            if let size { try await core.accounts.addUsage(id: account.record.id, bytes: -size, objects: -1) }
            return try await core.accounts.deleteUserObject(accountID: account.record.id, storedKey: key).map {
                ($0.ownerID, $0.size)
            }
        }
    }

    /// `body` on the account's store; the provider's answer is noted in the account's health, its failure answered
    /// as the client's error.
    private func withStore<T>(_ account: OpenAccount, _ body: (any ObjectStore) async throws -> T) async throws -> T {
        do {
            let result = try await body(account.store)
            await core.noteHealth(account.record, error: nil)
            return result
        } catch let error as ObjectStoreError {
            await core.noteHealth(account.record, error: error)
            throw error.apiError
        }
    }
}
