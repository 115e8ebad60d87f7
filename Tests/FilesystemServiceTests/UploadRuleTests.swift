import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService
import Testing

@testable import FilesystemService

/// The rules every upload follows (`FilesystemCore`): where its storage choice comes from, how much room the quota
/// leaves, and whether an uploader may still write where the upload goes.
@Suite("upload rules")
struct UploadRuleTests {
    private static func request(_ headers: HTTPFields = [:]) -> Request {
        Request(
            head: HTTPRequest(
                method: .put,
                scheme: "http",
                authority: "localhost",
                path: "/data",
                headerFields: headers
            ),
            body: RequestBody(buffer: ByteBuffer())
        )
    }

    @Test("storage: the request's headers, else the nearest folder's choice, else the user's, else the defaults")
    func storageChoice() async throws {
        let harness = try await FilesystemHarness()
        let core = harness.core
        let owner = UUID()
        let folder = try FilePath("/photos/2026")
        let plain = try await core.uploadTerms(Self.request(), owner: owner, directory: folder)
        #expect(plain.durability == FileInput.defaultDurability && plain.encryption == FileInput.defaultEncryption)
        try await harness.userSettings.saveSettings(
            owner: owner,
            StorageSettings(durability: "raid1(3)", encryption: nil)
        )
        #expect(try await core.uploadTerms(Self.request(), owner: owner, directory: folder).durability == "raid1(3)")
        let photos = try await harness.nodes.makeDirectories(owner: owner, path: try FilePath("/photos"))
        try await harness.nodes.saveDirectorySettings(
            owner: owner,
            id: photos.id,
            StorageSettings(durability: "rs(4,2)", encryption: "none")
        )
        let inherited = try await core.uploadTerms(Self.request(), owner: owner, directory: folder)
        #expect(inherited.durability == "rs(4,2)" && inherited.encryption == "none")
        let asked = try await core.uploadTerms(
            Self.request([FileInput.durabilityHeader: "raid1(2)"]),
            owner: owner,
            directory: folder
        )
        #expect(asked.durability == "raid1(2)" && asked.encryption == "none")
        let bad = Self.request([FileInput.durabilityHeader: "raid9(99)"])
        #expect(await status { try await core.uploadTerms(bad, owner: owner, directory: folder) } == .badRequest)
        await harness.dependencies.shutdown()
    }

    @Test("room: the quota (the user's, else the default) less what is stored, less what open uploads declared")
    func room() async throws {
        let harness = try await FilesystemHarness(defaultQuota: 1000)
        let core = harness.core
        let owner = UUID()
        _ = try await harness.nodes.commit(
            owner: owner,
            path: try FilePath("/a"),
            version: NewVersion(size: 300, sha256: "00", contentType: "text/plain", chunks: []),
            upload: nil
        )
        let terms = try await core.uploadTerms(Self.request(), owner: owner, directory: .root)
        #expect(terms.room == 700)
        harness.userSettings.pending.withLock { $0[owner] = 500 }
        #expect(try await core.roomForNewUpload(terms, owner: owner) == 200)
        try await harness.userSettings.saveQuota(owner: owner, bytes: 100)
        #expect(try await core.room(owner: owner)?.room == 0)
        #expect(try await core.uploadTerms(Self.request(), owner: UUID(), directory: .root).room == 1000)
        let unlimited = try await FilesystemHarness()
        #expect(try await unlimited.core.uploadTerms(Self.request(), owner: owner, directory: .root).room == nil)
        await harness.dependencies.shutdown()
        await unlimited.dependencies.shutdown()
    }

    @Test("an uploader may still write: always in their own tree; in another's while a read-write grant reaches it")
    func stillWrites() async throws {
        let harness = try await FilesystemHarness()
        let core = harness.core
        let (owner, friend) = (UUID(), UUID())
        let team = try await harness.nodes.makeDirectories(owner: owner, path: try FilePath("/team"))
        let path = try FilePath("/team/a.txt")
        #expect(try await core.mayStillWrite(uploader: owner, owner: owner, path: path))
        #expect(try await !core.mayStillWrite(uploader: friend, owner: owner, path: path))
        let grant = try await harness.grants.save(
            nodeID: team.id,
            ownerID: owner,
            grantee: Grantee(kind: "user", id: friend, name: "friend@example.com"),
            access: .readWrite
        )
        #expect(try await core.mayStillWrite(uploader: friend, owner: owner, path: path))
        _ = try await harness.grants.save(nodeID: team.id, ownerID: owner, grantee: grant.grantee, access: .read)
        #expect(try await !core.mayStillWrite(uploader: friend, owner: owner, path: path))
        _ = try await harness.grants.save(nodeID: team.id, ownerID: owner, grantee: grant.grantee, access: .readWrite)
        try await harness.nodes.trash(owner: owner, id: team.id)
        #expect(try await !core.mayStillWrite(uploader: friend, owner: owner, path: path))
        await harness.dependencies.shutdown()
    }
}
