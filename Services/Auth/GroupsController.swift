import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/groups`: admins manage groups and their members.
struct GroupsController: RouteController {
    let core: AuthCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/groups").add(middleware: RoleMiddleware(Role.admin))
            .get(use: list)
            .post(use: create)
            .get("/{id}", use: get)
            .delete("/{id}", use: delete)
            .put("/{id}/members/{user}", use: addMember)
            .delete("/{id}/members/{user}", use: removeMember)
    }

    /// `GET /groups`.
    @Sendable func list(_ request: Request, context: StrypeRequestContext) async throws -> Items<GroupResponse> {
        Items(try await core.groups.list())
    }

    /// `POST /groups {name}` → 201 group.
    @Sendable func create(_ request: Request, context: StrypeRequestContext) async throws -> EditedResponse<
        GroupResponse
    > {
        let body = try await request.decode(as: NameRequest.self, context: context)
        let group = try await core.groups.create(name: try InputRules.name(body.name))
        return EditedResponse(status: .created, response: group)
    }

    /// `GET /groups/{id}` with its members.
    @Sendable func get(_ request: Request, context: StrypeRequestContext) async throws -> GroupResponse {
        guard let group = try await core.groups.find(id: try context.uuidParameter("id", resource: "group")) else {
            throw APIError.notFound("no such group")
        }
        return group
    }

    /// `DELETE /groups/{id}` → 204.
    @Sendable func delete(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        guard try await core.groups.delete(id: try context.uuidParameter("id", resource: "group")) else {
            throw APIError.notFound("no such group")
        }
        return .noContent
    }

    /// `PUT /groups/{id}/members/{user}` → the group.
    @Sendable func addMember(_ request: Request, context: StrypeRequestContext) async throws -> GroupResponse {
        let group = try context.uuidParameter("id", resource: "group")
        let user = try context.uuidParameter("user", resource: "user")
        guard try await core.groups.addMember(groupID: group, userID: user),
            let updated = try await core.groups.find(id: group)
        else { throw APIError.notFound("no such group or user") }
        return updated
    }

    /// `DELETE /groups/{id}/members/{user}` → the group.
    @Sendable func removeMember(_ request: Request, context: StrypeRequestContext) async throws -> GroupResponse {
        let group = try context.uuidParameter("id", resource: "group")
        let user = try context.uuidParameter("user", resource: "user")
        guard try await core.groups.removeMember(groupID: group, userID: user),
            let updated = try await core.groups.find(id: group)
        else { throw APIError.notFound("no such group member") }
        return updated
    }
}
