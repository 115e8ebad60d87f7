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
    package let field: String?
    package var headers: HTTPFields

    package init(
        _ status: HTTPResponse.Status,
        code: String,
        message: String,
        field: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    package var description: String { "\(status.code) \(code): \(message)" }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        Self.jsonResponse(status: status, body: ErrorBody(code: code, message: message, field: field), headers: headers)
    }

    /// A JSON response with the given status and body.
    package static func jsonResponse(status: HTTPResponse.Status, body: some Encodable, headers: HTTPFields = [:])
        -> Response
    {
        let data = (try? WireJSON.encode(body)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    package static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, message: message)
    }

    /// A 400 naming the request field that broke a rule.
    package static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_field", message: "\(field): \(message)", field: field)
    }

    /// A 401 with `WWW-Authenticate`, for missing, malformed, expired or revoked credentials.
    package static func unauthorized(_ message: String, code: String = "unauthorized") -> APIError {
        APIError(
            .unauthorized,
            code: code,
            message: message,
            headers: [.wwwAuthenticate: "Bearer realm=\"cloudstrype\""]
        )
    }

    /// A 403 for an authenticated caller lacking a role or scope.
    package static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    /// A 409 for a duplicate.
    package static func conflict(_ message: String) -> APIError {
        APIError(.conflict, code: "conflict", message: message)
    }

    /// 422: the durability or replica count asks for more usable backends (healthy accounts, online members) than
    /// the caller has; a 4xx because the request cannot succeed until the caller adds storage or asks for less.
    /// Running out of room on enough backends stays a 507.
    package static func insufficientBackends(_ message: String) -> APIError {
        APIError(.unprocessableContent, code: "insufficient_backends", message: message)
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

extension HTTPResponse.Status {
    /// 507: not enough backends to store what was asked.
    package static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}
