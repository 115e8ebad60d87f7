import Foundation
import NIOCore
import PostgresNIO
import StrypeCore
import StrypeService

/// `fs.put_file` (the commit of a file version, in one round trip) as a named prepared statement: parsed and planned
/// once per connection, not on every upload.
struct PutFile: PostgresPreparedStatement {
    static let sql = "SELECT * FROM fs.put_file($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .textArray, .int8, .text, .text, .text, .text, .textArray, .int8Array, .bytea, .bytea, .uuid, .int8,
        .text, .text,
    ]
    typealias Row = (PostgresNodeRepository.Row, Bool)

    var owner: UUID
    var path: FilePath
    var version: NewVersion
    var upload: UUID?
    var defaultQuota: Int64?

    func makeBindings() throws -> PostgresBindings {
        let inline = version.chunks.count == 1 ? version.chunks[0].inline : nil
        var bindings = PostgresBindings(capacity: Self.bindingDataTypes.count)
        bindings.append(owner)
        bindings.append(path.segments)
        bindings.append(version.size)
        bindings.append(version.sha256)
        bindings.append(version.durability)
        bindings.append(version.encryption)
        bindings.append(version.contentType)
        bindings.append(version.chunks.map(\.chunkID))
        bindings.append(version.chunks.map(\.size))
        // Bytes go as ByteBuffer: PostgresNIO sends a [UInt8] as an array of "char", not as bytea.
        bindings.append(inline.map { ByteBuffer(bytes: $0.sealed) })
        bindings.append(inline.map { ByteBuffer(bytes: $0.wrappedKey) })
        bindings.append(upload)
        bindings.append(defaultQuota)
        bindings.append(FileInput.defaultDurability)
        bindings.append(FileInput.defaultEncryption)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let r = try row.decode(
            (
                UUID, UUID, UUID?, String, String, Date, Int?, Int64?, String?, String?, String?, String?, Date?,
                String,
                [String], Date?, String?, String?, Bool
            ).self
        )
        return (
            (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14, r.15, r.16, r.17), r.18
        )
    }

    /// The API error for a refusal `fs.put_file` raised (nil: another failure).
    static func refusal(_ error: PSQLError, path: FilePath) -> APIError? {
        guard let info = error.serverInfo, let state = info[.sqlState], state.hasPrefix("CS") else { return nil }
        let detail = info[.detail] ?? path.description
        switch info[.message] {
        case "not_a_directory":
            return APIError(.conflict, code: "not_a_directory", message: "\(detail) is a file")
        case "is_a_directory":
            return APIError(.conflict, code: "is_a_directory", message: "\(detail) is a directory")
        case "quota_exceeded":
            return FileInput.quotaExceeded(Int64(detail) ?? 0)
        default:
            return APIError(.conflict, code: "conflict", message: "\(detail) changed meanwhile; try again")
        }
    }
}

/// A file version's chunk list in order, inline content included, as a named prepared statement.
struct VersionChunks: PostgresPreparedStatement {
    static let sql = """
        SELECT chunk_id, size, sealed, wrapped_key FROM fs.version_chunks
        WHERE file_id = $1 AND version = $2 ORDER BY seq
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .int4]
    typealias Row = ChunkPart

    var file: UUID
    var version: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(file)
        bindings.append(Int32(version))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> ChunkPart {
        let (id, size, sealed, wrappedKey) = try row.decode((String, Int64, ByteBuffer?, ByteBuffer?).self)
        guard let sealed, let wrappedKey else { return ChunkPart(chunkID: id, size: size) }
        let content = InlineContent(sealed: Array(buffer: sealed), wrappedKey: Array(buffer: wrappedKey))
        return ChunkPart(chunkID: id, size: size, inline: content)
    }
}
