import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import StrypeCodec
import StrypeService

/// Where an S3 account's objects live: endpoint, region, bucket, key prefix, and path- or virtual-host style.
struct S3Location: Sendable, Equatable {
    var scheme: String
    var host: String
    var port: Int?
    var region: String
    var bucket: String
    var prefix: String
    var pathStyle: Bool

    /// The name requests go to: the endpoint's host, or `bucket.host` in virtual-host style.
    var hostName: String { pathStyle ? host : "\(bucket).\(host)" }

    /// The port requests go to, stated or the scheme's.
    var effectivePort: Int { port ?? (scheme == "https" ? 443 : 80) }

    /// The URL, `Host` header and decoded path of an object (or of the bucket when `key` is nil). The URL names
    /// `urlHost` when given (the checked address connected to); the `Host` header, which is signed, always names
    /// the endpoint.
    func address(for key: String?, urlHost: String? = nil) -> (url: String, host: String, path: String) {
        let portSuffix = port.map { ":\($0)" } ?? ""
        let named = hostName.contains(":") ? "[\(hostName)]" : hostName
        let objectPath = key.map { prefix + $0 } ?? ""
        let path = pathStyle ? "/\(bucket)/\(objectPath)" : "/\(objectPath)"
        let encoded = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { SigV4Signer.uriEncode(String($0)) }.joined(separator: "/")
        return ("\(scheme)://\(urlHost ?? named)\(portSuffix)\(encoded)", named + portSuffix, path)
    }
}

/// Objects in an S3-compatible bucket, through our SigV4 signer and async-http-client. PUT bodies stream with their
/// SHA-256 signed when the caller knows it (so the provider itself rejects a corrupted upload) or as
/// `UNSIGNED-PAYLOAD`; we hash what we send either way. Idempotent calls retry 5xx and network failures with
/// backoff; 4xx answers are final. Every attempt goes through `S3Connections`, which checks the endpoint first.
struct S3ObjectStore: ObjectStore {
    let location: S3Location
    let signer: SigV4Signer
    let connections: S3Connections
    var timeout: TimeAmount = .seconds(300)
    var retries = 3

    func put<Body: AsyncSequence & Sendable>(key: String, length: Int64, sha256: String?, body: Body) async throws
        -> StoredObject where Body.Element == ByteBuffer
    {
        let key = try ObjectKey.validate(key)
        let digest = HashingCounter()
        let response = try await send(
            "PUT",
            key: key,
            headers: [("Content-Length", String(length))],
            body: .stream(digest.counting(body, limit: length), length: .known(length)),
            payloadHash: sha256?.lowercased() ?? SigV4Signer.unsignedPayload,
            retrying: false
        )
        try await Self.drain(response)
        return try await digest.stored(length: length, sha256: sha256) { try? await delete(key: key) }
    }

    func get(key: String, range: ClosedRange<Int64>?, context: StrypeRequestContext) async throws -> ObjectRead {
        let key = try ObjectKey.validate(key)
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let response = try await send(
            "GET",
            key: key,
            headers: headers,
            body: nil,
            payloadHash: SigV4Signer.emptyPayloadHash
        )
        return ObjectRead(response, range: range)
    }

    func head(key: String) async throws -> Int64? {
        let key = try ObjectKey.validate(key)
        do {
            let response = try await send(
                "HEAD",
                key: key,
                headers: [],
                body: nil,
                payloadHash: SigV4Signer.emptyPayloadHash
            )
            try await Self.drain(response)
            return response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        } catch ObjectStoreError.notFound {
            return nil
        }
    }

    func delete(key: String) async throws {
        let key = try ObjectKey.validate(key)
        do {
            let response = try await send(
                "DELETE",
                key: key,
                headers: [],
                body: nil,
                payloadHash: SigV4Signer.emptyPayloadHash
            )
            try await Self.drain(response)
        } catch ObjectStoreError.notFound {
            return
        }
    }

