import Foundation
import Hummingbird
import NIOCore
import StrypeCore
import StrypeService

/// What a stored object is: its size and the SHA-256 of its bytes (hex).
struct StoredObject: Sendable, Equatable {
    var size: Int64
    var sha256: String
}

/// An object being read: its full size, the range sent, and the bytes as a stream.
struct ObjectRead: Sendable {
    var totalSize: Int64
    var range: ClosedRange<Int64>?
    var body: ResponseBody
}

/// Why an object operation failed, in terms a client can act on.
enum ObjectStoreError: Error, Equatable, CustomStringConvertible {
    case notFound
    case invalidKey(String)
    case invalidRange
    case lengthMismatch(expected: Int64, received: Int64)
    case checksumMismatch
    case provider(status: Int, code: String, message: String)
    case unreachable(String)
    /// TLS with the provider failed (a certificate, a handshake).
    case tlsFailed(String)
    /// The S3 endpoint resolves to an address cloud does not connect to (loopback, private, link-local, …).
    case endpointNotAllowed
    /// The local account's directory no longer lies inside the local storage roots.
    case pathNotAllowed

    var description: String {
        switch self {
        case .notFound: "no such object"
        case .invalidKey(let reason): "invalid object key: \(reason)"
        case .invalidRange: "the range is outside the object"
        case .lengthMismatch(let expected, let received): "expected \(expected) bytes, received \(received)"
        case .checksumMismatch: "the body does not match its SHA-256"
        case .provider(let status, let code, let message): "provider answered \(status) \(code): \(message)"
        case .unreachable(let reason): "provider unreachable: \(reason)"
        case .tlsFailed(let reason): "TLS with the provider failed: \(reason)"
        case .endpointNotAllowed: "the endpoint is not allowed"
        case .pathNotAllowed: "the directory is outside the local storage roots"
        }
    }
}

/// A place objects live: an S3 bucket (and prefix) or a local directory. Bodies stream in both directions.
protocol ObjectStore: Sendable {
    /// Stores exactly `length` bytes of `body` under `key`, replacing what was there, only once all arrived and
    /// match `sha256` (when given).
    func put<Body: AsyncSequence & Sendable>(key: String, length: Int64, sha256: String?, body: Body) async throws
        -> StoredObject where Body.Element == ByteBuffer
    /// The object's bytes, or a range of them.
    func get(key: String, range: ClosedRange<Int64>?, context: StrypeRequestContext) async throws -> ObjectRead
    /// The object's size, or nil when absent.
    func head(key: String) async throws -> Int64?
    /// Removes the object; removing an absent object is not an error.
    func delete(key: String) async throws
}

/// Object keys as the stores accept them (`StorageKey`'s rules), as a store error.
enum ObjectKey {
    static func validate(_ key: String) throws -> String {
        if let problem = StorageKey.problem(with: key) { throw ObjectStoreError.invalidKey(problem) }
        return key
    }
}
