import Foundation
import HTTPTypes
import Hummingbird
import StrypeCore
import StrypeService

extension FilesystemCore {
    /// A file's current version as a streamed response, honouring `Range` and `If-None-Match`.
    func serve(_ node: NodeRecord, _ request: Request) async throws -> Response {
        guard node.kind == .file, let version = node.version else { throw APIError.notFound("no such file") }
        let owner = node.ownerID
        let etag = "\"\(version.sha256)\""
        var headers: HTTPFields = [
            .contentType: version.contentType,
            .acceptRanges: "bytes",
            .eTag: etag,
            .lastModified: FileHeaders.httpDate(node.modified),
            .contentDisposition: FileHeaders.disposition(node.name),
        ]
        if let match = request.headers[.ifNoneMatch],
            match == "*"
                || match.split(separator: ",").contains(where: {
                    $0.trimmingCharacters(in: .whitespaces) == etag
                })
        {
            return Response(status: .notModified, headers: headers)
        }
        let range = try ByteRange.requested(request.headers[.range], size: version.size, of: "file")
        guard version.size > 0 else {
            headers[.contentLength] = "0"
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let parts = try await nodes.chunks(fileID: node.id, version: version.number)
        let wanted = range ?? 0...(version.size - 1)
        let body: ResponseBody
        if parts.count == 1, let content = parts[0].inline {
            // Opened before the answer starts: content that fails its check is a clean 503, not a cut-off download.
            let whole = try await transfers.sealer.open(parts[0], content: content, owner: owner)
            body = ResponseBody(
                byteBuffer: whole.getSlice(at: whole.readerIndex + Int(wanted.lowerBound), length: wanted.count)
                    ?? whole
            )
        } else {
            body = transfers.download(parts: parts, range: wanted, owner: owner)
        }
        headers[.contentLength] = String(wanted.upperBound - wanted.lowerBound + 1)
        guard let range else { return Response(status: .ok, headers: headers, body: body) }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(version.size)"
        return Response(status: .partialContent, headers: headers, body: body)
    }
}

/// The headers a file's answer carries.
enum FileHeaders {
    /// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
    static func disposition(_ name: String) -> String {
        let fallback = String(
            name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" ? Character($0) : "_" }
        )
        let encoded = name.addingPercentEncoding(withAllowedCharacters: Self.attrChars) ?? ""
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// RFC 5987 attr-chars that need no escaping (ASCII only).
    static let attrChars = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~"
    )

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
