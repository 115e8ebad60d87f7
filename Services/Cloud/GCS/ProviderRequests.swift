import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StrypeService

extension S3Connections {
    /// Sends one request to `url` through a route the endpoint policy accepted (as S3 calls go), `Host` naming the
    /// URL's host; a transport failure is `unreachable` or `tlsFailed`. Providers other than S3 call out this way.
    func execute(
        _ method: HTTPMethod,
        _ url: ConnectionURL,
        pathAndQuery: String,
        headers: [(String, String)],
        body: HTTPClientRequest.Body? = nil,
        timeout: TimeAmount
    ) async throws -> HTTPClientResponse {
        let location = S3Location(
            scheme: url.scheme,
            host: url.host,
            port: url.port,
            region: "",
            bucket: "",
            prefix: "",
            pathStyle: true
        )
        let route = try await route(for: location)
        let portSuffix = url.port.map { ":\($0)" } ?? ""
        var request = HTTPClientRequest(url: "\(url.scheme)://\(route.urlHost)\(portSuffix)\(pathAndQuery)")
        request.method = method
        request.headers.add(name: "Host", value: location.address(for: nil).host)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = body
        do {
            return try await route.client.execute(request, timeout: timeout)
        } catch {
            if S3ObjectStore.isTLSFailure(error) { throw ObjectStoreError.tlsFailed(S3ObjectStore.describe(error)) }
            throw ObjectStoreError.unreachable(S3ObjectStore.describe(error))
        }
    }
}
