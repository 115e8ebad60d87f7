import CSHA256

/// SHA-256 (FIPS 180-4) whose running state can be saved and restored, so a file's hash continues across resumed
/// uploads (tus) and service restarts; swift-crypto's hasher keeps its state sealed. Whole blocks go through the CPU's
/// SHA extensions where it has them (`CSHA256`), else through the compression below.
public struct ResumableSHA256: Sendable, Equatable {
    private var state = SIMD8<UInt32>(
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19
    )
    private var length: UInt64 = 0
    private var pending: [UInt8] = []
    /// Whether whole blocks go through the CPU's SHA extensions (tests turn it off to check the fallback).
    var usesExtensions = ResumableSHA256.hardware

    public init() {}

    /// Adds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        length &+= UInt64(bytes.count)
        let schedule = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        defer { schedule.deallocate() }
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            offset = take
            guard pending.count == 64 else { return }
            let block = pending
            block.withUnsafeBytes { compress($0.baseAddress!, blocks: 1, schedule) }
            pending.removeAll(keepingCapacity: true)
        }
        let blocks = (bytes.count - offset) / 64
        if blocks > 0 {
            compress(bytes.baseAddress! + offset, blocks: blocks, schedule)
            offset += blocks * 64
        }
        if offset < bytes.count { pending.append(contentsOf: bytes[offset...]) }
    }

    /// The digest of everything added; the hasher itself is left as it was.
    public func finalize() -> [UInt8] {
        var copy = self
        let bits = length &* 8
        var padding: [UInt8] = [0x80]
        padding += [UInt8](repeating: 0, count: (55 - Int(length % 64) + 64) % 64)
        for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bits >> shift)) }
        let saved = copy.length
        padding.withUnsafeBytes { copy.update($0) }
        copy.length = saved
        var digest: [UInt8] = []
        for index in 0..<8 {
            let word = copy.state[index]
            digest += [
                UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
                UInt8(truncatingIfNeeded: word),
            ]
        }
        return digest
    }

    /// The state as bytes (at most 104), for `init(saved:)`.
    public var saved: [UInt8] {
        var bytes: [UInt8] = []
        for index in 0..<8 { bytes += withUnsafeBytes(of: state[index].bigEndian, Array.init) }
        bytes += withUnsafeBytes(of: length.bigEndian, Array.init)
        return bytes + pending
    }

    /// A hasher restored from `saved`; nil when the bytes are not a saved state.
    public init?(saved bytes: [UInt8]) {
        guard bytes.count >= 40, bytes.count < 104 else { return nil }
        for index in 0..<8 {
            state[index] = bytes[(index * 4)..<(index * 4 + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        length = bytes[32..<40].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        pending = Array(bytes[40...])
        guard UInt64(pending.count) == length % 64 else { return nil }
    }

    /// Whether the CPU's SHA extensions compress whole blocks.
    static let hardware = csha256_available() != 0

    /// Compresses `blocks` whole 64-byte blocks at `start`: with the CPU's SHA extensions, or one by one below.
    private mutating func compress(
        _ start: UnsafeRawPointer,
        blocks: Int,
        _ schedule: UnsafeMutablePointer<UInt32>
    ) {
        guard !usesExtensions else {
            withUnsafeMutableBytes(of: &state) { words in
                csha256_compress(
                    words.baseAddress!.assumingMemoryBound(to: UInt32.self),
                    start.assumingMemoryBound(to: UInt8.self),
                    blocks
                )
            }
            return
        }
        for block in 0..<blocks { Self.compress(&state, start + block &* 64, schedule, Self.roundConstants) }
    }

    /// The round constants where the compression loop reads them without bounds checks or retains.
    nonisolated(unsafe) private static let roundConstants: UnsafeMutablePointer<UInt32> = {
        let pointer = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
        withUnsafePointer(to: csha256_round_constants) { table in
            table.withMemoryRebound(to: UInt32.self, capacity: 64) { pointer.initialize(from: $0, count: 64) }
        }
        return pointer
    }()

    // No closures below: variables captured by one would be boxed, which costs more than the hashing.
    private static func compress(
        _ state: inout SIMD8<UInt32>,
        _ block: UnsafeRawPointer,
        _ w: UnsafeMutablePointer<UInt32>,
        _ k: UnsafeMutablePointer<UInt32>
    ) {
        for t in 0..<16 {
            w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
        }
        for t in 16..<64 {
            let s0 = rotate(w[t &- 15], 7) ^ rotate(w[t &- 15], 18) ^ (w[t &- 15] &>> 3)
            let s1 = rotate(w[t &- 2], 17) ^ rotate(w[t &- 2], 19) ^ (w[t &- 2] &>> 10)
            w[t] = w[t &- 16] &+ s0 &+ w[t &- 7] &+ s1
        }
        var a = state[0]
        var b = state[1]
        var c = state[2]
        var d = state[3]
        var e = state[4]
        var f = state[5]
        var g = state[6]
        var h = state[7]
        for t in 0..<64 {
            let s1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
            let choice = (e & f) ^ (~e & g)
            let temp1 = h &+ s1 &+ choice &+ k[t] &+ w[t]
            let s0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            h = g
            g = f
            f = e
            e = d &+ temp1
            d = c
            c = b
            b = a
            a = temp1 &+ s0 &+ majority
        }
        state &+= SIMD8(a, b, c, d, e, f, g, h)
    }

    @inline(__always)
    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value &>> count) | (value &<< (32 &- count))
    }
}
