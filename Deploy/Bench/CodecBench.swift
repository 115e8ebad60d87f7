import CISAL
import Crypto
import Foundation
import StrypeCodec
import StrypeCore

/// `cloudstrype-bench`: the chunk codec's throughput next to the raw libraries it wraps, measured in one run —
/// ISA-L's `ec_encode_data` called directly vs `ShardCodec` rs(10,4) encode and decode, swift-crypto's AES-GCM vs
/// `ChunkCipher` seal and open, and SHA-256. Prints one Markdown table row per measurement.
@main
struct Bench {
    static func main() throws {
        // The services run with this; without it page faults on fresh 64 MiB buffers dominate every figure.
        MemoryTuning.reuseLargeBuffers()
        let megabytes = Int(CommandLine.arguments.dropFirst().first ?? "64") ?? 64
        let size = megabytes << 20
        var generator = SystemRandomNumberGenerator()
        let data = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let rounds = 5
        print("| measurement | MiB/s | vs raw |")
        print("|---|---|---|")

        // ISA-L raw: the same K pieces and tables the codec uses, straight into ec_encode_data.
        let k = 10
        let m = 4
        let piece = (size + k - 1) / k
        // Buffers prepared once, outside the clock: this is the library's own speed, with no copies around it.
        var sources: [UnsafeMutablePointer<UInt8>?] = (0..<k).map { index in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: piece)
            pointer.initialize(repeating: 0, count: piece)
            let start = min(index * piece, size)
            let end = min(start + piece, size)
            data[start..<end].withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: end - start) }
            return pointer
        }
        var outputs: [UnsafeMutablePointer<UInt8>?] = (0..<m).map { _ in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: piece)
            pointer.initialize(repeating: 0, count: piece)
            return pointer
        }
        var matrix = [UInt8](repeating: 0, count: (k + m) * k)
        gf_gen_cauchy1_matrix(&matrix, Int32(k + m), Int32(k))
        var tables = [UInt8](repeating: 0, count: 32 * k * m)
        var parityRows = Array(matrix[(k * k)...])
        ec_init_tables(Int32(k), Int32(m), &parityRows, &tables)
        let raw = measure(rounds: rounds, bytes: size) {
            ec_encode_data(Int32(piece), Int32(k), Int32(m), &tables, &sources, &outputs)
        }
        report("ISA-L ec_encode_data rs(10,4), raw", raw, baseline: raw)
        let codec = try ShardCodec(.erasure(data: k, parity: m))
        var shards: [ArraySlice<UInt8>] = []
        let encode = measure(rounds: rounds, bytes: size) { shards = try! codec.encode(data) }
        report("ShardCodec rs(10,4) encode", encode, baseline: raw)
        var damaged: [ArraySlice<UInt8>?] = shards
        for index in 0..<m { damaged[index] = nil }
        let decode = measure(rounds: rounds, bytes: size) { _ = try! codec.decode(damaged, length: size) }
        report("ShardCodec rs(10,4) decode, 4 data shards lost", decode, baseline: raw)

        let key = SymmetricKey(size: .bits256)
        let aad = Array("0123456789abcdef0123456789abcdef".utf8)
        let rawSeal = measure(rounds: rounds, bytes: size) {
            _ = try! AES.GCM.seal(data, using: key, authenticating: aad)
        }
        report("swift-crypto AES-256-GCM seal, raw", rawSeal, baseline: rawSeal)
        let dataKey = ChunkCipher.makeDataKey()
        var sealed: [UInt8] = []
        let seal = measure(rounds: rounds, bytes: size) {
            sealed = try! ChunkCipher.seal(data, dataKey: dataKey, chunkID: "0123456789abcdef0123456789abcdef")
        }
        report("ChunkCipher seal", seal, baseline: rawSeal)
        let rawBox = try AES.GCM.seal(data, using: key, authenticating: aad)
        let rawOpen = measure(rounds: rounds, bytes: size) {
            _ = try! AES.GCM.open(rawBox, using: key, authenticating: aad)
        }
        report("swift-crypto AES-256-GCM open, raw", rawOpen, baseline: rawOpen)
        let open = measure(rounds: rounds, bytes: size) {
            _ = try! ChunkCipher.open(sealed, dataKey: dataKey, chunkID: "0123456789abcdef0123456789abcdef")
        }
        report("ChunkCipher open", open, baseline: rawOpen)
        let hash = measure(rounds: rounds, bytes: size) { _ = SHA256.hash(data: data) }
        report("SHA-256 (shard checksums)", hash, baseline: hash)
    }

    /// The best of `rounds` runs, in MiB/s.
    static func measure(rounds: Int, bytes: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = ContinuousClock.now
            body()
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return Double(bytes) / 1_048_576 / best
    }

    static func report(_ name: String, _ speed: Double, baseline: Double) {
        print(String(format: "| %@ | %.0f | %.2f× |", name, speed, speed / baseline))
    }
}
