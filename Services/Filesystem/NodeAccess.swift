import Foundation
import StrypeCore
import StrypeService

/// A node the caller reached: their own, or another user's through a grant on it or on a directory above it.
struct ReachedNode: Sendable {
    var node: NodeRecord
    var access: Access
    /// The granted directory the caller came through (nil: their own node).
    var grantRoot: UUID?

    /// A grantee cannot rename, move or trash the very directory shared with them: it is the owner's.
    var isGrantRoot: Bool { grantRoot == node.id }
}

/// Where a new file or directory goes: the owner's tree and the path there, and how the caller came to it.
struct Destination: Sendable {
    var owner: UUID
    var path: FilePath
    var grantRoot: UUID?
    var access: Access

    /// `path` in the caller's own tree.
    static func own(_ caller: UUID, _ path: FilePath) -> Destination {
        Destination(owner: caller, path: path, grantRoot: nil, access: .owner)
    }
}

/// Who may do what. A user owns their tree; a grant gives a user, or the members of a group, `read` or `read-write`
/// access to a directory and everything below it. A node the caller cannot reach is a 404, as if it did not exist;
/// one they may only read answers a change with 403.
struct NodeAccess: Sendable {
    let nodes: any NodeRepository
    let grants: any GrantRepository
    let directory: any GranteeDirectory

    /// The live node `id` if the caller has at least `needs` on it.
    func reach(_ id: UUID, caller: UUID, needs: Access) async throws -> ReachedNode {
        guard let node = try await nodes.find(id: id) else { throw APIError.notFound("no such file") }
        if node.ownerID == caller { return ReachedNode(node: node, access: .owner, grantRoot: nil) }
        let groups = try await directory.groups(of: caller)
        guard let granted = try await grants.access(to: id, user: caller, groups: groups) else {
            throw APIError.notFound("no such file")
        }
        guard granted.access >= needs else {
            throw APIError.forbidden(
                needs == .owner ? "only the owner may do this" : "this folder is shared with you read-only"
            )
        }
        return ReachedNode(node: node, access: granted.access, grantRoot: granted.root)
    }

    /// The node as the caller sees it: its path from their root, or from the directory shared with them.
    func response(_ reached: ReachedNode) async throws -> NodeResponse {
        reached.node.response(
            path: try await nodes.path(of: reached.node.id, from: reached.grantRoot),
            access: reached.access
        )
    }

    /// Where a new entry goes: `path` in the caller's own tree, or `name` in the directory `parent` (which may be
    /// shared with them read-write).
    func destination(caller: UUID, path: FilePath?, parent: UUID?, name: String?) async throws -> Destination {
        guard let parent else {
            guard let path else { throw APIError.invalidField("path", "a path (or parent_id and name) is required") }
            return .own(caller, path)
        }
        guard path == nil else { throw APIError.badRequest("give a path or a parent_id, not both") }
        guard let name else { throw APIError.invalidField("name", "a name is required with parent_id") }
        let reached = try await reach(parent, caller: caller, needs: .readWrite)
        guard reached.node.kind == .dir else {
            throw APIError(.conflict, code: "not_a_directory", message: "parent_id is a file")
        }
        let path: FilePath
        do { path = try await nodes.path(of: parent).appending(name) } catch let error as FilePath.Invalid {
            throw APIError.invalidField("name", error.description)
        }
        return Destination(
            owner: reached.node.ownerID,
            path: path,
            grantRoot: reached.grantRoot,
            access: reached.access
        )
    }

    /// A node just written at `destination`, as the caller sees it.
    func response(_ node: NodeRecord, at destination: Destination) async throws -> NodeResponse {
        guard let root = destination.grantRoot else { return node.response(path: destination.path) }
        return node.response(path: try await nodes.path(of: node.id, from: root), access: destination.access)
    }
}
