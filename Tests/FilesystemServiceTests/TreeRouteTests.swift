import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import FilesystemService

/// Filesystem's routes over the memory tree: paths, versions, folders, moves, the trash, grants and quotas, as a
/// user sees them (small files, kept inline).
@Suite("tree routes")
struct TreeRouteTests {
    @Test("a file's versions: a new one per PUT, an old one restored as the newest, its bytes served again")
    func versions() async throws {
        let harness = try await FilesystemHarness()
        let owner = UUID()
        try await harness.run { client in
            let first = try await client.put("/notes/a.txt", "one", as: owner)
            let second = try await client.put("/notes/a.txt", "two!", as: owner, expected: .ok)
            #expect(first.id == second.id && second.version == 2 && second.size == 4)
            let listed = try await client.call(.get, "/info/\(first.id)/versions", as: owner)
            let versions = try listed.decode(Items<VersionResponse>.self).items
            #expect(versions.map(\.version) == [2, 1] && versions.map(\.current) == [true, false])
            let restored = try await client.call(.post, "/info/\(first.id)/versions/1/restore", as: owner)
            #expect(try restored.decode(NodeResponse.self).version == 3)
            #expect(try await client.call(.get, "/data/\(first.id)", as: owner).text == "one")
            #expect(try await client.call(.post, "/info/\(first.id)/versions/9/restore", as: owner).status == .notFound)
            #expect(try await client.call(.get, "/info/\(first.id)/versions", as: UUID()).status == .notFound)
        }
    }

