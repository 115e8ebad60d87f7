import Foundation
import StrypeCore
import StrypeService
import Synchronization

@testable import FilesystemService

/// The file tree in memory, keeping `NodeRepository`'s contract (its documentation) so that filesystem's rules are
/// unit-tested without PostgreSQL; the Postgres one is tested end to end by the e2e suite. Quotas count every
/// version's bytes; the owner's quota comes from `settings`.
final class MemoryNodeRepository: NodeRepository {
    struct Stored {
        var version: VersionRecord
        var chunks: [ChunkPart]
    }

    struct State {
        var nodes: [UUID: NodeRecord] = [:]
        /// A trashed node's descendants, hidden with it (the node itself carries `trashedAt`).
        var hiddenWith: [UUID: UUID] = [:]
        var versions: [UUID: [Stored]] = [:]
        var inlineKeys: [UUID: [UInt8]] = [:]
        var loose: [String: (owner: UUID, upload: UUID?, due: Date)] = [:]
    }

    let state = Mutex(State())
    let settings: MemoryUserSettings
    let defaultQuota: Int64?

    init(settings: MemoryUserSettings, defaultQuota: Int64? = nil) {
        self.settings = settings
        self.defaultQuota = defaultQuota
    }

    func root(owner: UUID) async throws -> NodeRecord {
        state.withLock { Self.root(owner, in: &$0) }
    }

    func resolve(owner: UUID, path: FilePath) async throws -> NodeRecord? {
        let chain = try await chain(owner: owner, path: path)
        return chain.count == path.segments.count + 1 ? chain.last : nil
    }

    func chain(owner: UUID, path: FilePath) async throws -> [NodeRecord] {
        state.withLock { state in
            var chain = [Self.root(owner, in: &state)]
            for segment in path.segments {
                guard let next = Self.child(of: chain.last!.id, named: segment, in: state) else { break }
                chain.append(next)
            }
            return chain
        }
    }

    func find(owner: UUID, id: UUID) async throws -> NodeRecord? {
        state.withLock { Self.live(id, in: $0).flatMap { $0.ownerID == owner ? $0 : nil } }
    }

    func find(id: UUID) async throws -> NodeRecord? { state.withLock { Self.live(id, in: $0) } }

    func path(of id: UUID, from top: UUID?) async throws -> FilePath {
        let names = state.withLock { state -> [String] in
            var names: [String] = []
            var current = state.nodes[id]
            while let node = current, let parent = node.parentID {
                names.insert(node.name, at: 0)
                if node.id == top { break }
                current = state.nodes[parent]
            }
            return names
        }
        return try FilePath("/" + names.joined(separator: "/"))
    }

    func children(of id: UUID, after: ListCursor?, limit: Int) async throws -> [NodeRecord] {
        state.withLock { state in
            let after = after.map { Self.order(isFile: $0.isFile, $0.name) }
            return Array(
                Self.liveChildren(of: id, in: state)
                    .sorted { Self.order($0).lexicographicallyPrecedes(Self.order($1)) }
                    .filter { after == nil || after!.lexicographicallyPrecedes(Self.order($0)) }
                    .prefix(limit)
            )
        }
    }

    /// Listing order: folders first, then names by their bytes.
    private static func order(isFile: Bool, _ name: String) -> [UInt8] { [isFile ? 1 : 0] + Array(name.utf8) }

    private static func order(_ node: NodeRecord) -> [UInt8] { order(isFile: node.kind == .file, node.name) }

    func makeDirectories(owner: UUID, path: FilePath) async throws -> NodeRecord {
        try state.withLock { try Self.makeDirectories(owner, path, in: &$0) }
    }

    func addLooseChunk(_ chunkID: String, owner: UUID, upload: UUID, collectAfter: Date) async throws {
        state.withLock { state in
            state.loose[chunkID] = (owner, upload, collectAfter)
            for (id, chunk) in state.loose where chunk.upload == upload { state.loose[id]?.due = collectAfter }
        }
    }

    func commit(owner: UUID, path: FilePath, version: NewVersion, upload: UUID?) async throws -> (NodeRecord, Bool) {
        let own = try await settings.settings(owner: owner)
        let quota = own.quota ?? defaultQuota
        return try state.withLock { state in
            if let quota, Self.usedBytes(owner, in: state) + version.size > quota {
                throw FileInput.quotaExceeded(max(0, quota - Self.usedBytes(owner, in: state)))
            }
            let parent = try Self.makeDirectories(owner, path.parent, in: &state)
            let inherited = Self.ancestry(of: parent.id, in: state).nearestStorage
            let record = VersionRecord(
                number: 1,
                size: version.size,
                sha256: version.sha256,
                durability: version.durability ?? inherited.durability ?? own.storage.durability
                    ?? FileInput.defaultDurability,
                encryption: version.chunks.first?.inline != nil
                    ? "aes256-gcm"
                    : version.encryption ?? inherited.encryption ?? own.storage.encryption
                        ?? FileInput.defaultEncryption,
                contentType: version.contentType,
                created: Date()
            )
            if let upload { state.loose = state.loose.filter { $0.value.upload != upload } }
            if var existing = Self.child(of: parent.id, named: path.name, in: state) {
                guard existing.kind == .file else {
                    throw APIError(.conflict, code: "is_a_directory", message: "\(path) is a directory")
                }
                var next = record
                next.number = (state.versions[existing.id]?.map(\.version.number).max() ?? 0) + 1
                state.versions[existing.id, default: []].append(Stored(version: next, chunks: version.chunks))
                existing.version = next
                existing.modified = Date()
                state.nodes[existing.id] = existing
                return (existing, false)
            }
            let node = NodeRecord(
                id: UUID(),
                ownerID: owner,
                parentID: parent.id,
                name: path.name,
                kind: .file,
                modified: Date(),
                version: record
            )
            state.nodes[node.id] = node
            state.versions[node.id] = [Stored(version: record, chunks: version.chunks)]
            return (node, true)
        }
    }

