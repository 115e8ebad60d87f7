import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import CloudService

/// A body that delivers some bytes and then fails, as a client that disconnects mid-upload.
struct FailingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    struct Disconnected: Error {}
    let before: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async throws -> ByteBuffer? {
            guard let next = remaining.popFirst() else { throw Disconnected() }
            return next
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: before[...]) }
}

@Suite("local directory store")
struct LocalObjectStoreTests {
    private func store() throws -> (LocalObjectStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("local-store-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return (LocalObjectStore(root: root.path, threadPool: .singleton), root)
    }

    private func files(under root: URL) -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    @Test("an interrupted write leaves the old object whole and no temporary file")
    func atomicReplace() async throws {
        let (store, root) = try store()
        let old = ByteBuffer(string: "old contents")
        _ = try await store.put(key: "a/b", length: Int64(old.readableBytes), sha256: nil, body: BufferSequence([old]))
        await #expect(throws: FailingBody.Disconnected.self) {
            _ = try await store.put(
                key: "a/b",
                length: 100,
                sha256: nil,
                body: FailingBody(before: [ByteBuffer(string: "new, partial")])
            )
        }
        #expect(try String(contentsOf: root.appendingPathComponent("a/b"), encoding: .utf8) == "old contents")
        #expect(files(under: root) == ["a", "a/b"])
    }

    @Test("a wrong length or checksum stores nothing")
    func refusedWrites() async throws {
        let (store, root) = try store()
        let body = ByteBuffer(string: "12345")
        await #expect(throws: ObjectStoreError.self) {
            _ = try await store.put(key: "x", length: 4, sha256: nil, body: BufferSequence([body]))
        }
        await #expect(throws: ObjectStoreError.self) {
            _ = try await store.put(key: "x", length: 6, sha256: nil, body: BufferSequence([body]))
        }
        await #expect(throws: ObjectStoreError.checksumMismatch) {
            _ = try await store.put(
                key: "x",
                length: 5,
                sha256: String(repeating: "0", count: 64),
                body: BufferSequence([body])
            )
        }
        #expect(files(under: root).isEmpty)
    }

    @Test("keys cannot leave the directory", arguments: ["../outside", "a/../../outside", "/etc/passwd", "a/./b", ""])
    func confined(key: String) throws {
        let (store, _) = try store()
        #expect(throws: ObjectStoreError.self) { try store.path(for: key) }
    }
}
