import Foundation
import StrypeCore
import StrypeService
import Testing

@testable import FilesystemService

/// `NodeAccess`: who reaches a node, with what, and where a new entry goes (grants on folders, read or read-write).
@Suite("access rules")
struct AccessRuleTests {
    let settings = MemoryUserSettings()
    let nodes: MemoryNodeRepository
    let grants: MemoryGrantRepository
    let directory = MemoryGranteeDirectory()
    let access: NodeAccess
    let owner = UUID()
    let friend = UUID()

    init() {
        nodes = MemoryNodeRepository(settings: settings)
        grants = MemoryGrantRepository(nodes: nodes)
        access = NodeAccess(nodes: nodes, grants: grants, directory: directory)
    }

    /// `/team/notes/a.txt` in the owner's tree; the folder `/team`.
    private func tree() async throws -> (team: NodeRecord, file: NodeRecord) {
        let team = try await nodes.makeDirectories(owner: owner, path: try FilePath("/team/notes"))
        let (file, created) = try await nodes.commit(
            owner: owner,
            path: try FilePath("/team/notes/a.txt"),
            version: NewVersion(size: 1, sha256: "00", contentType: "text/plain", chunks: []),
            upload: nil
        )
        #expect(created)
        let folder = try #require(try await nodes.resolve(owner: owner, path: try FilePath("/team")))
        #expect(team.name == "notes")
        return (folder, file)
    }

    private func grant(_ folder: NodeRecord, _ level: Access, to user: UUID) async throws {
        _ = try await grants.save(
            nodeID: folder.id,
            ownerID: owner,
            grantee: Grantee(kind: "user", id: user, name: "friend@example.com"),
            access: level
        )
    }

    @Test("the owner reaches their own nodes; anyone else finds nothing there (404, not 403)")
    func ownerOnly() async throws {
        let (_, file) = try await tree()
        #expect(try await access.reach(file.id, caller: owner, needs: .owner).access == .owner)
        #expect(await status { try await access.reach(file.id, caller: friend, needs: .read) } == .notFound)
    }

    @Test("a read grant on a folder reaches what lies below it, read-only, seen from the folder")
    func readGrant() async throws {
        let (team, file) = try await tree()
        try await grant(team, .read, to: friend)
        let reached = try await access.reach(file.id, caller: friend, needs: .read)
        #expect(reached.access == .read && reached.grantRoot == team.id && !reached.isGrantRoot)
        #expect(try await access.response(reached).path == "/team/notes/a.txt")
        #expect(await status { try await access.reach(file.id, caller: friend, needs: .readWrite) } == .forbidden)
        let root = try await access.reach(team.id, caller: friend, needs: .read)
        #expect(root.isGrantRoot)
    }

    @Test("a group's grant reaches its members; the strongest grant on the way up wins")
    func groupsAndStrength() async throws {
        let (team, file) = try await tree()
        let group = UUID()
        directory.memberships.withLock { $0[friend] = [group] }
        _ = try await grants.save(
            nodeID: team.id,
            ownerID: owner,
            grantee: Grantee(kind: "group", id: group, name: "team"),
            access: .read
        )
        let notes = try #require(try await nodes.resolve(owner: owner, path: try FilePath("/team/notes")))
        try await grant(notes, .readWrite, to: friend)
        let reached = try await access.reach(file.id, caller: friend, needs: .readWrite)
        #expect(reached.access == .readWrite && reached.grantRoot == notes.id)
        #expect(try await access.response(reached).path == "/notes/a.txt")
    }

    @Test("a revoked grant reaches nothing any more")
    func revoked() async throws {
        let (team, file) = try await tree()
        try await grant(team, .readWrite, to: friend)
        let held = try await grants.grants(nodeID: team.id)
        #expect(try await grants.delete(id: held[0].id, nodeID: team.id))
        #expect(await status { try await access.reach(file.id, caller: friend, needs: .read) } == .notFound)
    }

    @Test("a new entry goes into the caller's tree, or into a folder shared read-write with them")
    func destinations() async throws {
        let (team, file) = try await tree()
        let own = try await access.destination(caller: friend, path: try FilePath("/mine.txt"), parent: nil, name: nil)
        #expect(own.owner == friend && own.access == .owner)
        let into = { try await access.destination(caller: friend, path: nil, parent: team.id, name: "b.txt") }
        #expect(await status(into) == .notFound)
        try await grant(team, .read, to: friend)
        #expect(await status(into) == .forbidden)
        try await grant(team, .readWrite, to: friend)
        let shared = try await access.destination(caller: friend, path: nil, parent: team.id, name: "b.txt")
        #expect(shared.owner == owner && shared.path.description == "/team/b.txt" && shared.grantRoot == team.id)
        #expect(
            await status { try await access.destination(caller: owner, path: nil, parent: file.id, name: "x") }
                == .conflict
        )
        let both = { try await access.destination(caller: owner, path: try FilePath("/x"), parent: team.id, name: "x") }
        #expect(await status(both) == .badRequest)
        #expect(
            await status { try await access.destination(caller: owner, path: nil, parent: nil, name: nil) }
                == .badRequest
        )
    }
}
