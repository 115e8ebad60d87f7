import Foundation
import NIOCore
import StrypeCodec
import StrypeCore
import StrypeService

/// A small file's content as kept in PostgreSQL: sealed, with its data key wrapped by the owner's key.
struct InlineContent: Sendable, Equatable {
    var sealed: [UInt8]
    var wrappedKey: [UInt8]
}

/// Seals the content of small files kept inline (DESIGN §7) exactly as chunk seals a chunk (`ChunkCipher`): a fresh
/// data key per chunk, AES-256-GCM with the chunk id as associated data, the data key wrapped by the owner's
/// key-encryption key. That key is filesystem's own per owner (each service keeps its schema), sealed under the master
/// key in `fs.settings.inline_key`, and kept opened for a minute.
struct InlineSealer: Sendable {
    let nodes: any NodeRepository
    /// Seals owners' key-encryption keys under the master key.
    let userKeys: SecretBox
    /// The largest file kept inline (`INLINE_MAX_BYTES`; 0: none).
    let limit: Int
    let openedKeys = ExpiringCache<UUID, [UInt8]>(lifetime: .seconds(60))

    /// Whether a file of `size` bytes is kept inline.
    func keepsInline(_ size: Int64) -> Bool { size > 0 && size <= Int64(limit) }

    /// `bytes` as one inline chunk of `owner`'s.
    func seal(_ bytes: ByteBuffer, owner: UUID) async throws -> ChunkPart {
        let id = ChunkID.generate()
        let dataKey = ChunkCipher.makeDataKey()
        let sealed = try ChunkCipher.seal(Array(buffer: bytes), dataKey: dataKey, chunkID: id)
        let wrapped = try ChunkCipher.wrap(
            dataKey: dataKey,
            keyEncryptionKey: try await keyEncryptionKey(owner),
            chunkID: id
        )
        return ChunkPart(
            chunkID: id,
            size: Int64(bytes.readableBytes),
            inline: InlineContent(sealed: sealed, wrappedKey: wrapped)
        )
    }

    /// The plaintext of an inline chunk; 503 `data_unavailable` when it fails authentication.
    func open(_ part: ChunkPart, content: InlineContent, owner: UUID) async throws -> ByteBuffer {
        do {
            let dataKey = try ChunkCipher.unwrap(
                content.wrappedKey,
                keyEncryptionKey: try await keyEncryptionKey(owner),
                chunkID: part.chunkID
            )
            return ByteBuffer(bytes: try ChunkCipher.open(content.sealed, dataKey: dataKey, chunkID: part.chunkID))
        } catch is SecretBox.OpenError {
            throw APIError(.serviceUnavailable, code: "data_unavailable", message: "the file failed authentication")
        }
    }

    /// The owner's key-encryption key, made on first use.
    private func keyEncryptionKey(_ owner: UUID) async throws -> [UInt8] {
        try await openedKeys.value(for: owner) {
            let context = owner.uuidString.lowercased()
            let sealed = try await nodes.sealedInlineKey(owner: owner) {
                try userKeys.seal(ChunkCipher.makeDataKey(), context: context)
            }
            return try userKeys.open(sealed, context: context)
        }
    }
}
