import ArgumentParser
import AsyncHTTPClient
import Foundation
import StrypeCore

/// `cloudstrype-agent`: donate a folder of this machine's disk to a Cloudstrype server as an array member.
@main
struct AgentCommand: AsyncParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "cloudstrype-agent",
        abstract: "Donate disk space on this machine to a Cloudstrype server.",
        version: version,
        subcommands: [Register.self, Run.self, Status.self]
    )
}

/// Options every subcommand shares.
struct ConfigOption: ParsableArguments {
    @Option(help: "Agent configuration file (default: $XDG_CONFIG_HOME/cloudstrype/agent.json).")
    var config: String?

    var path: String { config ?? AgentConfig.defaultPath() }
}

/// `register`: log in, obtain an agent token and save it.
struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Register this machine as a member of your array.")

    @Option(help: "The Cloudstrype server, e.g. http://localhost:8080.") var server: String
    @Option(help: "A name for this member, shown on the storage page.") var name: String
    @Option(help: "Your account's email (or CLOUDSTRYPE_EMAIL).") var email: String?
    @Option(help: "Your password (or CLOUDSTRYPE_PASSWORD; asked for when neither is given).") var password: String?
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let email = email ?? environment["CLOUDSTRYPE_EMAIL"] ?? Self.ask("Email: ", secret: false) else {
            throw ValidationError("an email is required")
        }
        guard let password = password ?? environment["CLOUDSTRYPE_PASSWORD"] ?? Self.ask("Password: ", secret: true)
        else { throw ValidationError("a password is required") }
        try await withHTTPClient { http in
            let api = ServerAPI(server: server, http: http)
            let access = try await api.login(email: email, password: password)
            let agent = try await api.createAgentToken(name: name, accessToken: access)
            guard let token = agent.token else { throw AgentFailure("the server returned no agent token") }
            let config = AgentConfig(
                server: server,
                memberID: agent.id.uuidString.lowercased(),
                name: agent.name,
                token: token
            )
            try config.save(to: options.path)
            print(
                "registered \(agent.name) as member \(agent.id.uuidString.lowercased()); configuration in \(options.path)"
            )
        }
    }

    static func ask(_ prompt: String, secret: Bool) -> String? {
        if secret {
            guard let typed = getpass(prompt) else { return nil }
            return String(cString: typed)
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        return readLine()
    }
}

/// `run`: serve objects from a folder until stopped.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Store objects for the server in a folder.")

    @Option(help: "The folder objects are kept in (created if missing).") var dir: String
    @Option(help: "The most this member stores, e.g. 50GB or 500MiB.") var capacity: String
    @Option(help: "Seconds between status lines.") var statusInterval: Double = 10
    @OptionGroup var options: ConfigOption

    func run() async throws {
        MemoryTuning.reuseLargeBuffers()
        guard let bytes = ByteCount.parse(capacity), bytes > 0 else {
            throw ValidationError("capacity must be a size like 50GB, 500MiB or 1TB")
        }
        let config = try AgentConfig.load(from: options.path)
        let store = try ObjectDirectory(root: dir, capacity: bytes)
        let console = Console()
        console.say(
            "serving \(dir): \(store.objects) objects, \(ByteCount.format(store.bytes)) of \(ByteCount.format(bytes))"
        )
        let session = AgentSession(config: config, store: store, console: console, version: AgentCommand.version)
        let interval = max(statusInterval, 0.5)
        let status = Task {
            var previous: (Int64, Int64) = (0, 0)
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                let (line, bytesIn, bytesOut) = session.statusLine(since: previous, seconds: interval)
                previous = (bytesIn, bytesOut)
                console.say(line)
            }
        }
        defer { status.cancel() }
        try await session.runForever()
    }
}

/// `status`: the member as the server sees it.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show this member as the server sees it.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try AgentConfig.load(from: options.path)
        try await withHTTPClient { http in
            let member = try await ServerAPI(server: config.server, http: http).member(agentToken: config.token)
            print("member    \(member.name) (\(member.id.uuidString.lowercased()))")
            print("server    \(config.server)")
            print("state     \(member.online ? "online" : "offline")")
            print("stored    \(member.objects) objects, \(ByteCount.format(member.bytes))")
            print("capacity  \(ByteCount.format(member.capacity)), \(ByteCount.format(member.free)) free")
            print("shared    \(member.shared ? "yes" : "no")")
            if let seen = member.lastSeen { print("last seen \(seen.formatted(.iso8601))") }
        }
    }
}

/// Runs `body` with an HTTP client that is shut down afterwards, whatever happens.
func withHTTPClient(_ body: (HTTPClient) async throws -> Void) async throws {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        try await body(http)
    } catch {
        try? await http.shutdown()
        throw error
    }
    try await http.shutdown()
}
