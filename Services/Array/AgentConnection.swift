import Foundation
import NIOCore
import NIOPosix
import StrypeAgentWire
import StrypeCore
import Synchronization

/// Why a request to an agent did not get an answer.
enum AgentCallError: Error, Equatable {
    /// The member is not connected (anywhere), or its connection ended while the request was in flight.
    case offline(String)
    case timedOut(seconds: Int)
    /// The agent answered with an error status and message.
    case refused(status: String, message: String)
}

/// One agent's WebSocket as the server sees it: requests go out with fresh ids, replies are matched by id (never
/// by order), each request has a deadline, and a closed connection fails everything in flight at once.
final class AgentConnection: Sendable {
    let memberID: UUID
    let ownerID: UUID
    let name: String
    let connectionID = UUID()
    private let writer: AgentFrameWriter
    private let eventLoop: any EventLoop
    private let state = Mutex(State())

    private struct Pending {
        let promise: EventLoopPromise<AgentMessage>
        let deadline: Scheduled<Void>
    }

    private struct State {
        var nextID: UInt64 = 1
        var pending: [UInt64: Pending] = [:]
        var closedReason: String?
    }

    init(memberID: UUID, ownerID: UUID, name: String, writer: AgentFrameWriter) {
        self.memberID = memberID
        self.ownerID = ownerID
        self.name = name
        self.writer = writer
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.any()
    }

    /// How long a request may take: a base, plus its bytes at a slow 1 MiB/s.
    static func timeout(base: Duration, bytes: Int64) -> Duration {
        base + .seconds(bytes / (1 << 20))
    }

    /// Sends a request and waits for its reply; an error status comes back as `AgentCallError.refused`.
    func call(_ header: AgentFrameHeader, payload: ByteBuffer = ByteBuffer(), timeout: Duration) async throws
        -> AgentMessage
    {
        let promise = eventLoop.makePromise(of: AgentMessage.self)
        let seconds = Int(timeout.components.seconds)
        let registered: UInt64? = state.withLock { state in
            guard state.closedReason == nil else { return nil }
            let id = state.nextID
            state.nextID += 1
            let deadline = eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.nanoseconds))) { [self] in
                _ = complete(id, with: .failure(AgentCallError.timedOut(seconds: seconds)))
            }
            state.pending[id] = Pending(promise: promise, deadline: deadline)
            return id
        }
        guard let id = registered else {
            promise.fail(AgentCallError.offline(closedReason ?? "the member disconnected"))
            return try await promise.futureResult.get()
        }
        var request = header
        request.id = id
        do {
            try await writer.send(request, payload: payload)
        } catch {
            complete(id, with: .failure(AgentCallError.offline("the connection to the member broke")))
        }
        let reply = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            complete(id, with: .failure(CancellationError()))
        }
        guard reply.isSuccess else {
            throw AgentCallError.refused(
                status: reply.header.status ?? AgentStatus.failed,
                message: reply.header.error ?? "the member refused"
            )
        }
        return reply
    }

    /// Hands a reply from the read loop to the request that waits for it; replies nobody waits for are dropped.
    func deliver(_ message: AgentMessage) -> Bool {
        complete(message.header.id, with: .success(message))
    }

    /// Fails every request in flight and refuses new ones.
    func closed(reason: String) {
        let pending = state.withLock { state -> [Pending] in
            if state.closedReason == nil { state.closedReason = reason }
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for entry in pending {
            entry.deadline.cancel()
            entry.promise.fail(AgentCallError.offline(reason))
        }
    }

    var closedReason: String? { state.withLock { $0.closedReason } }
    var inFlight: Int { state.withLock { $0.pending.count } }

    /// Ends the connection with a close code the agent understands.
    func close(code: UInt16, reason: String) async {
        closed(reason: reason)
        await writer.close(code: code, reason: reason)
    }

    @discardableResult
    private func complete(_ id: UInt64, with result: Result<AgentMessage, any Error>) -> Bool {
        // Whoever takes the entry out of the table completes it: exactly once, whatever races.
        guard let entry = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return false }
        entry.deadline.cancel()
        entry.promise.completeWith(result)
        return true
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
