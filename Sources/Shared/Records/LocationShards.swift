// LocationShards: with several locations every location probes every shard, so a run has a batch per location
// and shard. The analyzer assembles them under one key each — shard k of N at the i-th location (locations.names
// order) is key (i·N + k) of (L·N) — and says them back as people name them: "sh 2/3".

/// Keys of a run's batches when several locations probe it.
public enum LocationShards {
    /// The key of `shard` at `location`; the shard itself with no locations; nil for a location not in `names`
    /// (or none given while there are names).
    public static func key(_ shard: Shard, location: String?, names: [String]?) -> Shard? {
        guard let names, !names.isEmpty else { return shard }
        guard let location, let i = names.firstIndex(of: location) else { return nil }
        return Shard(index: i * shard.count + shard.index, count: names.count * shard.count)
    }

    /// The location and shard a key stands for (nil location with no names).
    public static func parts(of key: Shard, names: [String]?) -> (location: String?, shard: Shard) {
        guard let names, !names.isEmpty, key.count % names.count == 0 else { return (nil, key) }
        let n = key.count / names.count
        let i = (key.index - 1) / n
        guard i < names.count else { return (nil, key) }
        return (names[i], Shard(index: (key.index - 1) % n + 1, count: n))
    }

    /// "sh 2/3" (or "2/3" with no names).
    public static func describe(_ key: Shard, names: [String]?) -> String {
        let (location, shard) = parts(of: key, names: names)
        return location.map { "\($0) \(shard)" } ?? "\(shard)"
    }
}
