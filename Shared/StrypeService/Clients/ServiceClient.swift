import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import StrypeCore

/// Calls another service of the suite: its instances in turn, the next one when an instance cannot be connected to,
/// a per-call deadline, and the current request id passed on in `X-Request-Id` so one id follows a request through
/// every service.
package struct ServiceClient: Sendable {
    /// One base URL per instance of the peer.
    package let baseURLs: [String]
    private let http: HTTPClient
    private let timeout: TimeAmount
    private let turn = NIOLockedValueBox(0)

    package init(baseURLs: [String], http: HTTPClient, timeout: TimeAmount = .seconds(30)) {
        precondition(!baseURLs.isEmpty, "a peer needs at least one base URL")
        self.baseURLs = baseURLs
        self.http = http
        self.timeout = timeout
    }

    package init(baseURL: String, http: HTTPClient, timeout: TimeAmount = .seconds(30)) {
        self.init(baseURLs: [baseURL], http: http, timeout: timeout)
    }

    /// Sends a request to `path` (starting with `/`), streaming `body` when given. Instances take calls in turn; one
    /// that refuses the connection (stopped, restarting) is skipped for the next, which is safe for any method and
    /// body because nothing of the request was sent.
    package func send(
        _ method: HTTPMethod,
        _ path: String,
        headers: HTTPHeaders = [:],
        body: HTTPClientRequest.Body? = nil,
        timeout: TimeAmount? = nil
    ) async throws -> HTTPClientResponse {
        let first = turn.withLockedValue { value in
            defer { value = value &+ 1 }
            return value
        }
        var attempt = 0
        while true {
            let base = baseURLs[(first &+ attempt) % baseURLs.count]
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers = headers
            if request.headers[RequestID.headerName].isEmpty {
                request.headers.add(name: RequestID.headerName, value: CurrentRequest.id ?? RequestID.generate())
            }
            request.body = body
            do {
                return try await http.execute(request, timeout: timeout ?? self.timeout)
            } catch  where attempt + 1 < baseURLs.count && Self.neverConnected(error) {
                attempt += 1
            }
        }
    }

    /// Whether the call failed before a connection existed, so the request went nowhere.
    private static func neverConnected(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if let error = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) {
            return true
        }
        return false
    }

    /// POSTs `body` as wire JSON; the answer's status and its body, of at most 64 KiB.
    package func postJSON(_ path: String, _ body: some Encodable, bearer: String? = nil) async throws -> (
        status: HTTPResponseStatus, body: ByteBuffer
    ) {
        var headers = HTTPHeaders()
        if let bearer { headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        headers.add(name: "Content-Type", value: "application/json")
        let response = try await send(
            .POST,
            path,
            headers: headers,
            body: .bytes(ByteBuffer(data: try WireJSON.encode(body)))
        )
        return (response.status, try await response.body.collect(upTo: 64 << 10))
    }

    /// GETs `path` and decodes a JSON body of at most `limit` bytes; a non-2xx answer throws `ServiceCallError`.
    package func getJSON<T: Decodable>(_ path: String, as type: T.Type = T.self, limit: Int = 4 << 20) async throws -> T
    {
        let response = try await send(.GET, path)
        let body = try await response.body.collect(upTo: limit)
        guard (200..<300).contains(response.status.code) else {
            throw ServiceCallError(status: Int(response.status.code), body: String(buffer: body))
        }
        return try WireJSON.decode(T.self, from: body)
    }
}

/// A peer answered with an error status.
package struct ServiceCallError: Error, CustomStringConvertible {
    package let status: Int
    package let body: String

    package init(status: Int, body: String) {
        self.status = status
        self.body = body
    }

    package var description: String { "peer answered \(status): \(body.prefix(200))" }
}

extension HTTPClient {
    /// The HTTP client a service owns: bounded connect time, pooled keep-alive connections.
    package static func makeServiceClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // Fail at once when a peer or provider cannot be reached; callers retry deliberately, with backoff, where a
        // retry is safe. AHC would otherwise keep connecting until the whole request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
