import Crypto
import Foundation
import NIOCore
import StrypeCore
import Testing

@testable import CloudstrypeAgent

@Suite("object directory")
struct ObjectDirectoryTests {
    static func scratch() -> String {
        let path = NSTemporaryDirectory() + "agent-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func bytes(_ count: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    }

    @Test("objects round-trip at dir/ab/cd/<key>, are listed, stat'ed and deleted")
    func roundTrip() async throws {
        let root = Self.scratch()
        let store = try ObjectDirectory(root: root, capacity: 1 << 20)
        let data = Self.bytes(1000)
        try await store.put(key: "chunks/one", data: data, sha256: ObjectDirectory.sha256(data))
        let digest = SHA256.hash(data: Array("chunks/one".utf8)).map { String(format: "%02x", $0) }.joined()
        let expected = "\(root)/\(digest.prefix(2))/\(digest.dropFirst(2).prefix(2))/chunks/one"
        #expect(FileManager.default.fileExists(atPath: expected))
        #expect(try await store.get(key: "chunks/one") == data)
        #expect(try store.stat(key: "chunks/one") == 1000)
        #expect(store.objects == 1 && store.bytes == 1000)
        try await store.put(key: "two", data: Self.bytes(10), sha256: nil)
        #expect(try await store.list(after: nil, limit: 10).keys == ["chunks/one", "two"])
        let page = try await store.list(after: nil, limit: 1)
        #expect(page.keys == ["chunks/one"] && page.next == "chunks/one")
        #expect(try await store.list(after: page.next, limit: 1).keys == ["two"])
        try store.delete(key: "chunks/one")
        #expect(throws: StoreError.self) { try store.stat(key: "chunks/one") }
        #expect(store.objects == 1 && store.bytes == 10)
    }

    @Test("large objects, written and read around the page cache, come back exactly, of every unaligned length")
    func direct() async throws {
        let root = Self.scratch()
        let store = try ObjectDirectory(root: root, capacity: 1 << 30)
        let sizes = [FileIO.directBytes, FileIO.directBytes + 7, (1 << 20) + 7, (4 << 20) + 28]
        for (index, size) in sizes.enumerated() {
            let data = Self.bytes(size)
            try await store.put(key: "large/\(index)", data: data, sha256: ObjectDirectory.sha256(data))
            #expect(try store.stat(key: "large/\(index)") == Int64(size))
            #expect(try await store.get(key: "large/\(index)") == data, "size \(size)")
        }
        // Replacing a large object with a smaller one leaves no bytes of the old one.
        try await store.put(key: "large/0", data: Self.bytes(FileIO.directBytes + 1), sha256: nil)
        try await store.put(key: "large/0", data: Self.bytes(FileIO.directBytes), sha256: nil)
        #expect(try await store.get(key: "large/0") == Self.bytes(FileIO.directBytes))
        #expect(store.bytes == Int64(sizes.reduce(0, +)))
    }

    @Test("a put beyond the capacity or with a wrong checksum is refused and stores nothing")
    func refusals() async throws {
        let store = try ObjectDirectory(root: Self.scratch(), capacity: 1500)
        try await store.put(key: "a", data: Self.bytes(1000), sha256: nil)
        await #expect(throws: StoreError.self) { try await store.put(key: "b", data: Self.bytes(600), sha256: nil) }
        await #expect(throws: StoreError.self) {
            try await store.put(key: "c", data: Self.bytes(10), sha256: String(repeating: "0", count: 64))
        }
        #expect(store.objects == 1 && store.bytes == 1000)
        #expect(throws: StoreError.self) { try store.stat(key: "b") }
        // Replacing an object counts only the difference.
        try await store.put(key: "a", data: Self.bytes(1400), sha256: nil)
        #expect(store.objects == 1 && store.bytes == 1400)
    }

    @Test("reopening counts what is stored and clears partial writes")
    func reopen() async throws {
        let root = Self.scratch()
        let store = try ObjectDirectory(root: root, capacity: 1 << 20)
        try await store.put(key: "x/y", data: Self.bytes(300), sha256: nil)
        _ = FileManager.default.createFile(atPath: "\(root)/.tmp/partial", contents: Data(count: 50))
        let again = try ObjectDirectory(root: root, capacity: 1 << 20)
        #expect(again.objects == 1 && again.bytes == 300)
        #expect(!FileManager.default.fileExists(atPath: "\(root)/.tmp/partial"))
    }

    @Test("audit proofs are sha256(nonce ‖ bytes)")
    func proof() async throws {
        let store = try ObjectDirectory(root: Self.scratch(), capacity: 1 << 20)
        let data = Self.bytes(5000)
        try await store.put(key: "k", data: data, sha256: nil)
        let nonce: [UInt8] = Array(repeating: 7, count: 32)
        let expected = SHA256.hash(data: nonce + Array(data.readableBytesView)).map { String(format: "%02x", $0) }
            .joined()
        #expect(try await store.proof(key: "k", nonce: nonce) == expected)
    }

