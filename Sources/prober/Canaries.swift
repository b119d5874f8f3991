// Canaries: before probing its shard, a prober fetches monitor.canaries — URLs that should always answer. Any
// HTTP answer counts (a gateway's 503 still proves the way out works); a connection, DNS, TLS failure or a
// timeout does not. More than half failing makes the shard blind for the run (CanaryReport.blind): its results
// are published as measured, and the analyzer judges none of them.

import Foundation
import Shared

enum Canaries {
    /// Fetches every canary at once (one attempt each, monitor.timeout); nil when there are none.
    static func check(_ urls: [String], client: HTTPClient, timeout: TimeInterval) async -> CanaryReport? {
        guard !urls.isEmpty else { return nil }
        let failures = await withTaskGroup(of: String?.self) { group in
            for url in urls {
                group.addTask {
                    var request = OutgoingRequest(method: "GET", url: url)
                    request.headers = HeaderFields([("User-Agent", "Vigil/1 (canary)")])
                    switch await client.send(request, timeout: timeout) {
                    case .success: return nil
                    case let .failure(failure): return Redactor.redact("\(Redactor.maskQuery(of: url)): \(failure)")
                    }
                }
            }
            var failed: [String] = []
            for await failure in group { if let failure { failed.append(failure) } }
            return failed.sorted()
        }
        let report = CanaryReport(checked: urls.count, failures: failures)
        if report.blind {
            Log.warning(
                "\(failures.count) of \(urls.count) canaries failed (\(failures.joined(separator: "; "))): this shard is blind for the "
                    + "run; its results are published, and nothing they say is judged")
        } else if !failures.isEmpty {
            Log.notice("\(failures.count) of \(urls.count) canaries failed: \(failures.joined(separator: "; "))")
        }
        return report
    }
}