    @Test("paths: folders made as needed, 409 where a file is in the way, 400 for a path that is not one")
    func paths() async throws {
        let harness = try await FilesystemHarness()
        let owner = UUID()
        try await harness.run { client in
            #expect(
                try await client.call(.post, "/dirs", as: owner, json: MakeDirectoryRequest(path: "/a/b")).status
                    == .created
            )
            #expect(
                try await client.call(.post, "/dirs", as: owner, json: MakeDirectoryRequest(path: "/a/b")).status == .ok
            )
            _ = try await client.put("/a/file", "x", as: owner)
            #expect(
                try await client.call(.post, "/dirs", as: owner, json: MakeDirectoryRequest(path: "/a/file")).status
                    == .conflict
            )
            #expect(try await client.call(.put, "/data?path=/a/file/below", as: owner, bytes: [1]).status == .conflict)
            #expect(try await client.call(.put, "/data?path=/a/b", as: owner, bytes: [1]).status == .conflict)
            #expect(try await client.call(.put, "/data?path=relative", as: owner, bytes: [1]).status == .badRequest)
            #expect(try await client.call(.put, "/data?path=/", as: owner, bytes: [1]).status == .badRequest)
            let listing = try await client.call(.get, "/info?path=/a&depth=1", as: owner).decode(NodeResponse.self)
            #expect(listing.children?.map(\.name) == ["b", "file"])
        }
    }

    @Test("moves: within the owner's tree only; not the root, not a folder into itself, not onto a taken name")
    func moves() async throws {
        let harness = try await FilesystemHarness()
        let owner = UUID()
        try await harness.run { client in
            let file = try await client.put("/a/x.txt", "x", as: owner)
            _ = try await client.put("/a/y.txt", "y", as: owner)
            let root = try await client.call(.get, "/info?path=/&depth=0", as: owner).decode(NodeResponse.self)
            let folder = try await client.call(.get, "/info?path=/a&depth=0", as: owner).decode(NodeResponse.self)
            func move(_ id: UUID, to path: String) async throws -> Reply {
                try await client.call(.post, "/info/\(id)/move", as: owner, json: MoveRequest(to: path))
            }
            #expect(try await move(root.id, to: "/r").status == .badRequest)
            #expect(try await move(folder.id, to: "/a/inner").status == .conflict)
            #expect(try await move(file.id, to: "/a/y.txt").status == .conflict)
            let moved = try await move(file.id, to: "/z.txt")
            #expect(moved.status == .ok)
            #expect(try moved.decode(NodeResponse.self).path == "/z.txt")
            #expect(try await client.call(.get, "/data/\(file.id)", as: owner).text == "x")
        }
    }

    @Test("the trash: a deleted node leaves the tree, is listed with its path, comes back; purge is for good")
    func trash() async throws {
        let harness = try await FilesystemHarness()
        let owner = UUID()
        try await harness.run { client in
            let file = try await client.put("/docs/a.txt", "a", as: owner)
            #expect(try await client.call(.delete, "/info/\(file.id)", as: owner).status == .noContent)
            #expect(try await client.call(.get, "/info/\(file.id)", as: owner).status == .notFound)
            #expect(try await client.call(.delete, "/info/\(file.id)", as: owner).status == .notFound)
            let trashed = try await client.call(.get, "/trash", as: owner).decode(Items<NodeResponse>.self).items
            #expect(trashed.map(\.path) == ["/docs/a.txt"])
            #expect(try await client.call(.post, "/trash/\(file.id)/restore", as: owner).status == .ok)
            #expect(try await client.call(.get, "/data/\(file.id)", as: owner).text == "a")
            #expect(try await client.call(.delete, "/info/\(file.id)?purge=true", as: owner).status == .noContent)
            #expect(try await client.call(.post, "/trash/\(file.id)/restore", as: owner).status == .notFound)
        }
    }

    @Test("grants: a read-write grantee writes into the folder, a read one only reads; neither renames it")
    func grants() async throws {
        let harness = try await FilesystemHarness()
        let owner = UUID()
        let friend = harness.user("friend@example.com")
        let reader = harness.user("reader@example.com")
        try await harness.run { client in
            _ = try await client.put("/team/plan.txt", "plan", as: owner)
            let team = try await client.call(.get, "/info?path=/team&depth=0", as: owner).decode(NodeResponse.self)
            for (email, level) in [("friend@example.com", "read-write"), ("reader@example.com", "read")] {
                let grant = CreateGrantRequest(user: email, access: level)
                #expect(
                    try await client.call(.post, "/info/\(team.id)/grants", as: owner, json: grant).status == .created
                )
            }
            #expect(
                try await client.call(
                    .post,
                    "/info/\(team.id)/grants",
                    as: friend,
                    json: CreateGrantRequest(user: "reader@example.com", access: "read-write")
                ).status == .forbidden
            )
            let written = try await client.call(
                .put,
                "/data?parent=\(team.id)&name=notes.txt",
                as: friend,
                bytes: Array("n".utf8)
            )
            #expect(written.status == .created)
            #expect(
                try await client.call(.put, "/data?parent=\(team.id)&name=no.txt", as: reader, bytes: [1]).status
                    == .forbidden
            )
            let shared = try await client.call(.get, "/shared", as: reader)
            #expect(shared.status == .ok && shared.text.lowercased().contains(team.id.uuidString.lowercased()))
            let names = try await client.call(.get, "/info?path=/team&depth=1", as: owner).decode(NodeResponse.self)
            #expect(names.children?.map(\.name) == ["notes.txt", "plan.txt"])
            #expect(
                try await client.call(.post, "/info/\(team.id)/move", as: friend, json: MoveRequest(to: "/t")).status
                    == .forbidden
            )
            #expect(try await client.call(.delete, "/info/\(team.id)", as: friend).status == .forbidden)
            #expect(try await client.call(.get, "/info/\(team.id)", as: UUID()).status == .notFound)
        }
    }

    @Test("quotas: admins set them; an upload past one is a 413 that stores nothing")
    func quotas() async throws {
        let harness = try await FilesystemHarness()
        let owner = harness.user("owner@example.com")
        let admin = UUID()
        try await harness.run { client in
            _ = try await client.put("/a.txt", "0123456789", as: owner)
            #expect(
                try await client.call(.put, "/quotas/\(owner)", as: owner, json: QuotaRequest(bytes: 15)).status
                    == .forbidden
            )
            #expect(
                try await client.call(.put, "/quotas/\(owner)", as: admin, admin: true, json: QuotaRequest(bytes: -1))
                    .status == .badRequest
            )
            #expect(
                try await client.call(.put, "/quotas/\(UUID())", as: admin, admin: true, json: QuotaRequest(bytes: 1))
                    .status == .notFound
            )
            #expect(
                try await client.call(.put, "/quotas/\(owner)", as: admin, admin: true, json: QuotaRequest(bytes: 15))
                    .status == .noContent
            )
            let usage = try await client.call(.get, "/usage", as: owner).decode(UsageResponse.self)
            #expect(usage.bytes == 10 && usage.quota == 15 && usage.files == 1)
            #expect(
                try await client.call(.put, "/data?path=/b.txt", as: owner, bytes: Array(repeating: 1, count: 6)).status
                    == .contentTooLarge
            )
            #expect(try await client.call(.get, "/info?path=/b.txt&depth=0", as: owner).status == .notFound)
            #expect(try await client.call(.get, "/usage", as: owner).decode(UsageResponse.self).bytes == 10)
            _ = try await client.put("/b.txt", "12345", as: owner)
        }
    }
}
