import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOPosix
import StrypeAgentWire
import StrypeCore
import Synchronization

/// Why the directory refused an operation; the code travels back to the server as the reply's status.
struct StoreError: Error, CustomStringConvertible {
    let code: String
    let description: String
}

/// The objects this agent keeps: each at `root/ab/cd/<key>` (`abcd` from the key's SHA-256, so directories stay
/// small), written to `root/.tmp`, fsynced and renamed into place, never beyond the promised capacity.
final class ObjectDirectory: Sendable {
    let root: String
    let capacity: Int64
    private let threads: NIOThreadPool
    private let usage: Mutex<(objects: Int64, bytes: Int64)>
    /// Disk kept free for the user beside the capacity check.
    static let reserveBytes: Int64 = 64 << 20

    init(root: String, capacity: Int64, threads: NIOThreadPool = .singleton) throws {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.capacity = capacity
        self.threads = threads
        try FileManager.default.createDirectory(atPath: "\(self.root)/.tmp", withIntermediateDirectories: true)
        // Temp files left by a crash are partial writes: nothing refers to them.
        for leftover in (try? FileManager.default.contentsOfDirectory(atPath: "\(self.root)/.tmp")) ?? [] {
            unlink("\(self.root)/.tmp/\(leftover)")
        }
        var objects: Int64 = 0
        var bytes: Int64 = 0
        for key in Self.keys(under: self.root) {
            objects += 1
            bytes += Self.fileSize(Self.path(root: self.root, key: key)) ?? 0
        }
        usage = Mutex((objects, bytes))
    }

    var objects: Int64 { usage.withLock { $0.objects } }
    var bytes: Int64 { usage.withLock { $0.bytes } }
    /// What may still be stored: the capacity left, bounded by the disk's real free space.
    var free: Int64 {
        max(0, min(capacity - bytes, Self.diskFree(root) - Self.reserveBytes))
    }

    static func path(root: String, key: String) -> String {
        let digest = Array(SHA256.hash(data: Array(key.utf8)).prefix(2))
        let hex = digest.map { String(format: "%02x", $0) }
        return "\(root)/\(hex[0])/\(hex[1])/\(key)"
    }

    /// Stores `data` under `key` if it matches `sha256` and fits; replaces an earlier object of that key.
    func put(key: String, data: ByteBuffer, sha256: String?) async throws {
        if let sha256, Self.sha256(data) != sha256 {
            throw StoreError(code: AgentStatus.checksumMismatch, description: "the payload does not match its sha256")
        }
        let size = Int64(data.readableBytes)
        let path = Self.path(root: root, key: key)
        let previous = Self.fileSize(path) ?? 0
        // Reserve first, so concurrent puts cannot together overrun the capacity.
        let reserved = usage.withLock { usage -> Bool in
            guard usage.bytes - previous + size <= capacity else { return false }
            usage.bytes += size
            return true
        }
        guard reserved else {
            throw StoreError(
                code: "insufficient_space",
                description:
                    "capacity \(ByteCount.format(capacity)) would be exceeded (\(ByteCount.format(bytes)) used)"
            )
        }
        do {
            guard Self.diskFree(root) - size >= Self.reserveBytes else {
                throw StoreError(code: "insufficient_space", description: "the disk is full")
            }
            let temporary = "\(root)/.tmp/\(UUID().uuidString)"
            try await threads.runIfActive { try Self.writeDurably(data, temporary: temporary, path: path) }
            usage.withLock { usage in
                usage.bytes -= previous
                if previous == 0 { usage.objects += 1 }
            }
        } catch {
            usage.withLock { $0.bytes -= size }
            throw error
        }
    }

    /// The object's bytes.
    func get(key: String) async throws -> ByteBuffer {
        let path = Self.path(root: root, key: key)
        return try await threads.runIfActive {
            guard let data = FileManager.default.contents(atPath: path) else { throw Self.notFound }
            return ByteBuffer(data: data)
        }
    }

    /// The object's size, or not found.
    func stat(key: String) throws -> Int64 {
        guard let size = Self.fileSize(Self.path(root: root, key: key)) else { throw Self.notFound }
        return size
    }

    func delete(key: String) throws {
        let path = Self.path(root: root, key: key)
        guard let size = Self.fileSize(path) else { throw Self.notFound }
        guard unlink(path) == 0 else {
            throw StoreError(code: "error", description: "cannot delete: \(String(cString: strerror(errno)))")
        }
        usage.withLock { usage in
            usage.bytes -= size
            usage.objects -= 1
        }
    }

    /// Keys after `cursor`, in order, at most `limit`; the next cursor is the last key when there may be more.
    func list(after cursor: String?, limit: Int) async throws -> (keys: [String], next: String?) {
        let root = root
        return try await threads.runIfActive {
            let keys = Self.keys(under: root).sorted().filter { cursor == nil || $0 > cursor! }
            let page = Array(keys.prefix(limit))
            return (page, keys.count > limit ? page.last : nil)
        }
    }

    /// `sha256(nonce ‖ bytes)`: proof that the bytes are still here, without sending them.
    func proof(key: String, nonce: [UInt8]) async throws -> String {
        let path = Self.path(root: root, key: key)
        return try await threads.runIfActive {
            guard let handle = FileHandle(forReadingAtPath: path) else { throw Self.notFound }
            defer { try? handle.close() }
            var hasher = SHA256()
            hasher.update(data: nonce)
            while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty { hasher.update(data: piece) }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    static let notFound = StoreError(code: "not_found", description: "no such object")

    static func sha256(_ data: ByteBuffer) -> String {
        data.withUnsafeReadableBytes { SHA256.hash(data: $0) }.map { String(format: "%02x", $0) }.joined()
    }

    private static func writeDurably(_ data: ByteBuffer, temporary: String, path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw failure("create") }
        var ok = data.withUnsafeReadableBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(descriptor) == 0
        close(descriptor)
        guard ok, rename(temporary, path) == 0 else {
            let error = failure("write")
            unlink(temporary)
            throw error
        }
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    private static func failure(_ what: String) -> StoreError {
        let reason = String(cString: strerror(errno))
        return StoreError(
            code: errno == ENOSPC ? "insufficient_space" : "error",
            description: "cannot \(what): \(reason)"
        )
    }

    static func fileSize(_ path: String) -> Int64? {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    static func diskFree(_ path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Every stored key: the paths below `root/ab/cd/`, skipping the temp directory.
    static func keys(under root: String) -> [String] {
        var keys: [String] = []
        let manager = FileManager.default
        for first in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where Self.isFanout(first) {
            for second in (try? manager.contentsOfDirectory(atPath: "\(root)/\(first)")) ?? []
            where Self.isFanout(second) {
                let base = "\(root)/\(first)/\(second)"
                guard let walker = manager.enumerator(atPath: base) else { continue }
                while let relative = walker.nextObject() as? String {
                    if fileSize("\(base)/\(relative)") != nil { keys.append(relative) }
                }
            }
        }
        return keys
    }

    private static func isFanout(_ name: String) -> Bool {
        name.utf8.count == 2 && name.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
