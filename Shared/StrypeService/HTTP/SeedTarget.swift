import Foundation
import Hummingbird
import StrypeCore

/// What the seed chunk routes of cloud and array take from a request: the caller, the user owning the chunk, the
/// chunk id, and how many replicas to write.
package struct SeedTarget {
    package let principal: Principal
    package let owner: UUID
    package let chunkID: String

    package init(_ context: StrypeRequestContext) throws {
        principal = try context.requirePrincipal()
        guard let owner = principal.userID else { throw APIError.forbidden("chunks belong to users") }
        guard let chunkID = context.parameters.get("chunk"), ChunkID.isValid(chunkID) else {
            throw APIError.notFound("no such chunk (ids are 32 lower-case hex digits)")
        }
        self.owner = owner
        self.chunkID = chunkID
    }

    /// `?replicas=N`: 1 to 8, default 1.
    package static func replicas(_ request: Request) throws -> Int {
        let replicas = request.uri.queryParameters.get("replicas", as: Int.self) ?? 1
        guard (1...8).contains(replicas) else { throw APIError.invalidField("replicas", "must be 1 to 8") }
        return replicas
    }
}
