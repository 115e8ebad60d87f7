import Foundation
import StrypeCore

/// What `register` writes and `run`/`status` read: `$XDG_CONFIG_HOME/cloudstrype/agent.json`, mode 0600, since it
/// holds the agent token.
struct AgentConfig: Codable, Equatable {
    var server: String
    /// Lower-case, as the API writes member ids.
    var memberID: String
    var name: String
    var token: String

    /// The default location, following the XDG base directory rules.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].map { "\($0)/.config" } ?? ".config")
        return "\(base)/cloudstrype/agent.json"
    }

    static func load(from path: String) throws -> AgentConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentFailure("no agent configuration at \(path); run `cloudstrype-agent register` first")
        }
        do {
            return try WireJSON.decode(AgentConfig.self, from: data)
        } catch {
            throw AgentFailure("the agent configuration at \(path) is damaged; run `cloudstrype-agent register` again")
        }
    }

    /// Writes the file readable by its owner only, created that way (never briefly world-readable).
    func save(to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let data = try WireJSON.readableEncoder.encode(self)
        let temporary = "\(path).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw AgentFailure("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == data.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw AgentFailure("cannot write \(path)")
        }
    }
}

/// A failure the agent explains to its user in one line and exits on.
struct AgentFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
