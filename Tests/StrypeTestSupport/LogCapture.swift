import Logging
import NIOConcurrencyHelpers
import StrypeService

/// Collects the JSON log lines a logger writes, so tests can read what a service would have logged.
package final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    package init() {}

    package var logger: Logger {
        let sink = LogSink { [lines] line in lines.withLockedValue { $0.append(line) } }
        return Logger(label: "capture") { label in
            StructuredLogHandler(label: label, service: "auth", level: .debug, format: .json, sink: sink)
        }
    }

    package var text: String { lines.withLockedValue { $0.joined() } }
}
