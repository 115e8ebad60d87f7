/// A single HTTP byte range: `bytes=a-b`, `bytes=a-` or `bytes=-n`, resolved against the size; nil when it is
/// malformed, has several ranges, or cannot be satisfied.
package enum ByteRange {
    package static func parse(_ header: String, size: Int64) -> ClosedRange<Int64>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, size > 0 else { return nil }
        if parts[0].isEmpty {
            guard let suffix = Int64(parts[1]), suffix > 0 else { return nil }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int64(parts[0]), start >= 0, start < size else { return nil }
        let end = parts[1].isEmpty ? size - 1 : min(Int64(parts[1]) ?? -1, size - 1)
        guard end >= start else { return nil }
        return start...end
    }

    /// The range a request's `Range` header asks of `size` bytes (nil without one); 416 with `Content-Range:
    /// bytes */size` when it does not fit, naming `what` (`file`, `chunk`).
    package static func requested(_ header: String?, size: Int64, of what: String) throws -> ClosedRange<Int64>? {
        guard let header else { return nil }
        guard let range = parse(header, size: size) else {
            throw APIError(
                .rangeNotSatisfiable,
                code: "range_not_satisfiable",
                message: "the range does not fit the \(size)-byte \(what)",
                headers: [.contentRange: "bytes */\(size)"]
            )
        }
        return range
    }
}
