/// One versioned schema change of a service: statements run in one transaction with `search_path` set to the schema.
package struct Migration: Sendable {
    package let version: Int
    package let name: String
    package let statements: [String]

    package init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// Why migrating failed; names the migration when one of its statements did.
package enum MigrationError: Error, CustomStringConvertible {
    case invalidSchemaName(String)
    case invalidVersions(String)
    case failed(version: Int, name: String, underlying: String)

    package var description: String {
        switch self {
        case .invalidSchemaName(let name): "invalid schema name \(name)"
        case .invalidVersions(let reason): "invalid migration list: \(reason)"
        case .failed(let version, let name, let underlying): "migration \(version) (\(name)) failed: \(underlying)"
        }
    }
}
