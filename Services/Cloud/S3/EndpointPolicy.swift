import StrypeService

/// Which S3 endpoints cloud connects to: those whose every address is public, and the `host:port` pairs the
/// operator lists in `ALLOWED_PRIVATE_ENDPOINTS` (its own MinIO, a test's moto) whatever they resolve to.
struct EndpointPolicy: Sendable, Equatable {
    /// `host:port` keys as `key(host:port:)` makes them.
    var allowedPrivate: Set<String>

    static let variable = "ALLOWED_PRIVATE_ENDPOINTS"

    /// The lookup key of an endpoint: the host in lower case (IPv6 in brackets) and the port.
    static func key(host: String, port: Int) -> String {
        let host = host.lowercased()
        return (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// Whether the operator allowed this endpoint although it may be private.
    func allowsPrivate(host: String, port: Int) -> Bool {
        allowedPrivate.contains(Self.key(host: host, port: port))
    }

    /// Whether a host is spelled as cloud will pass it on: a name of letters, digits, `-`, `_` and `.`, or an IPv6
    /// address (no zone). Anything else (percent escapes, other characters) could be read differently by the URL
    /// parser than by the resolver, so it is refused before either sees it.
    static func isPlainHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        if host.contains(":") { return IPAddress(host)?.isIPv6 == true }
        return host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                true
            default: false
            }
        }
    }

    /// `text` as a plain http(s) URL: printable ASCII without spaces, no credentials, query or fragment (they would
    /// end up in every request), a plain host; nil otherwise.
    static func plainURL(_ text: String) -> ConnectionURL? {
        guard text.utf8.count <= 2048, text.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }),
            !text.contains("#"), !text.contains("?"),
            let url = try? ConnectionURL(text, schemes: ["http", "https"], variable: "endpoint"),
            url.user == nil, url.password == nil, url.query.isEmpty, isPlainHost(url.host)
        else { return nil }
        return url
    }

    /// Reads `ALLOWED_PRIVATE_ENDPOINTS`: comma-separated `host:port` (IPv6 as `[::1]:9000`); unset allows none.
    static func parse(_ text: String?) throws(ConfigError) -> EndpointPolicy {
        var keys: Set<String> = []
        for entry in (text ?? "").split(separator: ",") {
            let entry = String(entry).trimmingWhitespace()
            guard !entry.isEmpty else { continue }
            guard let colon = entry.lastIndex(of: ":"), let port = Int(entry[entry.index(after: colon)...]),
                (1...65535).contains(port)
            else { throw ConfigError(variable, "each entry must be host:port, got \"\(entry)\"") }
            var host = String(entry[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard isPlainHost(host) else {
                throw ConfigError(variable, "each entry's host must be a plain name or IP address, got \"\(entry)\"")
            }
            keys.insert(key(host: host, port: port))
        }
        return EndpointPolicy(allowedPrivate: keys)
    }
}