    func chunks(fileID: UUID, version: Int) async throws -> [ChunkPart] {
        state.withLock { $0.versions[fileID]?.first { $0.version.number == version }?.chunks ?? [] }
    }

    func sealedInlineKey(owner: UUID, make: @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        try state.withLock { state in
            if let key = state.inlineKeys[owner] { return key }
            let key = try make()
            state.inlineKeys[owner] = key
            return key
        }
    }

    func findAny(owner: UUID, id: UUID) async throws -> NodeRecord? {
        state.withLock { $0.nodes[id].flatMap { $0.ownerID == owner ? $0 : nil } }
    }

    func update(owner: UUID, id: UUID, name: String?, attrs: [String: String]?, tags: [String]?) async throws {
        try state.withLock { state in
            guard var node = Self.live(id, in: state), node.ownerID == owner else {
                throw APIError.notFound("no such file")
            }
            if let name, name != node.name, let parent = node.parentID {
                guard Self.child(of: parent, named: name, in: state) == nil else {
                    throw APIError(.conflict, code: "name_taken", message: "that name is taken in this folder")
                }
                node.name = name
            }
            node.attrs = attrs ?? node.attrs
            node.tags = tags ?? node.tags
            state.nodes[id] = node
        }
    }

    func move(owner: UUID, id: UUID, to path: FilePath) async throws {
        let target = try await resolve(owner: owner, path: path.parent)
        try state.withLock { state in
            guard var node = Self.live(id, in: state), node.ownerID == owner else {
                throw APIError.notFound("no such file")
            }
            guard let parent = target else { throw APIError.notFound("no folder \(path.parent)") }
            guard parent.kind == .dir else {
                throw APIError(.conflict, code: "not_a_directory", message: "\(path.parent) is a file")
            }
            guard !Self.ancestry(of: parent.id, in: state).contains(where: { $0.id == id }) else {
                throw APIError(.conflict, code: "cycle", message: "a folder cannot move into itself")
            }
            if let there = Self.child(of: parent.id, named: path.name, in: state), there.id != id {
                throw APIError(.conflict, code: "name_taken", message: "\(path) exists")
            }
            node.parentID = parent.id
            node.name = path.name
            state.nodes[id] = node
        }
    }

    func trash(owner: UUID, id: UUID) async throws {
        try state.withLock { state in
            guard var node = Self.live(id, in: state), node.ownerID == owner else {
                throw APIError.notFound("no such file")
            }
            node.trashedAt = Date()
            state.nodes[id] = node
            for below in Self.descendants(of: id, in: state) { state.hiddenWith[below] = id }
        }
    }

    func restore(owner: UUID, id: UUID) async throws {
        try state.withLock { state in
            guard var node = state.nodes[id], node.ownerID == owner, node.trashedAt != nil, let parent = node.parentID
            else { throw APIError.notFound("nothing in the trash with this id") }
            guard Self.live(parent, in: state) != nil else {
                throw APIError.notFound("the folder it was in is gone")
            }
            guard Self.child(of: parent, named: node.name, in: state) == nil else {
                throw APIError(.conflict, code: "name_taken", message: "something of that name is there now")
            }
            node.trashedAt = nil
            state.nodes[id] = node
            state.hiddenWith = state.hiddenWith.filter { $0.value != id }
        }
    }

    func purge(owner: UUID, id: UUID) async throws {
        state.withLock { state in
            guard state.nodes[id]?.ownerID == owner else { return }
            for gone in [id] + Self.descendants(of: id, in: state) {
                for stored in state.versions.removeValue(forKey: gone) ?? [] {
                    for chunk in stored.chunks where chunk.inline == nil {
                        state.loose[chunk.chunkID] = (owner, nil, Date())
                    }
                }
                state.nodes[gone] = nil
                state.hiddenWith[gone] = nil
            }
        }
    }

    func trashed(owner: UUID) async throws -> [NodeRecord] {
        state.withLock { state in
            state.nodes.values.filter { $0.ownerID == owner && $0.trashedAt != nil }
                .sorted { $0.trashedAt! > $1.trashedAt! }
        }
    }

