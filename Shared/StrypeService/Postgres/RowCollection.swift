/// Collecting query results: `rows.decode(T.self).collected()` instead of a loop per query.
extension AsyncSequence {
    /// Every element, in order.
    package func collected() async throws -> [Element] {
        var all: [Element] = []
        for try await element in self { all.append(element) }
        return all
    }
}
