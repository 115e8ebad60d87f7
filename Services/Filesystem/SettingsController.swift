import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// How new files are stored (the user's choice, and directories' overrides), usage and quotas.
struct SettingsController: Sendable {
    let nodes: any NodeRepository
    let authentication: AuthenticationMiddleware
    /// Asked, with the admin's own token, whether the user a quota names exists.
    let directory: any GranteeDirectory
    /// The quota of users without one of their own (nil: none).
    let defaultQuota: Int64?

    func addRoutes(to router: Router<StrypeRequestContext>) {
        let settings = router.group("/settings").add(middleware: authentication)
        settings.get(use: get)
        settings.put(use: put)
        router.group("/usage").add(middleware: authentication).get(use: usage)
        router.group("/quotas").add(middleware: authentication).put("/{user}", use: setQuota)
    }

    /// `GET /settings` → the user's storage choice for new files, defaults filled in; `?path=/dir` → that
    /// directory's own override (null fields inherit).
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> StorageSettings {
        let owner = try DataController.owner(context)
        if let text = request.uri.queryParameters.get("path") {
            return try await directory(owner, text).storage
        }
        let stored = try await nodes.settings(owner: owner).storage
        return StorageSettings(
            durability: stored.durability ?? DataController.defaultDurability,
            encryption: stored.encryption ?? DataController.defaultEncryption
        )
    }

    /// `PUT /settings {durability, encryption}` (null: the default) → what is now in force; with `?path=/dir` the
    /// directory's override, inherited by new files below it.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> StorageSettings {
        let owner = try DataController.owner(context)
        let body = try await request.decode(as: StorageSettings.self, context: context)
        let checked = StorageSettings(
            durability: try body.durability.map { try DataController.durability($0) },
            encryption: try body.encryption.map { try DataController.encryption($0) }
        )
        if let text = request.uri.queryParameters.get("path") {
            let node = try await directory(owner, text)
            try await nodes.saveDirectorySettings(owner: owner, id: node.id, checked)
            return checked
        }
        try await nodes.saveSettings(owner: owner, checked)
        return try await get(request, context: context)
    }

    /// `GET /usage` → bytes stored (every version and the trash, each chunk once, plus raw chunks, objects and seeds
    /// stored directly), files, and the quota.
    @Sendable func usage(_ request: Request, context: StrypeRequestContext) async throws -> UsageResponse {
        let owner = try DataController.owner(context)
        let (bytes, files) = try await nodes.usage(owner: owner)
        return UsageResponse(bytes: bytes, files: files, quota: try await quota(owner))
    }

    /// `PUT /quotas/{user} {bytes}` (admins) → 204; `bytes` null removes the user's own quota.
    @Sendable func setQuota(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        guard try context.requirePrincipal().isAdmin else { throw APIError.forbidden("only admins set quotas") }
        let user = try context.uuidParameter("user", resource: "user")
        let body = try await request.decode(as: QuotaRequest.self, context: context)
        if let bytes = body.bytes, bytes < 0 { throw APIError.invalidField("bytes", "a quota is not negative") }
        guard try await directory.userExists(user, authorization: request.headers[.authorization] ?? "") else {
            throw APIError.notFound("no such user")
        }
        try await nodes.saveQuota(owner: user, bytes: body.bytes)
        return .noContent
    }

    func quota(_ owner: UUID) async throws -> Int64? {
        try await nodes.settings(owner: owner).quota ?? defaultQuota
    }

    private func directory(_ owner: UUID, _ text: String) async throws -> NodeRecord {
        let path = try DataController.path(text)
        guard let node = try await nodes.resolve(owner: owner, path: path), node.kind == .dir else {
            throw APIError.notFound("no folder \(path)")
        }
        return node
    }
}

/// `PUT /quotas/{user}`.
struct QuotaRequest: Codable, Sendable {
    var bytes: Int64?
}

extension StorageSettings: ResponseEncodable {}
extension UsageResponse: ResponseEncodable {}