    func versions(fileID: UUID) async throws -> [VersionRecord] {
        state.withLock { ($0.versions[fileID] ?? []).map(\.version).sorted { $0.number > $1.number } }
    }

    func restoreVersion(owner: UUID, fileID: UUID, version: Int) async throws {
        try state.withLock { state in
            guard var node = Self.live(fileID, in: state), node.ownerID == owner, node.kind == .file else {
                throw APIError.notFound("no such file")
            }
            guard let old = state.versions[fileID]?.first(where: { $0.version.number == version }) else {
                throw APIError.notFound("no version \(version)")
            }
            var next = old.version
            next.number = (state.versions[fileID]?.map(\.version.number).max() ?? 0) + 1
            next.created = Date()
            state.versions[fileID, default: []].append(Stored(version: next, chunks: old.chunks))
            node.version = next
            state.nodes[fileID] = node
        }
    }

    func storage(owner: UUID, directory: FilePath) async throws -> StorageSettings {
        try await chain(owner: owner, path: directory).nearestStorage
    }

    func saveDirectorySettings(owner: UUID, id: UUID, _ storage: StorageSettings) async throws {
        state.withLock { state in
            guard state.nodes[id]?.ownerID == owner, state.nodes[id]?.kind == .dir else { return }
            state.nodes[id]?.storage = storage
        }
    }

    func releaseUpload(_ upload: UUID) async throws {
        state.withLock { state in
            for (id, chunk) in state.loose where chunk.upload == upload { state.loose[id]?.due = .distantPast }
        }
    }

    func dueLooseChunks(limit: Int) async throws -> [(chunkID: String, owner: UUID)] {
        state.withLock { state in
            Array(state.loose.filter { $0.value.due <= Date() }.map { ($0.key, $0.value.owner) }.prefix(limit))
        }
    }

    func looseChunkCollected(_ chunkID: String) async throws { state.withLock { $0.loose[chunkID] = nil } }

    func looseChunkFailed(_ chunkID: String) async throws {
        state.withLock { $0.loose[chunkID]?.due = Date().addingTimeInterval(60) }
    }

    /// Bytes of every version the owner keeps (trash included).
    func usedBytes(_ owner: UUID) -> Int64 { state.withLock { Self.usedBytes(owner, in: $0) } }

    /// The owner's files, trash included.
    func fileCount(_ owner: UUID) -> Int64 {
        state.withLock { Int64($0.nodes.values.filter { $0.ownerID == owner && $0.kind == .file }.count) }
    }

    private static func usedBytes(_ owner: UUID, in state: State) -> Int64 {
        state.nodes.values.filter { $0.ownerID == owner }
            .reduce(0) { sum, node in sum + (state.versions[node.id] ?? []).reduce(0) { $0 + $1.version.size } }
    }

    private static func root(_ owner: UUID, in state: inout State) -> NodeRecord {
        if let root = state.nodes.values.first(where: { $0.ownerID == owner && $0.parentID == nil }) { return root }
        let root = NodeRecord(id: UUID(), ownerID: owner, parentID: nil, name: "", kind: .dir, modified: Date())
        state.nodes[root.id] = root
        return root
    }

    private static func live(_ id: UUID, in state: State) -> NodeRecord? {
        guard let node = state.nodes[id], node.trashedAt == nil, state.hiddenWith[id] == nil else { return nil }
        return node
    }

    private static func liveChildren(of id: UUID, in state: State) -> [NodeRecord] {
        state.nodes.values.filter { $0.parentID == id && live($0.id, in: state) != nil }
    }

    private static func child(of id: UUID, named name: String, in state: State) -> NodeRecord? {
        liveChildren(of: id, in: state).first { $0.name == name }
    }

    private static func descendants(of id: UUID, in state: State) -> [UUID] {
        let direct = state.nodes.values.filter { $0.parentID == id }.map(\.id)
        return direct + direct.flatMap { descendants(of: $0, in: state) }
    }

    /// The directories from the root down to `id`.
    private static func ancestry(of id: UUID, in state: State) -> [NodeRecord] {
        var chain: [NodeRecord] = []
        var current = state.nodes[id]
        while let node = current {
            chain.insert(node, at: 0)
            current = node.parentID.flatMap { state.nodes[$0] }
        }
        return chain
    }

    private static func makeDirectories(_ owner: UUID, _ path: FilePath, in state: inout State) throws -> NodeRecord {
        var current = root(owner, in: &state)
        var walked = FilePath.root
        for segment in path.segments {
            walked = try walked.appending(segment)
            if let next = child(of: current.id, named: segment, in: state) {
                guard next.kind == .dir else {
                    throw APIError(.conflict, code: "not_a_directory", message: "\(walked) is a file")
                }
                current = next
                continue
            }
            let made = NodeRecord(
                id: UUID(),
                ownerID: owner,
                parentID: current.id,
                name: segment,
                kind: .dir,
                modified: Date()
            )
            state.nodes[made.id] = made
            current = made
        }
        return current
    }
}
