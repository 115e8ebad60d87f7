import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/ws` answered as plain HTTP: the agents' WebSocket is upgraded by the server (`AgentEndpoint`) before routing.
struct AgentSocketController: RouteController {
    func addRoutes(to routes: ServiceRoutes) {
        routes.router.get("/ws", use: upgradeRequired)
    }

    /// `GET /ws` without an upgrade → 426, saying how to connect.
    @Sendable func upgradeRequired(_ request: Request, context: StrypeRequestContext) async throws -> Response {
        throw APIError(
            .upgradeRequired,
            code: "upgrade_required",
            message: "connect with a WebSocket and an agent token"
        )
    }
}
