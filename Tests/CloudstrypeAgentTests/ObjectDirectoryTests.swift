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
