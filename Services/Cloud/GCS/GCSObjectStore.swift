import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import StrypeCodec
import StrypeCore
import StrypeService

/// Objects in a Google Cloud Storage bucket (and prefix), through the JSON API
/// (https://cloud.google.com/storage/docs/json_api/v1/objects) with a service account's access token. Uploads are
/// one streamed `uploadType=media` request per object (a chunk is at most 64 MiB); downloads are `alt=media` with
/// `Range`. As for S3, what is sent is counted and hashed, and an upload that does not match its SHA-256 is removed.
/// A refused token (401) is fetched afresh once; idempotent calls retry 429 and 5xx with backoff.
struct GCSObjectStore: ObjectStore {
    /// The API's base URL: Google's, or an emulator's.
    let base: ConnectionURL
    let bucket: String
    let prefix: String
    let account: GoogleServiceAccount
    let tokens: GoogleAccessTokens
    let connections: S3Connections
    var timeout: TimeAmount = .seconds(300)
    var retries = 3

    static let googleEndpoint = "https://storage.googleapis.com"

    /// The object's path in the API, its name percent-encoded whole (`/` too, as the API wants).
    private func objectPath(_ key: String) -> String {
        "/storage/v1/b/\(bucket)/o/\(SigV4Signer.uriEncode(prefix + key))"
    }

    func put<Body: AsyncSequence & Sendable>(key: String, length: Int64, sha256: String?, body: Body) async throws
        -> StoredObject where Body.Element == ByteBuffer
    {
        let key = try ObjectKey.validate(key)
        let digest = HashingCounter()
        let response: HTTPClientResponse
        do {
            response = try await send(
                .POST,
                "/upload/storage/v1/b/\(bucket)/o?uploadType=media&name=\(SigV4Signer.uriEncode(prefix + key))",
                headers: [("Content-Type", "application/octet-stream"), ("Content-Length", String(length))],
                body: { .stream(digest.counting(body, limit: length), length: .known(length)) },
                retrying: false
            )
        } catch ObjectStoreError.notFound {
            // Nothing is there to be missing but the bucket.
            throw ObjectStoreError.provider(status: 404, code: "notFound", message: "the bucket does not exist")
        }
        _ = try await response.body.collect(upTo: 64 << 10)
        return try await digest.stored(length: length, sha256: sha256) { try? await delete(key: key) }
    }

    func get(key: String, range: ClosedRange<Int64>?, context: StrypeRequestContext) async throws -> ObjectRead {
        let key = try ObjectKey.validate(key)
        var headers: [(String, String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
        let response = try await send(.GET, objectPath(key) + "?alt=media", headers: headers)
        return ObjectRead(response, range: range)
    }

    /// The object resource's size, a decimal string in the API's JSON.
    private struct Resource: Decodable {
        var size: String?
    }

    func head(key: String) async throws -> Int64? {
        let key = try ObjectKey.validate(key)
        do {
            let response = try await send(.GET, objectPath(key), headers: [])
            let body = try await response.body.collect(upTo: 64 << 10)
            guard
                let size = (try? WireJSON.decode(Resource.self, from: Data(buffer: body)))?.size.flatMap({ Int64($0) })
            else {
                // There, but not described as the API describes objects: not "absent".
                throw ObjectStoreError.provider(status: 502, code: "unreadable_metadata", message: "no object size")
            }
            return size
        } catch ObjectStoreError.notFound {
            return nil
        }
    }

    func delete(key: String) async throws {
        let key = try ObjectKey.validate(key)
        do {
            let response = try await send(.DELETE, objectPath(key), headers: [])
            _ = try await response.body.collect(upTo: 64 << 10)
        } catch ObjectStoreError.notFound {
            return
        }
    }

    /// One call with the account's token; a non-2xx answer becomes an `ObjectStoreError` with the API's reason.
    /// Calls without a body (`retrying`) are sent again after a network failure, a 429 or a 5xx (the token
    /// endpoint's too), with backoff.
    private func send(
        _ method: HTTPMethod,
        _ pathAndQuery: String,
        headers: [(String, String)],
        body: () -> HTTPClientRequest.Body? = { nil },
        retrying: Bool = true
    ) async throws -> HTTPClientResponse {
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            do {
                let token = try await tokens.token(
                    for: account,
                    connections: connections,
                    timeout: min(timeout, .seconds(30))
                )
                let response = try await connections.execute(
                    method,
                    base,
                    pathAndQuery: (base.path.isEmpty ? "" : "/" + base.path) + pathAndQuery,
                    headers: [("Authorization", "Bearer \(token)")] + headers,
                    body: body(),
                    timeout: timeout
                )
                if (200..<300).contains(response.status.code) { return response }
                let error = try await Self.error(from: response)
                if response.status == .unauthorized {
                    // An access token can be revoked or expire early: fetch a fresh one, and send once more what
                    // can be sent again (an upload's body is spent).
                    tokens.forget(account)
                    if !refreshed, retrying {
                        refreshed = true
                        continue
                    }
                }
                throw error
            } catch let error as ObjectStoreError where retrying && attempt < retries && Self.isTransient(error) {
                try await Task.sleep(for: ProviderRetry.delay(attempt))
            }
        }
    }

    /// Whether trying again later may succeed: the network, throttling, or the provider's own failure.
    private static func isTransient(_ error: ObjectStoreError) -> Bool {
        switch error {
        case .unreachable: true
        case .provider(let status, _, _): status >= 500 || status == 429
        default: false
        }
    }

    /// The API's error document (https://cloud.google.com/storage/docs/json_api/v1/status-codes).
    private struct ErrorDocument: Decodable {
        struct Detail: Decodable {
            var code: Int?
            var message: String?
            var errors: [Reason]?
        }
        struct Reason: Decodable { var reason: String? }
        var error: Detail?
    }

    private static func error(from response: HTTPClientResponse) async throws -> ObjectStoreError {
        let body = (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
        let document = try? WireJSON.decode(ErrorDocument.self, from: Data(buffer: body))
        // A missing bucket is the account's failure, not an absent object.
        let message = document?.error?.message?.lowercased() ?? ""
        let noBucket = message.contains("bucket does not exist") || message.contains("bucket not found")
        if response.status == .notFound, !noBucket { return .notFound }
        if response.status.code == 416 { return .invalidRange }
        return .provider(
            status: Int(response.status.code),
            code: document?.error?.errors?.first?.reason ?? "HTTP\(response.status.code)",
            message: document?.error?.message ?? response.status.reasonPhrase
        )
    }
}
