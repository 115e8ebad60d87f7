import Foundation
import Hummingbird
import StrypeCore

/// `GET /whoami` on every service that verifies tokens: the caller as this service sees them, verified locally.
package struct WhoAmIController: RouteController {
    package let authentication: AuthenticationMiddleware

    package init(authentication: AuthenticationMiddleware) {
        self.authentication = authentication
    }

    package func addRoutes(to routes: ServiceRoutes) {
        // Its own check (user and service tokens alike), whatever the service's routes admit.
        routes.router.group("/whoami").add(middleware: authentication).get(use: whoAmI)
    }

    /// The verified claims of the caller's token.
    @Sendable func whoAmI(_ request: Request, context: StrypeRequestContext) async throws -> ValidatedToken {
        ValidatedToken(principal: try context.requirePrincipal())
    }
}

extension ValidatedToken {
    /// The claims of a verified access token, as `/whoami` and auth's `/validate` show them.
    package init(principal: Principal) {
        self.init(
            sub: principal.subject,
            email: principal.email,
            roles: principal.roles.sorted(),
            scope: principal.scopes.sorted().joined(separator: " "),
            exp: Int(principal.expiresAt.timeIntervalSince1970)
        )
    }
}

extension ValidatedToken: ResponseEncodable {}
extension Items: ResponseEncodable {}
extension Page: ResponseEncodable {}
