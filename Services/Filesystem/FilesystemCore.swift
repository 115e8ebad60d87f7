import Foundation
import Hummingbird
import Logging
import StrypeCore
import StrypeService

/// What filesystem's controllers share: the tree and its access rules, the transfers, the stores of uploads, links
/// and grants, and the rules every upload and commit follows.
struct FilesystemCore: Sendable {
    let nodes: any NodeRepository
    let userSettings: any UserSettingsRepository
    let access: NodeAccess
    let transfers: Transfers
    let chunks: ChunkClient
    let grants: any GrantRepository
    /// Tells whether users and groups exist and are active.
    let directory: any GranteeDirectory
    let links: LinkRepository
    let tus: TusRepository
    let sessions: UploadSessionRepository
    let redis: RedisClient
    let settings: FilesystemSettings

    /// The node named by the route's `{id}`, if the caller has `needs` on it.
    func reach(_ context: StrypeRequestContext, needs: Access) async throws -> ReachedNode {
        try await access.reach(
            try context.uuidParameter("id", resource: "file"),
            caller: try FileInput.caller(context),
            needs: needs
        )
    }

    /// The node after a change, as the caller sees it.
    func current(_ reached: ReachedNode) async throws -> NodeResponse {
        guard let node = try await nodes.find(id: reached.node.id) else { throw APIError.notFound("no such file") }
        return try await access.response(ReachedNode(node: node, access: reached.access, grantRoot: reached.grantRoot))
    }

    /// Makes the stored chunks the file's new version at `target` → 201 (new file) or 200 (new version); 413 when
    /// uploads committed meanwhile left too little of the quota. A nil storage choice is the folder's or user's.
    func commit(
        _ stored: Transfers.Stored,
        at target: Destination,
        storage: (durability: String?, encryption: String?),
        upload: UUID?,
        logger: Logger
    ) async throws -> EditedResponse<NodeResponse> {
        let version = NewVersion(
            size: stored.size,
            sha256: stored.sha256,
            durability: storage.durability,
            encryption: storage.encryption,
            contentType: ContentType.detect(name: target.path.name, head: stored.head),
            chunks: stored.parts
        )
        let node: NodeRecord
        let created: Bool
        do {
            (node, created) = try await nodes.commit(
                owner: target.owner,
                path: target.path,
                version: version,
                upload: upload
            )
        } catch {
            if let upload { try? await nodes.releaseUpload(upload) }
            throw error
        }
        logger.info(
            "file stored",
            metadata: ["file_id": "\(node.id)", "bytes": "\(stored.size)", "chunks": "\(stored.parts.count)"]
        )
        return EditedResponse(status: created ? .created : .ok, response: try await access.response(node, at: target))
    }

    /// What a new file at `directory` is stored with and how many bytes the owner may still store (nil: no quota).
    struct UploadTerms {
        var durability: String
        var encryption: String
        var room: Int64?
    }

    /// The terms of an upload, from one read of the user's settings. Durability and encryption: the request's
    /// headers, else the nearest directory's choice (`inherited` when the caller walked the path already), else the
    /// user's settings, else the defaults.
    func uploadTerms(_ request: Request, owner: UUID, directory: FilePath, inherited: StorageSettings? = nil)
        async throws -> UploadTerms
    {
        var walked = inherited
        if walked == nil { walked = try await nodes.storage(owner: owner, directory: directory) }
        let inherited = walked ?? StorageSettings()
        let user = try await userSettings.settings(owner: owner)
        let quota = user.quota ?? settings.defaultQuota
        var room: Int64?
        if let quota { room = max(0, quota - (try await userSettings.usage(owner: owner).bytes)) }
        return UploadTerms(
            durability: try FileInput.durability(
                request.headers[FileInput.durabilityHeader] ?? inherited.durability ?? user.storage.durability
            ),
            encryption: try FileInput.encryption(
                request.headers[FileInput.encryptionHeader] ?? inherited.encryption ?? user.storage.encryption
            ),
            room: room
        )
    }

    /// The room an upload that is about to be created may declare: what the quota leaves once the owner's other open
    /// uploads have the room they declared, so many unfinished uploads cannot together hold more than the quota. nil
    /// without a quota.
    func roomForNewUpload(_ terms: UploadTerms, owner: UUID) async throws -> Int64? {
        guard let room = terms.room else { return nil }
        return max(0, room - (try await userSettings.pendingUploads(owner: owner)))
    }

    /// The owner's quota, their own or the default; nil for none.
    func quota(owner: UUID) async throws -> Int64? {
        try await userSettings.settings(owner: owner).quota ?? settings.defaultQuota
    }

    /// The owner's quota and how many bytes it leaves now; nil without a quota (the usage is then not read).
    func room(owner: UUID) async throws -> (quota: Int64, room: Int64)? {
        guard let quota = try await quota(owner: owner) else { return nil }
        return (quota, max(0, quota - (try await userSettings.usage(owner: owner).bytes)))
    }

    /// 403 (`writeRevoked`) when `uploader` may no longer write a file at `path` in `owner`'s tree; `cancel` runs
    /// first, so the upload's chunks go to the collector.
    func requireStillWrites(
        uploader: UUID,
        owner: UUID,
        path: FilePath,
        cancel: () async -> Void
    ) async throws {
        guard try await mayStillWrite(uploader: uploader, owner: owner, path: path) else {
            await cancel()
            throw FileInput.writeRevoked
        }
    }

    /// Whether `uploader` may still write a file at `path` in `owner`'s tree, by the rule the upload was created
    /// with (`NodeAccess`): always in their own tree; in another's only while a read-write grant reaches the folder,
    /// which must still be there (a commit would otherwise make folders outside any grant).
    func mayStillWrite(uploader: UUID, owner: UUID, path: FilePath) async throws -> Bool {
        guard uploader != owner else { return true }
        guard let folder = try await nodes.resolve(owner: owner, path: path.parent), folder.kind == .dir else {
            return false
        }
        do {
            _ = try await access.reach(folder.id, caller: uploader, needs: .readWrite)
            return true
        } catch let error as APIError where error.status == .notFound || error.status == .forbidden {
            return false
        }
    }
}
