import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import StrypeCore

/// A response as tests read it: status, body and headers, decoded on demand.
package struct Reply: Sendable {
    package let status: HTTPResponse.Status
    package let body: Data
    package let headers: HTTPFields

    package init(status: HTTPResponse.Status, body: Data, headers: HTTPFields) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    package var text: String { String(decoding: body, as: UTF8.self) }

    package func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try WireJSON.decode(T.self, from: body)
    }

    package var error: ErrorBody.Detail? { try? decode(ErrorBody.self).error }
}

extension TestClientProtocol {
    /// Sends `json` (encoded, as `application/json`) or `bytes` (with their `Content-Length` unless `headers` has
    /// one) and returns status, body and headers.
    package func reply(
        _ method: HTTPRequest.Method,
        _ path: String,
        headers: HTTPFields = [:],
        json: (any Encodable & Sendable)? = nil,
        bytes: [UInt8]? = nil
    ) async throws -> Reply {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(data: try WireJSON.encode(json))
            headers[.contentType] = "application/json"
        }
        if let bytes {
            body = ByteBuffer(bytes: bytes)
            if headers[.contentLength] == nil { headers[.contentLength] = String(bytes.count) }
        }
        return try await execute(uri: path, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, body: Data(response.body.readableBytesView), headers: response.headers)
        }
    }
}
