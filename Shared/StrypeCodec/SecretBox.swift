import Crypto

/// Seals small secrets (signing keys, provider credentials, key-encryption keys) at rest with AES-256-GCM under a
/// key derived from the master key for one purpose, so a key for one use never opens another's data.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    /// Why a sealed value could not be opened.
    public enum OpenError: Error, Equatable {
        case malformed
        case authenticationFailed
    }

    /// A box for `purpose` (e.g. `"auth.signing-keys"`) under the 32-byte master key.
    public init(masterKey: [UInt8], purpose: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: masterKey),
            salt: Array("cloudstrype.secretbox.v1".utf8),
            info: Array(purpose.utf8),
            outputByteCount: 32
        )
    }

    /// `nonce ‖ ciphertext ‖ tag`; `context` (e.g. a row id) is authenticated, so a sealed value moved to another
    /// row no longer opens.
    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw OpenError.malformed }
        return Array(combined)
    }

    /// The plaintext of a value sealed with the same purpose and context.
    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        guard sealed.count >= 28, let box = try? AES.GCM.SealedBox(combined: sealed) else { throw OpenError.malformed }
        do {
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
        } catch {
            throw OpenError.authenticationFailed
        }
    }
}
