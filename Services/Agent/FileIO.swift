import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Whole reads and writes of a file descriptor, and direct I/O (`O_DIRECT`) for large objects.
enum FileIO {
    /// Reads `size` bytes into `start`, asking each time for what is left of `limit` (direct I/O asks for whole
    /// blocks; the last read stops at the file's end).
    static func readAll(_ descriptor: Int32, into start: UnsafeMutableRawPointer, size: Int, asking limit: Int)
        throws
    {
        var offset = 0
        while offset < size {
            let count = read(descriptor, start + offset, limit - offset)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw StoreError.system("read") }
            offset += count
        }
    }

    /// Writes at least this many bytes with `O_DIRECT`.
    static let directBytes = 256 << 10
    /// The alignment `O_DIRECT` asks of the buffer, the length and the offset (a page covers every block size).
    static let directAlignment = 4096

    /// Writes `data` with `O_DIRECT`, from an aligned copy padded to whole blocks, then cuts the file to its length;
    /// nil when the file system takes no direct I/O (the caller then writes it the usual way). Copying into the page
    /// cache cost the agents more CPU than anything else in an upload (a third of all, for three copies); the sync
    /// that follows still makes the bytes durable.
    static func writeDirect(_ data: ByteBuffer, to descriptor: Int32) -> Bool? {
        guard let flags = startDirect(descriptor) else { return nil }
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        let length = data.readableBytes
        let padded = directLength(length)
        let block = alignedBlocks.take(padded)
        defer { alignedBlocks.give(block) }
        let start = block.baseAddress!
        data.withUnsafeReadableBytes { start.copyMemory(from: $0.baseAddress!, byteCount: length) }
        (start + length).initializeMemory(as: UInt8.self, repeating: 0, count: padded - length)
        return writeAll(UnsafeRawBufferPointer(start: start, count: padded), to: descriptor)
            && ftruncate(descriptor, off_t(length)) == 0
    }

    /// The aligned blocks direct I/O goes through, shared by every directory of the process.
    static let alignedBlocks = AlignedBlocks(alignment: directAlignment)

    /// `O_DIRECT`, which Swift's Glibc does not export (its value differs between architectures).
    #if arch(x86_64)
    static let directFlag: Int32 = 0o40000
    #elseif arch(arm64)
    static let directFlag: Int32 = 0o200000
    #else
    static let directFlag: Int32 = 0
    #endif

    /// A large file read with `O_DIRECT` into an aligned place in the buffer it is sent from: the kernel's copy out of
    /// the page cache was the largest part of an agent's CPU in a download. nil when the file system takes no direct
    /// I/O.
    static func readDirect(_ descriptor: Int32, size: Int) throws -> ByteBuffer? {
        guard startDirect(descriptor) != nil else { return nil }
        let padded = directLength(size)
        // Read into an aligned place inside the buffer that is sent, not into a block copied into it after.
        var buffer = ByteBufferAllocator().buffer(capacity: padded + directAlignment)
        var lead = 0
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: padded + directAlignment) { bytes in
            let address = Int(bitPattern: bytes.baseAddress!)
            lead = (directAlignment - address % directAlignment) % directAlignment
            try readAll(descriptor, into: bytes.baseAddress! + lead, size: size, asking: padded)
            return lead + size
        }
        buffer.moveReaderIndex(forwardBy: lead)
        return buffer
    }

    /// `count` rounded up to whole blocks, the lengths direct I/O moves.
    static func directLength(_ count: Int) -> Int {
        (count + directAlignment - 1) / directAlignment * directAlignment
    }

    /// Turns direct I/O on for `descriptor`; its flags before, or nil when the file system takes no direct I/O.
    static func startDirect(_ descriptor: Int32) -> Int32? {
        let flags = fcntl(descriptor, F_GETFL)
        guard directFlag != 0, flags >= 0, fcntl(descriptor, F_SETFL, flags | directFlag) == 0 else { return nil }
        return flags
    }

    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
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
        for first in (try? manager.contentsOfDirectory(atPath: root)) ?? [] where isFanout(first) {
            for second in (try? manager.contentsOfDirectory(atPath: "\(root)/\(first)")) ?? []
            where isFanout(second) {
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

extension StoreError {
    /// The error of the system call that just failed, doing `what`.
    static func system(_ what: String) -> StoreError {
        let reason = String(cString: strerror(errno))
        return Self(
            code: errno == ENOSPC ? "insufficient_space" : "error",
            description: "cannot \(what): \(reason)"
        )
    }
}

/// Aligned blocks for direct I/O, kept for reuse: made afresh for each large write and read, they fragmented the
/// agent's heap (330 MiB resident after one upload, against 90 before). Sizes are rounded up to whole MiB so that one
/// block serves the shards of every chunk; at most `kept` wait free.
final class AlignedBlocks: Sendable {
    let alignment: Int
    static let kept = 8
    private static let granule = 1 << 20
    /// Free blocks by address (as integers, which are Sendable) and capacity.
    private let free = Mutex<[(address: UInt, capacity: Int)]>([])

    init(alignment: Int) {
        self.alignment = alignment
    }

    /// A block of at least `count` bytes.
    func take(_ count: Int) -> UnsafeMutableRawBufferPointer {
        let reused = free.withLock { free -> (address: UInt, capacity: Int)? in
            guard let index = free.firstIndex(where: { $0.capacity >= count }) else { return nil }
            return free.remove(at: index)
        }
        if let reused {
            return UnsafeMutableRawBufferPointer(
                start: UnsafeMutableRawPointer(bitPattern: reused.address),
                count: reused.capacity
            )
        }
        let capacity = (count + Self.granule - 1) / Self.granule * Self.granule
        return UnsafeMutableRawBufferPointer(
            start: UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: alignment),
            count: capacity
        )
    }

    /// Hands a block back: kept for the next take, or freed when enough wait already.
    func give(_ block: UnsafeMutableRawBufferPointer) {
        guard let start = block.baseAddress else { return }
        let kept = free.withLock { free -> Bool in
            guard free.count < Self.kept else { return false }
            free.append((UInt(bitPattern: start), block.count))
            return true
        }
        if !kept { start.deallocate() }
    }
}
