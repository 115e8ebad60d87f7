import Foundation
import HTTPTypes
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
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: body)
    }

    package var error: ErrorBody.Detail? { try? decode(ErrorBody.self).error }
}
