import PostgresNIO

/// Reading what went wrong in Postgres, through transaction wrappers.
package enum PostgresErrors {
    /// The SQLSTATE of the error or of the error inside a failed transaction.
    package static func sqlState(_ error: any Error) -> String? {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] }
        if let error = error as? PostgresTransactionError, let inner = error.closureError {
            return sqlState(inner)
        }
        return nil
    }

    /// A unique constraint was violated (23505).
    package static func isUniqueViolation(_ error: any Error) -> Bool { sqlState(error) == "23505" }

    /// A foreign key was violated (23503).
    package static func isForeignKeyViolation(_ error: any Error) -> Bool { sqlState(error) == "23503" }

    /// The error the transaction's closure threw, when it was one of ours (an `APIError`), else the error itself.
    package static func unwrapped(_ error: any Error) -> any Error {
        if let error = error as? PostgresTransactionError, let inner = error.closureError { return inner }
        return error
    }
}
