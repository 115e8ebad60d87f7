import Foundation

/// A path in a user's file tree: absolute, `/`-separated, UTF-8 NFC, no empty, `.` or `..` segments, no NUL or other
/// control characters, each segment at most 255 bytes. The root is `/` (no segments).
public struct FilePath: Sendable, Hashable, CustomStringConvertible {
    public let segments: [String]

    /// The longest path accepted, in bytes.
    public static let maximumLength = 4096
    /// The longest name accepted, in bytes.
    public static let maximumNameLength = 255

    /// Why a path was refused, worded for the client.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static let root = FilePath(checked: [])

    private init(checked segments: [String]) {
        self.segments = segments
    }

    /// Parses `text`; a single trailing `/` is allowed (`/a/` is `/a`).
    public init(_ text: String) throws(Invalid) {
        guard text.utf8.count <= Self.maximumLength else {
            throw Invalid(description: "a path is at most \(Self.maximumLength) bytes")
        }
        guard text.hasPrefix("/") else { throw Invalid(description: "a path starts with /") }
        var body = text.dropFirst()
        guard !body.isEmpty else {
            self.init(checked: [])
            return
        }
        if body.hasSuffix("/") { body = body.dropLast() }
        var segments: [String] = []
        for part in body.split(separator: "/", omittingEmptySubsequences: false) {
            segments.append(try Self.name(String(part)))
        }
        self.init(checked: segments)
    }

    /// Checks one name (a path segment) and returns it in NFC.
    public static func name(_ raw: String) throws(Invalid) -> String {
        let name = raw.precomposedStringWithCanonicalMapping
        guard !name.isEmpty else { throw Invalid(description: "a path has no empty segments (//)") }
        guard name != ".", name != ".." else { throw Invalid(description: "a path has no . or .. segments") }
        guard !name.contains("/") else { throw Invalid(description: "a name has no /") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Invalid(description: "a path has no NUL or other control characters")
        }
        guard name.utf8.count <= maximumNameLength else {
            throw Invalid(description: "a name is at most \(maximumNameLength) bytes")
        }
        return name
    }

    public var isRoot: Bool { segments.isEmpty }
    public var name: String { segments.last ?? "" }
    public var parent: FilePath { FilePath(checked: Array(segments.dropLast())) }

    public func appending(_ name: String) throws(Invalid) -> FilePath {
        let path = FilePath(checked: segments + [try Self.name(name)])
        guard path.description.utf8.count <= Self.maximumLength else {
            throw Invalid(description: "a path is at most \(Self.maximumLength) bytes")
        }
        return path
    }

    public var description: String { "/" + segments.joined(separator: "/") }
}
