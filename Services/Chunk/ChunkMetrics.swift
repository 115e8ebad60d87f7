import Prometheus

/// chunk's metrics beside the HTTP ones: what is stored by durability, shards by state, the repair queue, and the
/// codec's bytes and seconds (so `rate(bytes) / rate(seconds)` is its throughput).
struct ChunkMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// Counts one pass of the codec: `encode` (seal and shard) or `decode` (decode and open).
    func codec(_ operation: String, bytes: Int, elapsed: Duration) {
        let labels = [("operation", operation)]
        registry.makeCounter(
            descriptor: Self.name("chunk_codec", "bytes_total", "Plaintext bytes through the codec"),
            labels: labels
        )
        .increment(by: Int64(bytes))
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        registry.makeCounter(
            descriptor: Self.name("chunk_codec", "seconds_total", "Time spent in the codec"),
            labels: labels
        )
        .increment(by: seconds)
    }

    /// Counts shard reads: `first` (the fewest a chunk needs, and replacements for failed ones) or `spare` (fetched
    /// beside a slow one).
    func shardRead(_ kind: String) {
        registry.makeCounter(
            descriptor: Self.name("chunk_shard_reads", "total", "Shards fetched to read chunks"),
            labels: [("kind", kind)]
        )
        .increment()
    }

    /// Sets the stored-data gauges from the database's totals and the repair queue's length.
    func refresh(_ stats: ChunkStatistics, queueDepth: Int) {
        for (durability, count, bytes) in stats.byDurability {
            let labels = [("durability", durability)]
            registry.makeGauge(descriptor: Self.name("chunk_stored", "chunks", "Chunks stored"), labels: labels).set(
                count
            )
            registry.makeGauge(descriptor: Self.name("chunk_stored", "bytes", "Plaintext bytes stored"), labels: labels)
                .set(bytes)
        }
        for (state, count) in stats.shardsByState {
            registry.makeGauge(
                descriptor: Self.name("chunk_shards", "count", "Shards by state"),
                labels: [("state", state)]
            )
            .set(count)
        }
        registry.makeGauge(descriptor: Self.name("chunk_repair_queue", "depth", "Entries on the repair stream"))
            .set(Int64(queueDepth))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: metric, unitName: unit, helpText: help)
    }
}

/// Totals read from the database for the gauges.
struct ChunkStatistics: Sendable {
    var byDurability: [(String, Int64, Int64)]
    var shardsByState: [(String, Int64)]
}
