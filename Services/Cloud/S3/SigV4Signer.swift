import Crypto
import Foundation
import StrypeCodec

/// AWS Signature Version 4 (header and presigned-query forms), as S3 and every S3-compatible service check it.
/// Paths are given decoded and encoded here once; S3 signs paths as they are, other services normalise them.
struct SigV4Signer: Sendable {
    /// The credentials a request is signed with; the secret never leaves this struct.
    struct Credentials: Sendable {
        var accessKeyID: String
        var secretAccessKey: String
        var sessionToken: String? = nil
    }

    /// What is signed: method, decoded path, query items, headers (as sent), and the payload's SHA-256 in hex
    /// (or `UNSIGNED-PAYLOAD`).
    struct Request: Sendable {
        var method: String
        var path: String
        var query: [(name: String, value: String)]
        var headers: [(name: String, value: String)]
        var payloadHash: String
    }

    static let algorithm = "AWS4-HMAC-SHA256"
    static let unsignedPayload = "UNSIGNED-PAYLOAD"
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    let credentials: Credentials
    let region: String
    let service: String
    /// Remove `.`, `..` and empty segments from paths (every service but S3).
    var normalizesPath: Bool

    init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizesPath = service != "s3"
    }

    /// The headers to add to `request` to sign it at `date`: `X-Amz-Date`, `X-Amz-Content-Sha256` (S3), the session
    /// token if any, and `Authorization`. The request's own headers must already include `Host`.
    func signedHeaders(for request: Request, date: Date) -> [(name: String, value: String)] {
        let amzDate = Self.amzDate(date)
        var added: [(name: String, value: String)] = [("X-Amz-Date", amzDate)]
        if service == "s3" { added.append(("X-Amz-Content-Sha256", request.payloadHash)) }
        if let token = credentials.sessionToken { added.append(("X-Amz-Security-Token", token)) }
        var full = request
        full.headers += added
        added.append(("Authorization", authorization(for: full, amzDate: amzDate)))
        return added
    }

    /// The `Authorization` header value for a request whose headers already include `X-Amz-Date`.
    func authorization(for request: Request, amzDate: String) -> String {
        let canonical = canonicalRequest(request)
        let signature = self.signature(
            stringToSign: stringToSign(canonicalRequest: canonical.text, amzDate: amzDate),
            amzDate: amzDate
        )
        return "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(amzDate)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
    }

    /// The query items that presign a request for `expires` seconds (the payload is `UNSIGNED-PAYLOAD`).
    func presignedQuery(for request: Request, date: Date, expires: Int) -> [(name: String, value: String)] {
        let amzDate = Self.amzDate(date)
        var query = request.query
        var items: [(name: String, value: String)] = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(amzDate))"),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expires)),
        ]
        if let token = credentials.sessionToken { items.append(("X-Amz-Security-Token", token)) }
        var unsigned = request
        unsigned.payloadHash = Self.unsignedPayload
        items.append(("X-Amz-SignedHeaders", canonicalHeaders(request.headers).signed))
        query += items
        unsigned.query = query
        let canonical = canonicalRequest(unsigned)
        let signature = self.signature(
            stringToSign: stringToSign(canonicalRequest: canonical.text, amzDate: amzDate),
            amzDate: amzDate
        )
        return items + [("X-Amz-Signature", signature)]
    }

    /// The canonical request and its signed-header list.
    func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        let headers = canonicalHeaders(request.headers)
        let text = [
            request.method.uppercased(),
            canonicalPath(request.path),
            canonicalQuery(request.query),
            headers.canonical,
            headers.signed,
            request.payloadHash,
        ].joined(separator: "\n")
        return (text, headers.signed)
    }

    func stringToSign(canonicalRequest: String, amzDate: String) -> String {
        [Self.algorithm, amzDate, scope(amzDate), Checksum.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))]
            .joined(separator: "\n")
    }

    func signature(stringToSign: String, amzDate: String) -> String {
        let day = String(amzDate.prefix(8))
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return Checksum.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
    }

    private func scope(_ amzDate: String) -> String {
        "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    }

    func canonicalPath(_ path: String) -> String {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if normalizesPath {
            var kept: [String] = []
            for segment in segments.dropFirst() {
                switch segment {
                case "", ".": continue
                case "..": _ = kept.popLast()
                default: kept.append(segment)
                }
            }
            let trailing = path.count > 1 && (path.hasSuffix("/") || path.hasSuffix("/.") || path.hasSuffix("/.."))
            segments = [""] + kept + (trailing && !kept.isEmpty ? [""] : [])
        }
        let encoded = segments.map { Self.uriEncode($0) }.joined(separator: "/")
        return encoded.isEmpty ? "/" : (encoded.hasPrefix("/") ? encoded : "/" + encoded)
    }

    func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map { (Self.uriEncode($0.name), Self.uriEncode($0.value)) }
        let sorted = encoded.sorted { left, right in
            left.name == right.name ? left.value < right.value : left.name < right.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// Lower-case names, sorted; values trimmed with inner runs of spaces folded; repeated names joined by commas.
    func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            merged[name.lowercased(), default: []].append(Self.foldSpaces(value))
        }
        let names = merged.keys.sorted()
        let canonical = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day) + "T" + two(c.hour) + two(c.minute)
            + two(c.second) + "Z"
    }

    /// RFC 3986 encoding as SigV4 wants it: everything but `A-Z a-z 0-9 - . _ ~`, upper-case hex.
    static func uriEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static func foldSpaces(_ value: String) -> String {
        var out = ""
        var lastWasSpace = false
        for character in value.trimmingCharacters(in: .whitespacesAndNewlines) {
            let isSpace = character == " " || character == "\t" || character == "\n" || character == "\r"
            if isSpace {
                if !lastWasSpace { out.append(" ") }
            } else {
                out.append(character)
            }
            lastWasSpace = isSpace
        }
        return out
    }
}
