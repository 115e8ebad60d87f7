import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/usage`: what the user stores, and their quota.
struct UsageController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/usage").get(use: usage)
    }

    /// `GET /usage` → bytes stored (every version and the trash, each chunk once, plus raw chunks, objects and seeds
    /// stored directly), files, and the quota.
    @Sendable func usage(_ request: Request, context: StrypeRequestContext) async throws -> UsageResponse {
        let owner = try FileInput.caller(context)
        let (bytes, files) = try await core.userSettings.usage(owner: owner)
        return UsageResponse(bytes: bytes, files: files, quota: try await core.quota(owner: owner))
    }
}

extension UsageResponse: ResponseEncodable {}
