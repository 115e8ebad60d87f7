import Foundation
import StrypeService

/// Which controller must serve a route: the one named for the route's resource. A resource is the path's first
/// segment, or below `/info/{id}`, `/members/{id}` and `/accounts/{id}` one of the sub-resources listed here; a few
/// resources have a URL that is not their name (`aliases`). A new prefix is a new controller, or an entry here.
package enum RouteOwnership {
    /// Sub-resources with a controller of their own; other routes below an id stay with the collection's.
    static let subresources: Set<String> = [
        "info/{}/versions", "info/{}/grants", "info/{}/links", "info/{}/download", "members/{}/objects",
        "members/{}/audit", "accounts/{}/objects",
    ]

    /// Resources whose URL differs from the controller's name.
    static let aliases: [String: String] = [
        "s": "Links", "d": "Downloads", "info/{}/download": "Downloads", "shared": "Grants",
        "register": "SignIn", "login": "SignIn", "refresh": "SignIn", "logout": "SignIn", "logout-all": "SignIn",
        ".well-known": "Keys", "validate": "Tokens", "service-token": "Tokens",
        "health": "Operational", "ready": "Operational", "metrics": "Operational", "whoami": "WhoAmI",
        "ws": "AgentSocket", "internal/members": "FrameRelay", "internal/usage": "UsageLedger",
        // The original API: chunks by id at the root of cloud and array (DESIGN §2), and chunk's own root.
        "{}": "Seed",
    ]

    /// A path with every parameter (`{id}`, `{file_id}`, `**`) as `{}`, without a trailing slash.
    package static func normalized(_ path: String) -> String {
        let segments = path.split(separator: "/").map { segment -> String in
            segment.hasPrefix("{") || segment == "**" || segment == "*" ? "{}" : String(segment)
        }
        return "/" + segments.joined(separator: "/")
    }

    /// The controller type that must serve `path` (normalized) on `service`.
    package static func controller(for path: String, service: String) -> String {
        let segments = path.split(separator: "/").map(String.init)
        if service == "chunk", segments.first.map({ $0 == "{}" }) ?? true { return "ChunkController" }
        guard let first = segments.first else { return "ChunkController" }
        var key = first
        if first == "internal", segments.count > 1 { key = "internal/\(segments[1])" }
        if segments.count > 2, segments[1] == "{}", subresources.contains("\(first)/{}/\(segments[2])") {
            key = "\(first)/{}/\(segments[2])"
        }
        if let alias = aliases[key] { return alias + "Controller" }
        let name = key.split(separator: "/").last.map(String.init) ?? key
        return name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() + "Controller"
    }

    /// The routes `Gateway/openapi.yaml` documents under `/api/<service>`, as (method, normalized path).
    package static func documented(service: String) throws -> [(method: String, path: String)] {
        let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Gateway/openapi.yaml")
        let prefix = "/api/\(service)"
        var routes: [(String, String)] = []
        var current: String?
        for line in try String(contentsOf: document, encoding: .utf8).split(
            separator: "\n",
            omittingEmptySubsequences: false
        ) {
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                let path = String(line.dropFirst(2).dropLast())
                current = path.hasPrefix(prefix + "/") ? normalized(String(path.dropFirst(prefix.count))) : nil
            } else if line.hasPrefix("components:") {
                current = nil
            } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast().uppercased()
                if ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(method) {
                    routes.append((method, path))
                }
            }
        }
        return routes
    }

    /// What is wrong with a service's route table: a documented route nobody serves or the wrong controller serves,
    /// and any route served by a controller not named for its resource.
    package static func problems(_ table: RouteTable, service: String) throws -> [String] {
        var problems: [String] = []
        let served = Dictionary(
            table.entries.map { ("\($0.method) \(normalized($0.path))", $0.controller) },
            uniquingKeysWith: { first, _ in first }
        )
        let documented = try documented(service: service)
        if documented.isEmpty { problems.append("no routes of /api/\(service) in Gateway/openapi.yaml") }
        for (method, path) in documented where served["\(method) \(path)"] == nil {
            problems.append("\(method) /api/\(service)\(path) is documented but not served")
        }
        for entry in table.entries {
            let expected = controller(for: normalized(entry.path), service: service)
            if entry.controller != expected { problems.append("\(entry) should be served by \(expected)") }
        }
        return problems
    }
}
