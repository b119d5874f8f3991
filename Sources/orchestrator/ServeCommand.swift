// ServeCommand: `orchestrator serve`, a read-only HTTP server for the status site (spool/site/): GET and HEAD
// only, nothing outside the site (no `..`, no hidden files, no symlink out), no directory listings, the right
// content types, validators (ETag, Last-Modified, 304) and no-cache so a phone always sees the last run.
// Listens on web.listen (127.0.0.1:8080); SIGTERM stops it. Under systemd (`Type=notify`) it sends READY=1 once
// the socket is bound, and STOPPING=1 when it stops.

import Foundation
import Loopback
import Shared

enum ServeCommand {
    static func run(_ options: Options) -> Int32 {
        let config: Config
        do {
            config = try options.common.loadConfig()
        } catch {
            Log.configurationProblems(error, "not started")
            return 2
        }
        let root = config.spool.spool.root + "/site"
        if FileIO.status(root) == nil {
            Log.warning("\(root) does not exist yet: the analyzer writes it after each run; serving 404 until then")
        }
        let server: HTTPServer
        do {
            server = try HTTPServer(port: config.web.port, host: config.web.host) { request in SiteFiles.reply(request, root: root) }
        } catch {
            Log.error("cannot listen on \(config.web.host):\(config.web.port) (web.listen): \(error)")
            return 1
        }
        let done = DispatchSemaphore(value: 0)
        let watcher = SignalWatcher([SIGTERM, SIGINT]) { _ in done.signal() }
        let notifier = SystemdNotifier.fromEnvironment()
        Log.info("serving \(root) read-only on http://\(config.web.host):\(server.port)/")
        // Bound and accepting: systemd may start what is ordered after vigil-web.
        notifier?.ready(status: "serving http://\(config.web.host):\(server.port)/")
        done.wait()
        notifier?.stopping()
        server.stop()
        _ = watcher
        Log.info("serve stopped")
        return 0
    }
}

enum SiteFiles {
    static let types = [
        "html": "text/html; charset=utf-8", "svg": "image/svg+xml", "css": "text/css; charset=utf-8", "png": "image/png",
        "json": "application/json", "md": "text/markdown; charset=utf-8", "txt": "text/plain; charset=utf-8",
    ]

    static func reply(_ request: HTTPRequest, root: String) -> HTTPReply {
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPReply(status: 405, headers: ["Allow": "GET, HEAD", "Content-Type": "text/plain"], body: Array("only GET and HEAD\n".utf8))
        }
        guard let decoded = request.path.removingPercentEncoding, decoded.hasPrefix("/"), !decoded.contains("\0") else {
            return notFound
        }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true)
        // No `..`, `.` or hidden names: nothing outside the site, nothing half-written (temporaries start with ".").
        guard !segments.contains(where: { $0.hasPrefix(".") }) else { return notFound }
        let relative =
            segments.joined(separator: "/") + (decoded.hasSuffix("/") || segments.isEmpty ? (segments.isEmpty ? "index.html" : "/index.html") : "")
        let path = root + "/" + relative
        // A symlink must not lead out of the site either.
        guard let real = realpath(path, nil), let realRoot = realpath(root, nil) else { return notFound }
        let resolved = String(cString: real)
        let base = String(cString: realRoot)
        free(real)
        free(realRoot)
        guard resolved.hasPrefix(base + "/"), let st = FileIO.status(resolved), st.st_mode & S_IFMT == S_IFREG else { return notFound }
        let tag = "\"\(st.st_size)-\(Int(st.modificationDate.timeIntervalSince1970 * 1000))\""
        let headers: HeaderFields = [
            "Content-Type": types[(relative as NSString).pathExtension.lowercased()] ?? "application/octet-stream",
            "Cache-Control": "no-cache", "ETag": tag, "Last-Modified": httpDate(st.modificationDate), "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
        ]
        if request.header("If-None-Match") == tag { return HTTPReply(status: 304, headers: headers) }
        guard let bytes = try? FileIO.read(resolved) else { return notFound }
        return HTTPReply(status: 200, headers: headers, body: bytes)
    }

    static let notFound = HTTPReply(status: 404, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array("not found\n".utf8))

    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
