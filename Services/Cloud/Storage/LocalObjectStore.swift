import Crypto
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import StrypeCodec
import StrypeService

/// Objects as files under a server-side directory: written to a temporary file, fsynced, renamed into place (and
/// the directory fsynced), so a crash leaves the old object or the new, never a torn one. The root is used with its
/// symlinks resolved, and every operation checks that the object's directory still resolves inside it (a link
/// planted below the root must not lead out); a final component that is a link is never read.
struct LocalObjectStore: ObjectStore {
    let root: URL
    let threadPool: NIOThreadPool
    let fileIO: FileIO

    init(root: String, threadPool: NIOThreadPool) {
        let resolved = LocalPath.resolve(root) ?? root
        self.root = URL(fileURLWithPath: resolved, isDirectory: true).standardizedFileURL
        self.threadPool = threadPool
        self.fileIO = FileIO(threadPool: threadPool)
    }

    /// Refuses an object whose directory resolves outside the root (blocks: call on the thread pool).
    private func checkInside(_ file: String) throws {
        let directory = (file as NSString).deletingLastPathComponent
        guard let real = LocalPath.resolve(directory), LocalPath.isInside(real, root.path) else {
            throw ObjectStoreError.pathNotAllowed
        }
    }

    /// The file of a key, which always lies under `root`.
    func path(for key: String) throws -> String {
        let file = root.appendingPathComponent(try ObjectKey.validate(key)).standardizedFileURL
        guard file.path.hasPrefix(root.path + "/") else { throw ObjectStoreError.invalidKey("escapes the directory") }
        return file.path
    }

    func put<Body: AsyncSequence & Sendable>(key: String, length: Int64, sha256: String?, body: Body) async throws
        -> StoredObject where Body.Element == ByteBuffer
    {
        let destination = try path(for: key)
        let directory = (destination as NSString).deletingLastPathComponent
        let temporary = directory + "/.tmp-\(UUID().uuidString)"
        let descriptor: Int32 = try await threadPool.runIfActive {
            try checkInside(destination)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try checkInside(destination)
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ObjectStoreError.unreachable("cannot create file: errno \(errno)") }
            return fd
        }
        let closed = NIOLockedValueBox(false)
        var hasher = SHA256()
        var received: Int64 = 0
        var pending = ByteBuffer()
        do {
            for try await chunk in body {
                received += Int64(chunk.readableBytes)
                guard received <= length else {
                    throw ObjectStoreError.lengthMismatch(expected: length, received: received)
                }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                var chunk = chunk
                pending.writeBuffer(&chunk)
                // Write in slices of about 1 MiB, so a thread hop serves many network reads.
                if pending.readableBytes >= 1 << 20 {
                    let slice = pending
                    pending = ByteBuffer()
                    try await threadPool.runIfActive { try Self.writeAll(descriptor, slice) }
                }
            }
            guard received == length else {
                throw ObjectStoreError.lengthMismatch(expected: length, received: received)
            }
            let digest = Checksum.hex(hasher.finalize())
            if let sha256, sha256.lowercased() != digest { throw ObjectStoreError.checksumMismatch }
            let slice = pending
            try await threadPool.runIfActive {
                try Self.writeAll(descriptor, slice)
                guard fsync(descriptor) == 0 else { throw ObjectStoreError.unreachable("fsync failed: errno \(errno)") }
                // Closed here and only here on success; the failure path below closes it otherwise, never twice
                // (a descriptor number closed twice may already belong to another thread's file).
                closed.withLockedValue { $0 = true }
                close(descriptor)
                guard rename(temporary, destination) == 0 else {
                    throw ObjectStoreError.unreachable("rename failed: errno \(errno)")
                }
                let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if directoryDescriptor >= 0 {
                    fsync(directoryDescriptor)
                    close(directoryDescriptor)
                }
            }
            return StoredObject(size: received, sha256: digest)
        } catch {
            try? await threadPool.runIfActive {
                if !closed.withLockedValue({ $0 }) { close(descriptor) }
                unlink(temporary)
            }
            throw error
        }
    }

    func get(key: String, range: ClosedRange<Int64>?, context: StrypeRequestContext) async throws -> ObjectRead {
        let file = try path(for: key)
        guard let size = try await head(key: key) else { throw ObjectStoreError.notFound }
        if let range, range.lowerBound >= size || range.upperBound >= size { throw ObjectStoreError.invalidRange }
        let body = try await fileIO.loadFile(
            path: file,
            range: range.map { Int($0.lowerBound)...Int($0.upperBound) } ?? 0...Int.max,
            context: context
        )
        return ObjectRead(totalSize: size, range: range, body: body)
    }

    func head(key: String) async throws -> Int64? {
        let file = try path(for: key)
        return try await threadPool.runIfActive {
            try checkInside(file)
            // lstat: a link in the object's place is not followed, and counts as no object.
            var info = stat()
            guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
            return Int64(info.st_size)
        }
    }

    func delete(key: String) async throws {
        let file = try path(for: key)
        try await threadPool.runIfActive {
            try checkInside(file)
            if unlink(file) != 0 && errno != ENOENT {
                throw ObjectStoreError.unreachable("unlink failed: errno \(errno)")
            }
        }
    }

    private static func writeAll(_ descriptor: Int32, _ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ObjectStoreError.unreachable("write failed: errno \(errno)")
                }
                offset += written
            }
        }
    }
}
