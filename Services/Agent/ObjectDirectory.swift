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
/// small), written to `root/.tmp`, then synced and renamed into place in batches shared by concurrent writes (group
/// commit), never beyond the promised capacity.
final class ObjectDirectory: Sendable {
    let root: String
    let capacity: Int64
    private let threads: NIOThreadPool
    private let usage: Mutex<(objects: Int64, bytes: Int64)>
    /// The open batch and the writes still on their way to it.
    private let gathering = Mutex(Gathering())
    /// Held across measuring an object's path and renaming over it or unlinking it, so the usage stays exact.
    private let placing = Mutex(())
    /// Disk kept free for the user beside the capacity check.
    static let reserveBytes: Int64 = 64 << 20
    /// Most writes that share one batch's syncs.
    static let batchWrites = 64
    /// Payload bytes at which a batch stops taking writes.
    static let batchBytes = 8 << 20
    /// A write this large is synced on its own, at once: its sync is mostly its own data's writeback, which syncs of
    /// other large writes on other threads overlap, while a batch would do them one after another.
    static let soloBytes = 512 << 10
    /// Longest a batch waits, from its first write, for writes still in flight; a lone write does not wait.
    static let batchWait: Duration = .milliseconds(2)

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
        for key in FileIO.keys(under: self.root) {
            objects += 1
            bytes += FileIO.fileSize(Self.path(root: self.root, key: key)) ?? 0
        }
        usage = Mutex((objects, bytes))
    }

    var objects: Int64 { usage.withLock { $0.objects } }
    var bytes: Int64 { usage.withLock { $0.bytes } }
    /// What may still be stored: the capacity left, bounded by the disk's real free space.
    var free: Int64 {
        max(0, min(capacity - bytes, FileIO.diskFree(root) - Self.reserveBytes))
    }

    static func path(root: String, key: String) -> String {
        let digest = Array(SHA256.hash(data: Array(key.utf8)).prefix(2))
        let hex = digest.map { String(format: "%02x", $0) }
        return "\(root)/\(hex[0])/\(hex[1])/\(key)"
    }

    /// Stores `data` under `key` if it matches `sha256` and fits, replacing any earlier one; answered once durable.
    func put(key: String, data: ByteBuffer, sha256: String?) async throws {
        if let sha256, Self.sha256(data) != sha256 {
            throw StoreError(code: AgentStatus.checksumMismatch, description: "the payload does not match its sha256")
        }
        let size = Int64(data.readableBytes)
        let path = Self.path(root: root, key: key)
        let previous = FileIO.fileSize(path) ?? 0
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
        guard FileIO.diskFree(root) - size >= Self.reserveBytes else {
            usage.withLock { $0.bytes -= size }
            throw StoreError(code: "insufficient_space", description: "the disk is full")
        }
        switch await writeInBatch(data, temporary: "\(root)/.tmp/\(UUID().uuidString)", path: path) {
        case .stored:
            return
        case .refused(let error):
            usage.withLock { $0.bytes -= size }
            throw error
        case .unsynced(let error):
            // Renamed into place and counted when it was placed; only its durability is in doubt.
            throw error
        }
    }

    /// How many batches have been closed and synced; tests read it to see that concurrent writes shared syncs.
    var syncBatches: Int { gathering.withLock { $0.batches } }

    /// The object's bytes.
    func get(key: String) async throws -> ByteBuffer {
        let path = Self.path(root: root, key: key)
        return try await threads.runIfActive { try Self.readWhole(path) }
    }

    /// A file's bytes read straight into one buffer of its size.
    private static func readWhole(_ path: String) throws -> ByteBuffer {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw errno == ENOENT ? notFound : StoreError.system("open") }
        defer { close(descriptor) }
        var info = Glibc.stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw notFound }
        let size = Int(info.st_size)
        if size >= FileIO.directBytes, let read = try FileIO.readDirect(descriptor, size: size) { return read }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { bytes in
            try FileIO.readAll(descriptor, into: bytes.baseAddress!, size: size, asking: size)
            return size
        }
        return buffer
    }

    /// The object's size, or not found.
    func stat(key: String) throws -> Int64 {
        guard let size = FileIO.fileSize(Self.path(root: root, key: key)) else { throw Self.notFound }
        return size
    }

    /// Removes the object and takes its bytes off the usage.
    func delete(key: String) throws {
        let path = Self.path(root: root, key: key)
        // Otherwise a put renaming over this path in between would stay counted after this removed its bytes.
        try placing.withLock { _ in
            guard let size = FileIO.fileSize(path) else { throw Self.notFound }
            guard unlink(path) == 0 else {
                throw StoreError(code: "error", description: "cannot delete: \(String(cString: strerror(errno)))")
            }
            usage.withLock { usage in
                usage.bytes -= size
                usage.objects -= 1
            }
        }
    }

    /// Keys after `cursor`, in order, at most `limit`; the next cursor is the last key when there may be more.
    func list(after cursor: String?, limit: Int) async throws -> (keys: [String], next: String?) {
        let root = root
        return try await threads.runIfActive {
            let keys = FileIO.keys(under: root).sorted().filter { cursor == nil || $0 > cursor! }
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

    /// A write whose temp file is written and still open, waiting for its batch to sync it.
    private struct StagedWrite: Sendable {
        let descriptor: Int32
        let temporary: String
        let path: String
        let bytes: Int
    }

    /// A staged write and the put that waits for its outcome.
    private struct Waiter: Sendable {
        let write: StagedWrite
        let continuation: CheckedContinuation<CommitOutcome, Never>
    }

    /// What became of one write.
    private enum CommitOutcome: Sendable {
        /// Its bytes and its name are durable.
        case stored
        /// Nothing was placed and its temp file is gone; its reservation is to be given back.
        case refused(any Error)
        /// Renamed into place and counted, but its directory could not be synced.
        case unsynced(StoreError)
    }

    /// The open batch, the writes still writing their temp files, and the batches closed so far.
    private struct Gathering {
        var waiters: [Waiter] = []
        var bytes = 0
        var writing = 0
        /// The open batch's number, so that a wait outliving its batch cannot close the next one.
        var generation = 0
        var batches = 0

        /// Closes the open batch and hands over its writes; the next one starts empty.
        mutating func seal() -> [Waiter] {
            let batch = waiters
            waiters = []
            bytes = 0
            generation += 1
            batches += 1
            return batch
        }
    }

    /// What joining or leaving the open batch asks for, done outside the lock.
    private enum BatchStep: Sendable {
        case idle
        case lead([Waiter])
        case wait(generation: Int)
    }

    /// Writes `data` to `temporary` on a thread-pool thread and joins the open batch; answered with the outcome.
    private func writeInBatch(_ data: ByteBuffer, temporary: String, path: String) async -> CommitOutcome {
        gathering.withLock { $0.writing += 1 }
        return await withCheckedContinuation { (continuation: CheckedContinuation<CommitOutcome, Never>) in
            threads.submit { state in
                var waiter: Waiter?
                if case .active = state {
                    do {
                        let write = try Self.writeTemporary(data, temporary: temporary, path: path)
                        waiter = Waiter(write: write, continuation: continuation)
                    } catch {
                        continuation.resume(returning: .refused(error))
                    }
                } else {
                    continuation.resume(returning: .refused(NIOThreadPoolError.ThreadPoolInactive()))
                }
                // Joined even when it failed: the open batch may have been waiting only for this write.
                self.perform(self.join(waiter))
            }
        }
    }

    /// Ends a write's temp-file phase, adding it to the open batch if it got that far.
    private func join(_ waiter: Waiter?) -> BatchStep {
        gathering.withLock { state -> BatchStep in
            state.writing -= 1
            if let waiter, waiter.write.bytes >= Self.soloBytes {
                // The open batch may have been waiting only for this write: then it goes along now.
                guard state.writing == 0, !state.waiters.isEmpty else {
                    state.batches += 1
                    return .lead([waiter])
                }
                return .lead([waiter] + state.seal())
            }
            if let waiter {
                state.waiters.append(waiter)
                state.bytes += waiter.write.bytes
            }
            guard !state.waiters.isEmpty else { return .idle }
            // Waiting helps only while other writes are on their way, so a lone write is synced at once.
            if state.waiters.count >= Self.batchWrites || state.bytes >= Self.batchBytes || state.writing == 0 {
                return .lead(state.seal())
            }
            return waiter != nil && state.waiters.count == 1 ? .wait(generation: state.generation) : .idle
        }
    }

    /// Leads a batch that was just closed, on this thread-pool thread, or arms the wait of one just opened.
    private func perform(_ step: BatchStep) {
        switch step {
        case .idle:
            break
        case .lead(let batch):
            commit(batch)
        case .wait(let generation):
            Task {
                try? await Task.sleep(for: Self.batchWait)
                self.expire(generation)
            }
        }
    }

    /// Closes batch `generation` if it is still open when its wait is over, and hands it to a thread-pool thread.
    private func expire(_ generation: Int) {
        let batch = gathering.withLock { state -> [Waiter]? in
            state.generation == generation ? state.seal() : nil
        }
        guard let batch else { return }
        // A stopped pool runs this at once on this thread instead: its writes still get their answers.
        threads.submit { _ in self.commit(batch) }
    }

    /// The leader's work: sync each file's data, rename each into place, sync each directory once, then answer each.
    private func commit(_ batch: [Waiter]) {
        var outcomes = [CommitOutcome](repeating: .stored, count: batch.count)
        for (index, waiter) in batch.enumerated() {
            if fdatasync(waiter.write.descriptor) != 0 { outcomes[index] = .refused(StoreError.system("sync")) }
            close(waiter.write.descriptor)
        }
        var directories: [String: [Int]] = [:]
        for (index, waiter) in batch.enumerated() {
            // A name is given only to synced bytes, so a crash never leaves an object that was not written.
            if case .stored = outcomes[index], let error = place(waiter.write) { outcomes[index] = .refused(error) }
            if case .stored = outcomes[index] {
                directories[(waiter.write.path as NSString).deletingLastPathComponent, default: []].append(index)
            } else {
                unlink(waiter.write.temporary)
            }
        }
        for (directory, members) in directories {
            guard let error = Self.syncDirectory(directory) else { continue }
            for index in members { outcomes[index] = .unsynced(error) }
        }
        for (waiter, outcome) in zip(batch, outcomes) { waiter.continuation.resume(returning: outcome) }
    }

    /// Renames a synced temp file over its object's path and counts it, less the object it replaced.
    private func place(_ write: StagedWrite) -> StoreError? {
        // Measured and renamed under one lock, so racing puts of one key each subtract what they really replaced.
        placing.withLock { _ -> StoreError? in
            let replaced = FileIO.fileSize(write.path)
            guard rename(write.temporary, write.path) == 0 else { return StoreError.system("rename") }
            usage.withLock { usage in
                usage.bytes -= replaced ?? 0
                if replaced == nil { usage.objects += 1 }
            }
            return nil
        }
    }

    /// Writes `data` to a new temp file, making the object's directory first; the file stays open for its sync. A
    /// large write goes around the page cache (`FileIO.writeDirect`).
    private static func writeTemporary(_ data: ByteBuffer, temporary: String, path: String) throws -> StagedWrite {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw StoreError.system("create") }
        let direct = data.readableBytes >= FileIO.directBytes ? FileIO.writeDirect(data, to: descriptor) : nil
        let ok = direct ?? data.withUnsafeReadableBytes { FileIO.writeAll($0, to: descriptor) }
        guard ok else {
            let error = StoreError.system("write")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        return StagedWrite(descriptor: descriptor, temporary: temporary, path: path, bytes: data.readableBytes)
    }

    /// Syncs a directory, so the names renamed into it last; the error when it cannot.
    private static func syncDirectory(_ directory: String) -> StoreError? {
        let descriptor = open(directory, O_RDONLY)
        guard descriptor >= 0 else { return StoreError.system("open the directory") }
        let error: StoreError? = fsync(descriptor) == 0 ? nil : StoreError.system("sync the directory")
        close(descriptor)
        return error
    }
}
