import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/settings`: how new files are stored (the user's choice, and directories' overrides).
struct SettingsController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/settings").get(use: get).put(use: put)
    }

    /// `GET /settings` → the user's storage choice for new files, defaults filled in; `?path=/dir` → that
    /// directory's own override (null fields inherit).
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> StorageSettings {
        let owner = try FileInput.caller(context)
        if let text = request.uri.queryParameters.get("path") {
            return try await directory(owner, text).storage
        }
        let stored = try await core.userSettings.settings(owner: owner).storage
        return StorageSettings(
            durability: stored.durability ?? FileInput.defaultDurability,
            encryption: stored.encryption ?? FileInput.defaultEncryption
        )
    }

    /// `PUT /settings {durability, encryption}` (null: the default) → what is now in force; with `?path=/dir` the
    /// directory's override, inherited by new files below it.
    @Sendable func put(_ request: Request, context: StrypeRequestContext) async throws -> StorageSettings {
        let owner = try FileInput.caller(context)
        let body = try await request.decode(as: StorageSettings.self, context: context)
        let checked = StorageSettings(
            durability: try body.durability.map { try FileInput.durability($0) },
            encryption: try body.encryption.map { try FileInput.encryption($0) }
        )
        if let text = request.uri.queryParameters.get("path") {
            let node = try await directory(owner, text)
            try await core.nodes.saveDirectorySettings(owner: owner, id: node.id, checked)
            return checked
        }
        try await core.userSettings.saveSettings(owner: owner, checked)
        return try await get(request, context: context)
    }

    private func directory(_ owner: UUID, _ text: String) async throws -> NodeRecord {
        let path = try FileInput.path(text)
        guard let node = try await core.nodes.resolve(owner: owner, path: path), node.kind == .dir else {
            throw APIError.notFound("no folder \(path)")
        }
        return node
    }
}

extension StorageSettings: ResponseEncodable {}
