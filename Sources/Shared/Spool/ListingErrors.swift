// ListingErrors: a listing of a consumer's queue that fails for any reason but "not found" (ENOTCONN from a
// detached FUSE mount, EIO from a brick outage) is logged — once a minute per distinct error — and counted by
// errno for the analyzer's and notifier's metrics, instead of reading silently as an empty queue. Used by the
// consumers' scans (Queue.pending).

import Foundation
import Synchronization

extension FileIO {
    /// `listIfPresent`, but a failure other than ENOENT is counted in `errors` and logged (rate-limited) before
    /// reading as empty.
    public static func listReportingErrors(_ directory: String, now: Date = Date(), errors: ListingErrors = .shared) -> [String] {
        do {
            return try list(directory)
        } catch SpoolError.system(let operation, let path, let code) where code != ENOENT {
            errors.count(code)
            let text = "cannot list \(path): \(operation): \(String(cString: strerror(code)))"
            if errors.shouldLog(text, now: now) { Log.warning(text + " (treated as empty for now)") }
            return []
        } catch {
            return []
        }
    }
}

/// Counts listing errors by errno, and remembers when each distinct one was last logged, so that one is logged
/// at most once a `period`.
public final class ListingErrors: Sendable {
    /// The process-wide counter and limiter `FileIO.listReportingErrors` uses.
    public static let shared = ListingErrors()
    private let period: TimeInterval
    private let lastLogged = Mutex<[String: Date]>([:])
    private let counts = Mutex<[Int32: Int]>([:])

    /// A limiter that lets one message through at most once every `period` seconds.
    public init(period: TimeInterval = 60) { self.period = period }

    /// Whether `message` should be logged at `now` (and, if so, records it).
    public func shouldLog(_ message: String, now: Date) -> Bool {
        lastLogged.withLock { seen in
            if let last = seen[message], now.timeIntervalSince(last) < period { return false }
            seen[message] = now
            return true
        }
    }
}

extension ListingErrors {
    /// Counts one failed listing with error `code`.
    public func count(_ code: Int32) {
        counts.withLock { $0[code, default: 0] += 1 }
    }

    /// Failed listings so far, by errno.
    public var counted: [Int32: Int] { counts.withLock { $0 } }

    /// The `vigil_spool_listing_errors_total` family for a textfile-collector file: its HELP and TYPE (the same
    /// in every program's file, as node_exporter requires), then one series per errno seen, labelled with
    /// `program` and the errno's name.
    public func metrics(program: String) -> String {
        var out = "# HELP vigil_spool_listing_errors_total Listings of a spool queue that failed (other than not found) since the"
        out += " program started; such a listing reads as empty.\n# TYPE vigil_spool_listing_errors_total counter\n"
        for (code, n) in counted.sorted(by: { $0.key < $1.key }) {
            out += "vigil_spool_listing_errors_total{program=\"\(program)\",errno=\"\(Self.name(of: code))\"} \(n)\n"
        }
        return out
    }

    /// The symbolic name of an errno a listing can give ("ENOTCONN"), else "errno_<n>".
    public static func name(of code: Int32) -> String {
        let names: [Int32: String] = [
            EPERM: "EPERM", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES",
            EBUSY: "EBUSY", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE",
            ELOOP: "ELOOP", ENAMETOOLONG: "ENAMETOOLONG", EINTR: "EINTR", ENOTCONN: "ENOTCONN", ESTALE: "ESTALE",
            ETIMEDOUT: "ETIMEDOUT", EHOSTDOWN: "EHOSTDOWN", ECONNREFUSED: "ECONNREFUSED", ENOLINK: "ENOLINK",
            EOVERFLOW: "EOVERFLOW", EREMOTEIO: "EREMOTEIO",
        ]
        return names[code] ?? "errno_\(code)"
    }
}