    /// Signs and sends one request; a non-2xx answer becomes an `ObjectStoreError` carrying S3's error code.
    private func send(
        _ method: String,
        key: String?,
        headers extra: [(String, String)],
        body: HTTPClientRequest.Body?,
        payloadHash: String,
        retrying: Bool = true
    ) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            // Checked before every attempt, so each connection goes to an address the policy accepted.
            let route = try await connections.route(for: location)
            let address = location.address(for: key, urlHost: route.urlHost)
            var headers: [(name: String, value: String)] = [("Host", address.host)] + extra.map { ($0.0, $0.1) }
            let request = SigV4Signer.Request(
                method: method,
                path: address.path,
                query: [],
                headers: headers,
                payloadHash: payloadHash
            )
            headers += signer.signedHeaders(for: request, date: Date())
            var outgoing = HTTPClientRequest(url: address.url)
            outgoing.method = HTTPMethod(rawValue: method)
            // Host goes out as signed, whichever address the URL connects to.
            for (name, value) in headers { outgoing.headers.add(name: name, value: value) }
            outgoing.body = body
            do {
                let response = try await route.client.execute(outgoing, timeout: timeout)
                if (200..<300).contains(response.status.code) { return response }
                let error = try await Self.error(from: response)
                if case .provider(let status, _, _) = error, status >= 500, retrying, attempt < retries {
                    try await Task.sleep(for: ProviderRetry.delay(attempt))
                    continue
                }
                throw error
            } catch let error as ObjectStoreError {
                throw error
            } catch {
                guard retrying, attempt < retries, !(error is CancellationError) else {
                    if Self.isTLSFailure(error) { throw ObjectStoreError.tlsFailed(Self.describe(error)) }
                    throw ObjectStoreError.unreachable(Self.describe(error))
                }
                try await Task.sleep(for: ProviderRetry.delay(attempt))
            }
        }
    }

    private static func error(from response: HTTPClientResponse) async throws -> ObjectStoreError {
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
        if response.status == .notFound, !body.contains("<Code>NoSuchBucket</Code>") { return .notFound }
        if response.status.code == 416 { return .invalidRange }
        let code = tag("Code", in: body) ?? "HTTP\(response.status.code)"
        let message = tag("Message", in: body) ?? response.status.reasonPhrase
        return .provider(status: Int(response.status.code), code: code, message: message)
    }

    private static func tag(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"),
            let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }

    private static func drain(_ response: HTTPClientResponse) async throws {
        for try await _ in response.body {}
    }

    /// Whether a transport error came from TLS: NIOSSL's errors (told apart by type name, cloud does not link
    /// NIOSSL itself) or a handshake that timed out.
    static func isTLSFailure(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .tlsHandshakeTimeout { return true }
        let name = String(reflecting: Swift.type(of: error))
        return name.contains("SSL") || name.contains("TLS")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error)
    }
}

/// How long a provider call waits before its next attempt: 100 ms, then 400 ms, then 1.6 s.
enum ProviderRetry {
    static func delay(_ attempt: Int) -> Duration { .milliseconds(100 * (1 << (2 * (attempt - 1)))) }
}

/// Bytes counted and hashed as they stream past.
final class HashingCounter: Sendable {
    private let state = NIOLockedValueBox((count: Int64(0), hasher: SHA256()))

    func add(_ buffer: ByteBuffer) -> Int64 {
        state.withLockedValue { state in
            buffer.withUnsafeReadableBytes { state.hasher.update(bufferPointer: $0) }
            state.count += Int64(buffer.readableBytes)
            return state.count
        }
    }

    /// `body` as it streams, counted and hashed here; more bytes than `limit`, or fewer, is a length mismatch.
    func counting<Base: AsyncSequence & Sendable>(_ body: Base, limit: Int64) -> CountingHashingSequence<Base> {
        CountingHashingSequence(base: body, limit: limit, counter: self)
    }

    /// The bytes counted so far (without finishing the hash).
    var count: Int64 { state.withLockedValue { $0.count } }

    func result() -> (count: Int64, sha256: String) {
        state.withLockedValue { ($0.count, Checksum.hex($0.hasher.finalize())) }
    }

    /// What a finished upload stored, once it is all there and matches `sha256` (when given); otherwise `remove`
    /// takes the object away again and the mismatch is thrown.
    func stored(length: Int64, sha256: String?, remove: () async -> Void) async throws -> StoredObject {
        let (received, hash) = result()
        guard received == length else {
            await remove()
            throw ObjectStoreError.lengthMismatch(expected: length, received: received)
        }
        if let sha256, sha256.lowercased() != hash {
            await remove()
            throw ObjectStoreError.checksumMismatch
        }
        return StoredObject(size: received, sha256: hash)
    }
}

extension ObjectRead {
    /// A provider's answer to a GET: the object's size from `Content-Range` for a range (its `Content-Length`
    /// otherwise), and the body as it streams.
    init(_ response: HTTPClientResponse, range: ClosedRange<Int64>?) {
        var total = response.headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0
        if range != nil, let contentRange = response.headers.first(name: "Content-Range"),
            let size = contentRange.split(separator: "/").last.flatMap({ Int64($0) })
        {
            total = size
        }
        self.init(totalSize: total, range: range, body: ResponseBody(asyncSequence: response.body))
    }
}

/// A body passed through unchanged while counted and hashed; more bytes than `limit`, or a body that ends or breaks
/// off before `limit` (the client hung up mid-upload), is a length mismatch: the client's fault, not the provider's.
struct CountingHashingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable
where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let limit: Int64
    let counter: HashingCounter

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int64
        let counter: HashingCounter

        mutating func next() async throws -> ByteBuffer? {
            let next: ByteBuffer?
            do {
                next = try await base.next()
            } catch {
                throw ObjectStoreError.lengthMismatch(expected: limit, received: counter.count)
            }
            guard let buffer = next else {
                if counter.count < limit {
                    throw ObjectStoreError.lengthMismatch(expected: limit, received: counter.count)
                }
                return nil
            }
            let total = counter.add(buffer)
            if total > limit { throw ObjectStoreError.lengthMismatch(expected: limit, received: total) }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit, counter: counter)
    }
}
