import CSodium
import NIOPosix

/// Argon2id through libsodium (`crypto_pwhash_str`, interactive limits: 2 passes, 64 MiB), on threads of its own
/// so hashing never blocks the event loops or the cooperative pool.
final class Argon2idHasher: Sendable {
    private let threads: NIOThreadPool
    private let dummyHash: String

    /// Why hashing failed (libsodium reports only memory exhaustion).
    struct HashingFailed: Error {}

    init(threads: Int = 2) throws {
        guard sodium_init() >= 0 else { throw HashingFailed() }
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
        self.dummyHash = try Self.hashBlocking("cloudstrype timing equaliser")
    }

    func hash(_ password: String) async throws -> String {
        try await threads.runIfActive { try Self.hashBlocking(password) }
    }

    func verify(_ password: String, against hash: String) async -> Bool {
        (try? await threads.runIfActive { Self.verifyBlocking(password, hash) }) ?? false
    }

    func verifyDummy(_ password: String) async {
        _ = await verify(password, against: dummyHash)
    }

    private static func hashBlocking(_ password: String) throws -> String {
        var output = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
        let bytes = Array(password.utf8)
        // A pointer even for the empty password; the length says how much of it counts.
        let padded = bytes + [0]
        let status = padded.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                crypto_pwhash_str(
                    &output,
                    chars.baseAddress!,
                    UInt64(bytes.count),
                    UInt64(crypto_pwhash_opslimit_interactive()),
                    crypto_pwhash_memlimit_interactive()
                )
            }
        }
        guard status == 0 else { throw HashingFailed() }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func verifyBlocking(_ password: String, _ hash: String) -> Bool {
        var stored = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
        let hashBytes = Array(hash.utf8)
        guard hashBytes.count < stored.count else { return false }
        for (index, byte) in hashBytes.enumerated() { stored[index] = CChar(bitPattern: byte) }
        let bytes = Array(password.utf8)
        let padded = bytes + [0]
        return padded.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                crypto_pwhash_str_verify(&stored, chars.baseAddress!, UInt64(bytes.count)) == 0
            }
        }
    }
}
