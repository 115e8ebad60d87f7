import Foundation
import NIOCore

/// Reads a `multipart/form-data` body as it arrives (RFC 7578): part headers, then the part's bytes in pieces, so a
/// file part of any size streams through without being held. The last bytes that could begin a delimiter are kept
/// back until the next piece shows whether they do.
package final class MultipartReader<Source: AsyncIteratorProtocol> where Source.Element == ByteBuffer {
    /// What the body holds next.
    package enum Event {
        case part(MultipartPartHeaders)
        case bytes(ByteBuffer)
        case partEnd
    }

    private enum State {
        case preamble
        case afterDelimiter
        case headers
        case body
        case done
    }

    private var source: Source
    private var buffer: ByteBuffer
    private var state = State.preamble
    private var sourceEnded = false
    private let delimiter: [UInt8]
    /// The most header bytes one part may have.
    package static var maximumHeaderBytes: Int { 16 << 10 }

    package init(_ source: Source, boundary: String) {
        self.source = source
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        // The first boundary has no CRLF before it; starting with one lets one delimiter rule find them all.
        self.buffer = ByteBuffer(bytes: [13, 10])
    }

    /// The next event, or nil after the closing delimiter.
    package func next() async throws -> Event? {
        while true {
            switch state {
            case .done:
                return nil
            case .preamble:
                if let at = find(delimiter) {
                    buffer.moveReaderIndex(forwardBy: at + delimiter.count)
                    state = .afterDelimiter
                } else {
                    let keep = delimiter.count - 1
                    if buffer.readableBytes > keep { buffer.moveReaderIndex(forwardBy: buffer.readableBytes - keep) }
                    try await readMore(or: "no boundary in the body")
                }
            case .afterDelimiter:
                guard buffer.readableBytes >= 2 else {
                    try await readMore(or: "the body ends inside a boundary")
                    continue
                }
                let marker = buffer.readBytes(length: 2)!
                if marker == [45, 45] {
                    state = .done
                    return nil
                }
                guard marker == [13, 10] else {
                    throw MultipartMalformed(description: "a boundary is not followed by CRLF")
                }
                state = .headers
            case .headers:
                if let end = find([13, 10, 13, 10]) {
                    let text = buffer.readString(length: end) ?? ""
                    buffer.moveReaderIndex(forwardBy: 4)
                    state = .body
                    return .part(try MultipartPartHeaders(text))
                }
                guard buffer.readableBytes <= Self.maximumHeaderBytes else {
                    throw MultipartMalformed(description: "a part's headers exceed \(Self.maximumHeaderBytes) bytes")
                }
                try await readMore(or: "the body ends inside a part's headers")
            case .body:
                if let at = find(delimiter) {
                    if at > 0 { return .bytes(buffer.readSlice(length: at)!) }
                    buffer.moveReaderIndex(forwardBy: delimiter.count)
                    state = .afterDelimiter
                    return .partEnd
                }
                let safe = buffer.readableBytes - (delimiter.count - 1)
                if safe > 0 { return .bytes(buffer.readSlice(length: safe)!) }
                try await readMore(or: "the body ends inside a part")
            }
        }
    }

    /// The current part's bytes as a sequence that ends with the part.
    package func partBody() -> PartBody { PartBody(reader: self) }

    /// The rest of the current part as text, refusing more than `limit` bytes.
    package func text(limit: Int) async throws -> String {
        var collected = ByteBuffer()
        while let event = try await next() {
            switch event {
            case .bytes(var piece):
                guard collected.readableBytes + piece.readableBytes <= limit else {
                    throw MultipartMalformed(description: "a form field exceeds \(limit) bytes")
                }
                collected.writeBuffer(&piece)
            case .partEnd:
                return String(buffer: collected)
            case .part:
                throw MultipartMalformed(description: "a part starts inside another")
            }
        }
        throw MultipartMalformed(description: "the body ends inside a field")
    }

    /// One part's bytes, read from the reader as they arrive.
    package struct PartBody: AsyncSequence {
        package typealias Element = ByteBuffer
        let reader: MultipartReader

        package struct AsyncIterator: AsyncIteratorProtocol {
            let reader: MultipartReader

            package mutating func next() async throws -> ByteBuffer? {
                switch try await reader.next() {
                case .bytes(let piece): return piece
                case .partEnd: return nil
                case .part, nil: throw MultipartMalformed(description: "a part ends without its delimiter")
                }
            }
        }

        package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }

    private func readMore(or problem: String) async throws {
        guard !sourceEnded, var piece = try await source.next() else {
            sourceEnded = true
            throw MultipartMalformed(description: problem)
        }
        if buffer.readerIndex > 1 << 20 { buffer.discardReadBytes() }
        buffer.writeBuffer(&piece)
    }

    /// Where `needle` first starts in the readable bytes.
    private func find(_ needle: [UInt8]) -> Int? {
        buffer.withUnsafeReadableBytes { haystack -> Int? in
            guard haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
            return needle.withUnsafeBytes { pattern -> Int? in
                // memchr to each candidate first byte, then compare the rest (memmem is not imported).
                let last = haystack.count - needle.count
                var start = 0
                while start <= last {
                    guard let hit = memchr(base + start, Int32(needle[0]), last - start + 1) else { return nil }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, pattern.baseAddress!, needle.count) == 0 { return at }
                    start = at + 1
                }
                return nil
            }
        }
    }
}

/// Why a body is not a well-formed `multipart/form-data` body.
package struct MultipartMalformed: Error, CustomStringConvertible {
    package let description: String
}

/// A part's headers, as far as forms use them: the field name, the file name, the content type.
package struct MultipartPartHeaders: Sendable {
    package var name: String?
    package var filename: String?
    package var contentType: String?

    init(_ text: String) throws {
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else {
                throw MultipartMalformed(description: "a part header has no colon")
            }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if field == "content-type" { contentType = value }
            guard field == "content-disposition" else { continue }
            for parameter in value.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
                var raw = pair[1].trimmingCharacters(in: .whitespaces)
                if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 {
                    raw = String(raw.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                }
                if key == "name" { name = raw }
                if key == "filename" { filename = raw }
            }
        }
    }
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
package enum MultipartBoundary {
    package static func parse(_ contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard pieces.first?.lowercased() == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() where piece.lowercased().hasPrefix("boundary=") {
            var value = String(piece.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }
}
