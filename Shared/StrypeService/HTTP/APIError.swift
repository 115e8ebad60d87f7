import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StrypeCore

/// An error that is answered to the client as `{"error":{"code","message"}}` with `status`.
package struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    package var headers: HTTPFields

    package init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    package var description: String { "\(status.code) \(code): \(message)" }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.jsonResponse(status: status, body: ErrorBody(code: code, message: message), headers: headers)
    }

    /// A JSON response with the given status and body.
    package static func jsonResponse(status: HTTPResponse.Status, body: some Encodable, headers: HTTPFields = [:])
        -> Response
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    package static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, message: message)
    }

    package static func notFound(_ message: String = "no such resource") -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    /// The snake_case code used for a bare status, e.g. `payload_too_large` for 413.
    package static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 409: "conflict"
        case 411: "length_required"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 416: "range_not_satisfiable"
        case 422: "unprocessable_entity"
        case 429: "too_many_requests"
        case 501: "not_implemented"
        case 503: "service_unavailable"
        case 504: "gateway_timeout"
        default: status.code < 500 ? "client_error" : "internal_error"
        }
    }
}
