import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `multipart/form-data` body held in memory (chunk bodies are at most 64 MiB): its parts by field name.
struct MultipartForm {
    struct Part {
        var name: String
        var filename: String?
        var body: ArraySlice<UInt8>
    }

    var parts: [Part]

    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    func text(_ name: String) -> String? {
        part(name).map { String(decoding: $0.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Why a body is not a form.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(_ body: [UInt8], boundary: String) throws {
        let delimiter = Array("--\(boundary)".utf8)
        guard var position = Self.find(delimiter, in: body, from: 0) else {
            throw Malformed(description: "no boundary")
        }
        parts = []
        while true {
            position += delimiter.count
            if body[position...].starts(with: Array("--".utf8)) { return }
            guard body[position...].starts(with: [13, 10]) else {
                throw Malformed(description: "boundary not on a line")
            }
            position += 2
            guard let headerEnd = Self.find([13, 10, 13, 10], in: body, from: position) else {
                throw Malformed(description: "a part has no end of headers")
            }
            let headers = String(decoding: body[position..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + 4
            guard let next = Self.find([13, 10] + delimiter, in: body, from: contentStart) else {
                throw Malformed(description: "a part is not closed by the boundary (truncated body?)")
            }
            guard let disposition = Self.disposition(headers) else {
                throw Malformed(description: "a part has no Content-Disposition name")
            }
            parts.append(Part(name: disposition.name, filename: disposition.filename, body: body[contentStart..<next]))
            position = next + 2
        }
    }

    private static func disposition(_ headers: String) -> (name: String, filename: String?)? {
        for line in headers.split(separator: "\r\n") {
            let lower = line.lowercased()
            guard lower.hasPrefix("content-disposition:") else { continue }
            var name: String?
            var filename: String?
            for parameter in line.split(separator: ";").dropFirst() {
                let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                switch pair[0].lowercased() {
                case "name": name = value
                case "filename": filename = value
                default: break
                }
            }
            return name.map { ($0, filename) }
        }
        return nil
    }

    /// The first index of `needle` at or after `start` (memchr for the first byte, memcmp for the rest).
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0, start + needle.count <= haystack.count else { return nil }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                guard let base = hay.baseAddress, let pinBase = pin.baseAddress else { return nil }
                var offset = start
                let last = hay.count - pin.count
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(needle[0]), last - offset + 1) else { return nil }
                    let index = UnsafeRawPointer(hit) - base
                    if memcmp(base + index, pinBase, pin.count) == 0 { return index }
                    offset = index + 1
                }
                return nil
            }
        }
    }
}