    @Test("64 concurrent puts share syncs and all read back intact; a lone put is synced on its own")
    func groupCommit() async throws {
        let store = try ObjectDirectory(root: Self.scratch(), capacity: 1 << 20)
        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<64 {
                group.addTask { try await store.put(key: "batch/\(index)", data: Self.bytes(100 + index), sha256: nil) }
            }
        }
        for index in 0..<64 { #expect(try await store.get(key: "batch/\(index)") == Self.bytes(100 + index)) }
        let total = (0..<64).map { Int64(100 + $0) }.reduce(0, +)
        #expect(store.objects == 64 && store.bytes == total)
        let batches = store.syncBatches
        #expect(batches < 64)
        try await store.put(key: "alone", data: Self.bytes(10), sha256: nil)
        #expect(store.syncBatches == batches + 1)
    }

    @Test("a write of a batch that cannot be placed fails alone; the others are stored")
    func failingWriteFailsAlone() async throws {
        let root = Self.scratch()
        let store = try ObjectDirectory(root: root, capacity: 1 << 20)
        // A directory where one object should go fails its rename after its sync; a file where another object's
        // directory should go fails that one before.
        let blocked = ObjectDirectory.path(root: root, key: "blocked")
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        let unmakeable = (ObjectDirectory.path(root: root, key: "nodir/object") as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: (unmakeable as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        #expect(FileManager.default.createFile(atPath: unmakeable, contents: Data()))
        let keys = ["blocked", "nodir/object"] + (0..<30).map { "fine/\($0)" }
        let stored = await withTaskGroup(of: (String, Bool).self, returning: [String: Bool].self) { group in
            for key in keys {
                group.addTask {
                    do {
                        try await store.put(key: key, data: Self.bytes(100), sha256: nil)
                        return (key, true)
                    } catch {
                        return (key, false)
                    }
                }
            }
            var stored: [String: Bool] = [:]
            for await (key, ok) in group { stored[key] = ok }
            return stored
        }
        #expect(stored["blocked"] == false && stored["nodir/object"] == false)
        #expect(stored.values.filter { $0 }.count == 30)
        for index in 0..<30 { #expect(try await store.get(key: "fine/\(index)") == Self.bytes(100)) }
        #expect(store.objects == 30 && store.bytes == 3000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(root)/.tmp").isEmpty)
    }

    @Test("concurrent puts that replace objects, three racing on each key, keep the usage exact")
    func concurrentReplacements() async throws {
        let root = Self.scratch()
        let store = try ObjectDirectory(root: root, capacity: 1 << 20)
        for index in 0..<16 { try await store.put(key: "r/\(index)", data: Self.bytes(100), sha256: nil) }
        // Keys 0 to 15 exist and 16 to 23 are new; whichever put renames last decides each key's size.
        try await withThrowingDiscardingTaskGroup { group in
            for index in 0..<24 {
                for size in [50, 200, 300] {
                    group.addTask { try await store.put(key: "r/\(index)", data: Self.bytes(size), sha256: nil) }
                }
            }
        }
        let sizes = try (0..<24).map { try store.stat(key: "r/\($0)") }
        #expect(sizes.allSatisfy { [50, 200, 300].contains($0) })
        #expect(store.objects == 24 && store.bytes == sizes.reduce(0, +))
        let again = try ObjectDirectory(root: root, capacity: 1 << 20)
        #expect(again.objects == store.objects && again.bytes == store.bytes)
    }
}

@Suite("agent settings")
struct AgentSettingsTests {
    @Test("sizes as people write them")
    func sizes() {
        #expect(ByteCount.parse("50GB") == 50_000_000_000)
        #expect(ByteCount.parse("500MiB") == 500 << 20)
        #expect(ByteCount.parse("1.5 TiB") == 1_649_267_441_664)
        #expect(ByteCount.parse("4096") == 4096)
        for bad in ["", "abc", "-1GB", "5XB", "GB", "1e30"] { #expect(ByteCount.parse(bad) == nil, "\(bad)") }
        #expect(ByteCount.format(3 << 20) == "3.0 MiB")
    }

    @Test("the configuration is written readable by its owner only and read back")
    func configFile() throws {
        let path = ObjectDirectoryTests.scratch() + "/nested/agent.json"
        let config = AgentConfig(server: "http://x", memberID: "abc", name: "desk", token: "csa_secret")
        try config.save(to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try AgentConfig.load(from: path) == config)
        #expect(AgentConfig.defaultPath(environment: ["XDG_CONFIG_HOME": "/c"]) == "/c/cloudstrype/agent.json")
        #expect(AgentConfig.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/cloudstrype/agent.json")
    }
}
