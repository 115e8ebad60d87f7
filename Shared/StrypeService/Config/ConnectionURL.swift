/// A parsed `scheme://user:password@host:port/path?query` URL for Postgres and Redis; the password never prints.
package struct ConnectionURL: Sendable, Equatable, CustomStringConvertible {
    package var scheme: String
    package var user: String?
    package var password: String?
    package var host: String
    package var port: Int?
    package var path: String
    package var query: [String: String]

    /// Parses `text`; `schemes` lists the accepted schemes, `variable` names the setting in errors.
    package init(_ text: String, schemes: Set<String>, variable: String) throws(ConfigError) {
        guard let schemeEnd = text.range(of: "://") else {
            throw ConfigError(variable, "must be a URL like \(schemes.sorted()[0])://host:port")
        }
        scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        guard schemes.contains(scheme) else {
            throw ConfigError(
                variable,
                "scheme must be one of \(schemes.sorted().joined(separator: ", ")), got \(scheme)"
            )
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        query = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                query[String(parts[0])] = parts.count > 1 ? String(parts[1]).removingPercentEscapes() : ""
            }
            rest = rest[..<q]
        }
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        } else {
            path = ""
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon]).removingPercentEscapes()
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEscapes()
            } else {
                user = String(credentials).removingPercentEscapes()
                password = nil
            }
            rest = rest[rest.index(after: at)...]
        } else {
            user = nil
            password = nil
        }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                throw ConfigError(variable, "port must be a number from 1 to 65535")
            }
            port = number
            rest = rest[..<colon]
        } else {
            port = nil
        }
        host = String(rest).trimmingCharacters(in: "[]")
        guard !host.isEmpty else { throw ConfigError(variable, "has no host") }
        user = user.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL with the password replaced by `***`, safe for logs.
    package var description: String {
        var text = "\(scheme)://"
        if let user {
            text += password == nil ? "\(user)@" : "\(user):***@"
        } else if password != nil {
            text += ":***@"
        }
        text += host.contains(":") ? "[\(host)]" : host
        if let port { text += ":\(port)" }
        if !path.isEmpty { text += "/\(path)" }
        return text
    }
}

extension String {
    /// Decodes `%XX` escapes; leaves malformed ones as they are.
    package func removingPercentEscapes() -> String {
        var bytes: [UInt8] = []
        var iterator = Array(utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
