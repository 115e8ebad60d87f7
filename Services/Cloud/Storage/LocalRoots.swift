import Foundation
import StrypeService

/// The directories local-directory accounts may live in (`LOCAL_STORAGE_ROOTS`); none means local accounts are
/// refused. A path passes only when, symlinks resolved, it is a root or lies below one, compared by components:
/// `/srv/data2` is not inside `/srv/data`, and a link under a root that leads out is outside.
struct LocalRoots: Sendable, Equatable {
    let paths: [String]

    static let variable = "LOCAL_STORAGE_ROOTS"

    var isEmpty: Bool { paths.isEmpty }

    /// Reads the comma-separated roots; each must be absolute, without `.` or `..` segments, and not `/`.
    static func parse(_ text: String?) throws(ConfigError) -> LocalRoots {
        var paths: [String] = []
        for entry in (text ?? "").split(separator: ",") {
            let path = String(entry).trimmingWhitespace()
            guard !path.isEmpty else { continue }
            guard LocalPath.isPlainAbsolute(path) else {
                throw ConfigError(
                    variable,
                    "each root must be an absolute path without . or .. segments, got \"\(path)\""
                )
            }
            guard !LocalPath.components(path).isEmpty else { throw ConfigError(variable, "/ cannot be a root") }
            paths.append(path)
        }
        return LocalRoots(paths: paths)
    }

    /// `path` with its symlinks resolved when that lies inside a root, nil otherwise (also when it cannot be
    /// resolved). Blocks on the file system: call it on a thread pool or where a handler already does file I/O.
    func confine(_ path: String) -> String? {
        guard LocalPath.isPlainAbsolute(path), let resolved = LocalPath.resolve(path) else { return nil }
        for root in paths {
            if let real = LocalPath.resolve(root), LocalPath.isInside(resolved, real) { return resolved }
        }
        return nil
    }
}

/// Absolute paths taken apart, compared and resolved as the local store needs them.
enum LocalPath {
    /// Absolute, without NUL, `.` or `..` segments, at most 4096 bytes.
    static func isPlainAbsolute(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.contains("\0") && path.utf8.count <= 4096
            && !components(path).contains { $0 == "." || $0 == ".." }
    }

    static func components(_ path: String) -> [Substring] {
        path.split(separator: "/")
    }

    /// Whether `path` is `root` or lies below it, component by component (both already resolved).
    static func isInside(_ path: String, _ root: String) -> Bool {
        let (inner, outer) = (components(path), components(root))
        return inner.count >= outer.count && Array(inner.prefix(outer.count)) == outer
    }

    /// `path` with every symlink resolved: `realpath` of its deepest existing ancestor, then the components that
    /// do not exist yet (absent, they cannot be links). Nil when an ancestor cannot be read or is not a directory.
    static func resolve(_ path: String) -> String? {
        var existing = components(path).map(String.init)
        var missing: [String] = []
        while true {
            let (real, error) = realPath("/" + existing.joined(separator: "/"))
            if let real {
                return "/" + (components(real).map(String.init) + missing.reversed()).joined(separator: "/")
            }
            guard error == ENOENT, let last = existing.popLast() else { return nil }
            missing.append(last)
        }
    }

    /// `realpath(3)`, with `errno` read at once.
    private static func realPath(_ path: String) -> (String?, Int32) {
        guard let resolved = realpath(path, nil) else { return (nil, errno) }
        defer { free(resolved) }
        return (String(cString: resolved), 0)
    }
}
