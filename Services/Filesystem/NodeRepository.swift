import Foundation
import Hummingbird
import Logging
import PostgresNIO
import StrypeCore
import StrypeService

/// The file tree in Postgres. Every change is one transaction.
protocol NodeRepository: Sendable {
    /// The user's root directory, created on first use.
    func root(owner: UUID) async throws -> NodeRecord
    /// The live node at `path`, or nil.
    func resolve(owner: UUID, path: FilePath) async throws -> NodeRecord?
    /// The live nodes along `path`, the root first, as far as the path exists (one round trip).
    func chain(owner: UUID, path: FilePath) async throws -> [NodeRecord]
    /// The user's live node with this id, or nil.
    func find(owner: UUID, id: UUID) async throws -> NodeRecord?
    /// Any user's live node with this id (callers check access), or nil.
    func find(id: UUID) async throws -> NodeRecord?
    /// Where a node is, from the root, or from `top` (`/top-name/...`) when it is below that directory.
    func path(of id: UUID, from top: UUID?) async throws -> FilePath
    /// Up to `limit` live entries of a directory after `after` (nil: from the first), directories first, then by name.
    func children(of id: UUID, after: ListCursor?, limit: Int) async throws -> [NodeRecord]
    /// `mkdir -p`: the directory at `path`, creating what is missing; 409 when a file is in the way.
    func makeDirectories(owner: UUID, path: FilePath) async throws -> NodeRecord
    /// Records a chunk about to be stored for an upload, collectable after `collectAfter` unless committed; pushes
    /// the upload's other chunks' time out as well (the upload is alive).
    func addLooseChunk(_ chunkID: String, owner: UUID, upload: UUID, collectAfter: Date) async throws
    /// Makes `version` the file's current one at `path` (creating the file and its parents), releases the upload's
    /// loose chunks; returns the node and whether the file is new. In one round trip (`fs.put_file`). With a quota
    /// (the owner's, else the default), the owner's commits take turns and one that would take usage past it is a
    /// 413 `quota_exceeded` that changes nothing.
    func commit(owner: UUID, path: FilePath, version: NewVersion, upload: UUID?) async throws -> (NodeRecord, Bool)
    /// The chunks of a file version, in order, inline content included.
    func chunks(fileID: UUID, version: Int) async throws -> [ChunkPart]
    /// The owner's key for inline content, sealed; `make` seals a new one when the owner has none yet.
    func sealedInlineKey(owner: UUID, make: @Sendable () throws -> [UInt8]) async throws -> [UInt8]
    /// Any of the user's nodes, trashed ones included.
    func findAny(owner: UUID, id: UUID) async throws -> NodeRecord?
    /// Renames in place and replaces the given metadata; 409 when the name is taken.
    func update(owner: UUID, id: UUID, name: String?, attrs: [String: String]?, tags: [String]?) async throws
    /// Moves (and renames) a node to `path`, whose parent must be a directory; 409 on a name clash or a cycle.
    func move(owner: UUID, id: UUID, to path: FilePath) async throws
    /// Moves a node and everything below it to the trash.
    func trash(owner: UUID, id: UUID) async throws
    /// Brings a trashed node back where it was, with what was trashed with it.
    func restore(owner: UUID, id: UUID) async throws
    /// Deletes a node and everything below it for good; their chunks become loose, collectable at once.
    func purge(owner: UUID, id: UUID) async throws
    /// What the user trashed, latest first.
    func trashed(owner: UUID) async throws -> [NodeRecord]
    /// A file's versions, latest first.
    func versions(fileID: UUID) async throws -> [VersionRecord]
    /// Makes an old version current again, as a new version with the same chunks.
    func restoreVersion(owner: UUID, fileID: UUID, version: Int) async throws
    /// The storage choice the nearest directory on the way to `directory` made (nil fields: none did).
    func storage(owner: UUID, directory: FilePath) async throws -> StorageSettings
    /// Sets a directory's storage choice for new files below it.
    func saveDirectorySettings(owner: UUID, id: UUID, _ storage: StorageSettings) async throws
    /// A failed upload: its chunks are collectable at once.
    func releaseUpload(_ upload: UUID) async throws
    /// Loose chunks due for collection.
    func dueLooseChunks(limit: Int) async throws -> [(chunkID: String, owner: UUID)]
    /// The chunk was deleted (or was never stored).
    func looseChunkCollected(_ chunkID: String) async throws
    /// Deleting failed; try again later, backing off.
    func looseChunkFailed(_ chunkID: String) async throws
}

extension NodeRepository {
    /// Where a node is, from its owner's root.
    func path(of id: UUID) async throws -> FilePath { try await path(of: id, from: nil) }
}
