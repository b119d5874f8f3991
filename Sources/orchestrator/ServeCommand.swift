// ServeCommand: `orchestrator serve`, a read-only HTTP server for the status site (spool/site/): GET and HEAD
// only, nothing outside the site (no `..`, no hidden files, no symlink out), no directory listings, the right
// content types, validators (ETag, Last-Modified, 304) and no-cache so a phone always sees the last run.
// Listens on web.listen (127.0.0.1:8080) through SiteServer (strict parsing, bounded, security headers); SIGTERM
// stops it. Under systemd (`Type=notify`) it sends READY=1 once the socket is bound, and STOPPING=1 when it stops.

import Foundation
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
        let root = config.web.directory ?? config.spool.spool.root + "/site"
        if FileIO.status(root) == nil {
            Log.warning("\(root) does not exist yet: the analyzer writes it after each run; serving 404 until then")
        }
        let server: SiteServer
        do {
            server = try SiteServer(host: config.web.host, port: config.web.port) { request in SiteFiles.reply(request, root: root) }
        } catch {
            Log.error("cannot listen on \(config.web.host):\(config.web.port) (web.listen): \(error)")
            return 1
        }
        let done = DispatchSemaphore(value: 0)
        let watcher = SignalWatcher([SIGTERM, SIGINT]) { _ in done.signal() }
        let notifier = SystemdNotifier.fromEnvironment()
        server.start()
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

    static func reply(_ request: SiteRequest, root: String) -> SiteAnswer {
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
        guard resolved.hasPrefix(base + "/") else { return notFound }
        // Opened without blocking (a FIFO would hang the loop) and checked on the descriptor: what is sent is
        // what was checked, even if the analyzer replaces the file meanwhile.
        let fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else { return notFound }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return notFound
        }
        let milliseconds = Int(st.st_mtim.tv_sec) * 1000 + Int(st.st_mtim.tv_nsec) / 1_000_000
        let tag = "\"\(st.st_size)-\(milliseconds)\""
        let headers: [(name: String, value: String)] = [
            ("Content-Type", types[(relative as NSString).pathExtension.lowercased()] ?? "application/octet-stream"),
            ("Cache-Control", "no-cache"), ("ETag", tag), ("Last-Modified", SiteAnswerHead.httpDate(st.st_mtim.tv_sec)),
            ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"),
        ]
        if let match = request.ifNoneMatch, match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == tag }) {
            close(fd)
            return SiteAnswer(status: 304, headers: headers, body: .bytes([]))
        }
        return SiteAnswer(status: 200, headers: headers, body: .file(fd, size: Int(st.st_size)))
    }

    static var notFound: SiteAnswer { .text(404, "not found\n") }
}
