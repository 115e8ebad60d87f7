import Hummingbird
import StrypeService
import StrypeTestSupport
import Testing

/// The rule the services' route tables are checked by (`ServiceConformance`), checked itself.
@Suite("route ownership")
struct RouteOwnershipTests {
    /// Serves one route under a name that is not its resource's.
    struct MisplacedController: RouteController {
        func addRoutes(to routes: ServiceRoutes) {
            routes.router.get("/trash", use: { _, _ in "" })
        }
    }

    /// Serves its own resource.
    struct TrashController: RouteController {
        func addRoutes(to routes: ServiceRoutes) {
            routes.router.post("/trash/{id}/restore", use: { _, _ in "" })
        }
    }

    @Test("a resource's controller is named for it; sub-resources and aliases have their own")
    func naming() {
        #expect(RouteOwnership.controller(for: "/info/{}", service: "filesystem") == "InfoController")
        #expect(RouteOwnership.controller(for: "/info/{}/move", service: "filesystem") == "InfoController")
        #expect(RouteOwnership.controller(for: "/info/{}/links/{}", service: "filesystem") == "LinksController")
        #expect(RouteOwnership.controller(for: "/s/{}/info", service: "filesystem") == "LinksController")
        #expect(RouteOwnership.controller(for: "/logout-all", service: "auth") == "SignInController")
        #expect(RouteOwnership.controller(for: "/members/{}/objects/{}", service: "array") == "ObjectsController")
        #expect(RouteOwnership.controller(for: "/{}", service: "cloud") == "SeedController")
        #expect(RouteOwnership.controller(for: "/{}/info", service: "chunk") == "ChunkController")
        #expect(RouteOwnership.normalized("/accounts/{id}/objects/**") == "/accounts/{}/objects/{}")
    }

    @Test("a route in the wrong controller, and a documented route nobody serves, are problems")
    func problems() throws {
        let routes = ServiceRoutes(router: Router(context: StrypeRequestContext.self), authentication: nil)
        var table = RouteTable()
        table.mount(MisplacedController(), on: routes)
        table.mount(TrashController(), on: routes)
        #expect(table.entries.count == 2)
        let problems = try RouteOwnership.problems(table, service: "filesystem")
        #expect(problems.contains("GET /trash → MisplacedController should be served by TrashController"))
        #expect(!problems.contains { $0.hasPrefix("POST /trash/{id}/restore") })
        #expect(problems.contains("GET /api/filesystem/data/{} is documented but not served"))
        #expect(try RouteOwnership.documented(service: "filesystem").count > 40)
    }
}
