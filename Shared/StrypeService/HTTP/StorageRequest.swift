import StrypeCore

/// The storage a request asks for, read the same way by chunk and filesystem: a durability of the grammar and an
/// encryption by name, or a 400 that lists what is accepted.
package enum StorageRequest {
    package static func durability(_ text: String) throws -> DurabilitySpec {
        guard let spec = DurabilitySpec(text) else {
            throw APIError.invalidField(
                "durability",
                "unknown durability \"\(text.prefix(40))\"; use \(DurabilitySpec.forms)"
            )
        }
        return spec
    }

    package static func encryption(_ text: String) throws -> EncryptionSpec {
        guard let spec = EncryptionSpec(rawValue: text) else {
            throw APIError.invalidField(
                "encryption",
                "unknown encryption \"\(text.prefix(40))\"; use aes256-gcm or none"
            )
        }
        return spec
    }
}
