import Foundation
import Logging

/// A swift-log handler writing one line per event to stderr: a JSON object (`ts`, `level`, `service`, `msg`,
/// then metadata such as `request_id`) or, for `LOG_FORMAT=text`, a readable line.
package struct StructuredLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level
    private let label: String
    private let service: String
    private let format: LogFormat
    private let sink: LogSink

    package init(label: String, service: String, level: Logger.Level, format: LogFormat, sink: LogSink = .standardError)
    {
        self.label = label
        self.service = service
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        let line: String
        switch format {
        case .json:
            var text = "{\"ts\":\"\(time)\",\"level\":\"\(event.level.rawValue)\",\"service\":"
            text += Self.quoted(service) + ",\"logger\":" + Self.quoted(label) + ",\"msg\":"
            text += Self.quoted(event.message.description)
            for key in merged.keys.sorted() {
                text += "," + Self.quoted(key) + ":" + Self.quoted(merged[key]!.description)
            }
            text += ",\"source\":" + Self.quoted("\(event.file.split(separator: "/").last ?? ""):\(event.line)") + "}"
            line = text
        case .text:
            let fields = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
            line =
                "\(time) \(event.level.rawValue.uppercased()) [\(service)] \(event.message)\(fields.isEmpty ? "" : " " + fields)"
        }
        sink.write(line + "\n")
    }

    private static func timestamp() -> String {
        Date().formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        )
    }

    /// The string as a JSON string literal.
    package static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Where log lines go: stderr in a running service, a buffer in tests that inspect logs.
package final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private let writer: (String) -> Void

    package init(_ writer: @escaping (String) -> Void) {
        self.writer = writer
    }

    /// Writes whole lines, one at a time, so concurrent log events never interleave.
    package func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        writer(line)
    }

    package static let standardError = LogSink { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
