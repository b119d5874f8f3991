// TextfileCollector: writes a Prometheus text-format file for node_exporter's textfile collector. The file is
// written under a name the collector ignores (`.name.prom.tmp`) and renamed into place, so a scrape never
// sees half a file. Each program instance writes its own file (the collector rejects a metric in two files).

import Foundation

/// Atomic `.prom` files.
public enum TextfileCollector {
    /// Writes `text` to `directory/name`; failures are logged, never fatal (metrics are a side channel).
    public static func write(_ text: String, to directory: String, name: String) {
        do {
            try FileIO.makeDirectory(directory, mode: 0o750)
            // Group-readable: node_exporter reads it as a member of the service's group.
            try FileIO.replaceAtomically(directory + "/" + name, with: Array(text.utf8), mode: 0o640)
        } catch {
            Log.warning("cannot write metrics to \(directory)/\(name): \(error)")
        }
    }
}
