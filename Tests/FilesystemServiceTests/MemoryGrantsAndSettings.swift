import Foundation
import StrypeCore
import StrypeService
import Synchronization

@testable import FilesystemService

/// Users' settings in memory; usage is the tree's (`MemoryNodeRepository.usedBytes`) once `tree` is set.
final class MemoryUserSettings: UserSettingsRepository {
    let state = Mutex<[UUID: (storage: StorageSettings, quota: Int64?)]>([:])
    let pending = Mutex<[UUID: Int64]>([:])
    let tree = Mutex<MemoryNodeRepository?>(nil)

    func settings(owner: UUID) async throws -> (storage: StorageSettings, quota: Int64?) {
        state.withLock { $0[owner] ?? (StorageSettings(), nil) }
    }

    func saveSettings(owner: UUID, _ storage: StorageSettings) async throws {
        state.withLock { $0[owner, default: (StorageSettings(), nil)].storage = storage }
    }

    func saveQuota(owner: UUID, bytes: Int64?) async throws {
        state.withLock { $0[owner, default: (StorageSettings(), nil)].quota = bytes }
    }

    func usage(owner: UUID) async throws -> (bytes: Int64, files: Int64) {
        guard let nodes = tree.withLock({ $0 }) else { return (0, 0) }
        return (nodes.usedBytes(owner), nodes.fileCount(owner))
    }

    func pendingUploads(owner: UUID) async throws -> Int64 { pending.withLock { $0[owner] ?? 0 } }
}

/// Grants in memory, by the rule of `GrantRepository.access`: the strongest grant on the node or a directory above.
final class MemoryGrantRepository: GrantRepository {
    let grants = Mutex<[GrantRecord]>([])
    let nodes: MemoryNodeRepository

    init(nodes: MemoryNodeRepository) {
        self.nodes = nodes
    }

    func save(nodeID: UUID, ownerID: UUID, grantee: Grantee, access: Access) async throws -> GrantRecord {
        grants.withLock { grants in
            if let index = grants.firstIndex(where: { $0.nodeID == nodeID && $0.grantee.id == grantee.id }) {
                grants[index].access = access
                return grants[index]
            }
            let grant = GrantRecord(
                id: UUID(),
                nodeID: nodeID,
                ownerID: ownerID,
                grantee: grantee,
                access: access,
                created: Date()
            )
            grants.append(grant)
            return grant
        }
    }

    func grants(nodeID: UUID) async throws -> [GrantRecord] { grants.withLock { $0.filter { $0.nodeID == nodeID } } }

    func delete(id: UUID, nodeID: UUID) async throws -> Bool {
        grants.withLock { grants in
            let before = grants.count
            grants.removeAll { $0.id == id && $0.nodeID == nodeID }
            return grants.count < before
        }
    }

    func access(to nodeID: UUID, user: UUID, groups: [UUID]) async throws -> (access: Access, root: UUID)? {
        let held = grants.withLock { $0.filter { $0.grantee.id == user || groups.contains($0.grantee.id) } }
        var best: (access: Access, root: UUID)?
        var current = try await nodes.find(id: nodeID)
        while let node = current {
            for grant in held where grant.nodeID == node.id {
                if best.map({ grant.access > $0.access }) ?? true { best = (grant.access, node.id) }
            }
            guard let parent = node.parentID else { break }
            current = try await nodes.find(id: parent)
        }
        return best
    }

    func shared(with user: UUID, groups: [UUID]) async throws -> [GrantRecord] {
        grants.withLock { $0.filter { $0.grantee.id == user || groups.contains($0.grantee.id) } }
    }
}

/// Users and groups auth would answer for, in memory.
final class MemoryGranteeDirectory: GranteeDirectory {
    let users = Mutex<[String: UUID]>([:])
    let memberships = Mutex<[UUID: [UUID]]>([:])
    let inactive = Mutex<Set<UUID>>([])

    func user(email: String) async throws -> Grantee? {
        users.withLock { $0[email] }.map { Grantee(kind: "user", id: $0, name: email) }
    }

    func group(name: String) async throws -> Grantee? { nil }

    func groups(of user: UUID) async throws -> [UUID] { memberships.withLock { $0[user] ?? [] } }

    func userExists(_ id: UUID, authorization: String) async throws -> Bool {
        users.withLock { $0.values.contains(id) }
    }

    func isActive(_ user: UUID) async throws -> Bool { !inactive.withLock { $0.contains(user) } }
}
