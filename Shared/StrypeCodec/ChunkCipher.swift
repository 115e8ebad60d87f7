import Crypto
import Foundation

#if canImport(CCryptoBoringSSL)
import CCryptoBoringSSL
#endif

/// The chunk envelope (DESIGN §3 chunk): a fresh 256-bit data key per chunk, AES-256-GCM with the chunk id as
/// associated data, so a ciphertext moved under another chunk's id no longer opens. Output: `nonce ‖ ct ‖ tag`.
public enum ChunkCipher {
    /// Bytes AES-GCM adds: a 12-byte nonce and a 16-byte tag.
    public static let overhead = 28

    public static func makeDataKey() -> [UInt8] {
        // One fill from the system's generator, not one call per byte.
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    public static func seal(_ plaintext: [UInt8], dataKey: [UInt8], chunkID: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: SymmetricKey(data: dataKey), authenticating: Array(chunkID.utf8))
        guard let combined = box.combined else { throw SecretBox.OpenError.malformed }
        return Array(combined)
    }

    /// The plaintext; throws `SecretBox.OpenError.authenticationFailed` for any change to the bytes, key or id.
    public static func open(_ sealed: [UInt8], dataKey: [UInt8], chunkID: String) throws -> [UInt8] {
        Array(try openData(sealed, dataKey: dataKey, chunkID: chunkID))
    }

    /// `open`, as the `Data` swift-crypto answers with (one copy fewer for a caller that copies it on anyway).
    public static func openData(_ sealed: [UInt8], dataKey: [UInt8], chunkID: String) throws -> Data {
        guard sealed.count >= overhead, let box = try? AES.GCM.SealedBox(combined: sealed) else {
            throw SecretBox.OpenError.malformed
        }
        do {
            return try AES.GCM.open(box, using: SymmetricKey(data: dataKey), authenticating: Array(chunkID.utf8))
        } catch {
            throw SecretBox.OpenError.authenticationFailed
        }
    }

    /// `open` without a copy: `sealed` holds `nonce ‖ ct ‖ tag`, and afterwards its bytes from `nonceBytes` on are the
    /// plaintext, whose length is returned. swift-crypto answers a fresh `Data` (and copies the input into one first),
    /// two copies of every chunk a download reads; this calls the same BoringSSL AEAD swift-crypto links, with output
    /// and input the same bytes, which BoringSSL allows (where that module is not there, swift-crypto's calls and a
    /// copy). When authentication fails the bytes may be cleared, so a caller that wants to try again reads them again.
    public static func openInPlace(_ sealed: UnsafeMutableRawBufferPointer, dataKey: [UInt8], chunkID: String) throws
        -> Int
    {
        guard sealed.count >= overhead, dataKey.count == 32, let start = sealed.baseAddress else {
            throw SecretBox.OpenError.malformed
        }
        #if canImport(CCryptoBoringSSL)
        let base = start.assumingMemoryBound(to: UInt8.self)
        let body = base + nonceBytes
        let bodyCount = sealed.count - nonceBytes
        var written = 0
        let opened = try withContext(dataKey, chunkID) { context, associated in
            CCryptoBoringSSL_EVP_AEAD_CTX_open(
                context,
                body,
                &written,
                bodyCount,
                base,
                nonceBytes,
                body,
                bodyCount,
                associated.baseAddress,
                associated.count
            )
        }
        guard opened == 1 else { throw SecretBox.OpenError.authenticationFailed }
        return written
        #else
        let plaintext = try openData(Array(UnsafeRawBufferPointer(sealed)), dataKey: dataKey, chunkID: chunkID)
        plaintext.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: sealed[nonceBytes...]))
        return plaintext.count
        #endif
    }

    /// `seal` without a copy: the plaintext lies in `region` from `nonceBytes` on, `plaintextCount` bytes long, and
    /// afterwards `region` begins with `nonce ‖ ct ‖ tag`, whose length is returned (`region` must hold it).
    public static func sealInPlace(
        _ region: UnsafeMutableRawBufferPointer,
        plaintextCount: Int,
        dataKey: [UInt8],
        chunkID: String
    ) throws -> Int {
        let sealedCount = plaintextCount + overhead
        guard plaintextCount >= 0, region.count >= sealedCount, dataKey.count == 32, let start = region.baseAddress
        else { throw SecretBox.OpenError.malformed }
        #if canImport(CCryptoBoringSSL)
        let base = start.assumingMemoryBound(to: UInt8.self)
        AES.GCM.Nonce().withUnsafeBytes { nonce in
            UnsafeMutableRawBufferPointer(start: start, count: nonceBytes).copyMemory(from: nonce)
        }
        let body = base + nonceBytes
        var written = 0
        let sealed = try withContext(dataKey, chunkID) { context, associated in
            CCryptoBoringSSL_EVP_AEAD_CTX_seal(
                context,
                body,
                &written,
                plaintextCount + tagBytes,
                base,
                nonceBytes,
                body,
                plaintextCount,
                associated.baseAddress,
                associated.count
            )
        }
        guard sealed == 1, written == plaintextCount + tagBytes else { throw SecretBox.OpenError.malformed }
        #else
        let plaintext = Array(UnsafeRawBufferPointer(rebasing: region[nonceBytes..<(nonceBytes + plaintextCount)]))
        let combined = try seal(plaintext, dataKey: dataKey, chunkID: chunkID)
        UnsafeMutableRawBufferPointer(rebasing: region[0..<sealedCount]).copyMemory(
            from: UnsafeRawBufferPointer(combined)
        )
        #endif
        return sealedCount
    }

    #if canImport(CCryptoBoringSSL)
    /// Runs `body` with BoringSSL's AES-256-GCM context for `dataKey` (a 16-byte tag), kept in one place while it
    /// lives, and the chunk id as associated data.
    private static func withContext(
        _ dataKey: [UInt8],
        _ chunkID: String,
        _ body: (UnsafePointer<EVP_AEAD_CTX>, UnsafeBufferPointer<UInt8>) -> Int32
    ) throws -> Int32 {
        var context = EVP_AEAD_CTX()
        let ready = dataKey.withUnsafeBufferPointer { key in
            CCryptoBoringSSL_EVP_AEAD_CTX_init(
                &context,
                CCryptoBoringSSL_EVP_aead_aes_256_gcm(),
                key.baseAddress,
                key.count,
                tagBytes,
                nil
            )
        }
        guard ready == 1 else { throw SecretBox.OpenError.malformed }
        defer { CCryptoBoringSSL_EVP_AEAD_CTX_cleanup(&context) }
        let associated = Array(chunkID.utf8)
        return withUnsafePointer(to: &context) { pointer in
            associated.withUnsafeBufferPointer { body(pointer, $0) }
        }
    }
    #endif

    /// The nonce's and the tag's lengths in `nonce ‖ ct ‖ tag`.
    public static let nonceBytes = 12
    static let tagBytes = 16

    /// A data key wrapped by an owner's key-encryption key, bound to the chunk id.
    public static func wrap(dataKey: [UInt8], keyEncryptionKey: [UInt8], chunkID: String) throws -> [UInt8] {
        try SecretBox(masterKey: keyEncryptionKey, purpose: "chunk.data-key").seal(dataKey, context: chunkID)
    }

    public static func unwrap(_ wrapped: [UInt8], keyEncryptionKey: [UInt8], chunkID: String) throws -> [UInt8] {
        try SecretBox(masterKey: keyEncryptionKey, purpose: "chunk.data-key").open(wrapped, context: chunkID)
    }
}
