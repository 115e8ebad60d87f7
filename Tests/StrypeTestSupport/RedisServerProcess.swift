import Foundation
import StrypeService

/// A redis-server of a test's own on a free loopback port, which the test may stop and start again.
package final class RedisServerProcess: @unchecked Sendable {
    package let port: Int
    private var process: Process?
    private let directory: URL

    package init() async throws {
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "strype-redis-\(port)-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try await start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    package var url: ConnectionURL {
        try! ConnectionURL("redis://127.0.0.1:\(port)/0", schemes: ["redis"], variable: "REDIS_URL")
    }

    /// Starts the server and waits until it accepts connections.
    package func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.which("redis-server"))
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
        ]
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let connection = try? RedisConnection(url: url, timeout: .seconds(1)),
                (try? connection.command(["PING"])) == .status("PONG")
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisError.connection("test redis-server did not start on \(port)")
    }

    /// Kills the server at once (SIGKILL: as a crash would) and waits until it is gone.
    package func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    private static func which(_ name: String) throws -> String {
        for directory in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw RedisError.connection("\(name) not installed")
    }

    private static func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        guard bound else { throw RedisError.connection("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
