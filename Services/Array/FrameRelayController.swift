import Foundation
import Hummingbird
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService

/// The route other array instances relay frames through to the members connected here.
struct FrameRelayController: RouteController {
    let core: ArrayCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.router.group("/internal/members").add(middleware: InternalOnlyMiddleware())
            .add(middleware: routes.authentication)
            .add(middleware: RoleMiddleware(Role.service)).post("/{id}/frames", use: relay)
    }

    /// `POST /internal/members/{id}/frames` with one frame → 200 with the agent's reply frame (errors included);
    /// 503 when the member is not connected here, 504 when it did not answer.
    @Sendable func relay(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        let memberID = try context.uuidParameter("id", resource: "member")
        let body = try await request.body.collect(upTo: AgentTransport.maximumMessageBytes)
        let frame: AgentMessage
        do {
            frame = try AgentMessage(decoding: body)
        } catch {
            throw APIError.badRequest("malformed frame: \(error)", code: "malformed_frame")
        }
        let reply: AgentMessage
        do {
            reply = try await core.exchange(memberID, frame.header, payload: frame.payload, forwarded: true)
        } catch AgentCallError.refused(let status, let message) {
            reply = AgentMessage(header: frame.header.errorReply(code: status, message))
        } catch let error as AgentCallError {
            throw error.apiError
        }
        var bytes = ByteBuffer(
            bytes: AgentFrameCodec.encodeHeader(reply.header, payloadCount: reply.payload.readableBytes)
        )
        bytes.writeImmutableBuffer(reply.payload)
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .contentLength: String(bytes.readableBytes)],
            body: .init(byteBuffer: bytes)
        )
    }
}
