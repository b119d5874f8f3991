// DemoCommand: `orchestrator demo` — a self-contained first run. It starts the mock API and a webhook
// receiver on 127.0.0.1, writes a config and an interface pool for them into a temporary directory, runs the
// real `orchestrator once` (which runs the real prober, analyzer and notifier) over a temporary spool, and
// prints the report and the message the webhook received.

import Foundation
import Loopback
import Shared

enum DemoCommand {
    static func run(keep: Bool) async -> Int32 {
        if let missing = Programs.missing(["prober", "analyzer", "notifier"]) {
            Log.error(missing)
            return 2
        }
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/vigil-demo-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            Log.error("cannot create a temporary directory under \(base)")
            return 1
        }
        let dir = String(cString: made)
        defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
        let api: MockAPI
        do {
            api = try MockAPI()
            try write(dir: dir, base: api.server.baseURL)
        } catch {
            Log.error("demo setup failed: \(error)")
            return 1
        }
        print("Vigil demo: mock API and webhook receiver on \(api.server.baseURL), files in \(dir)\n")
        let once: ChildProcess
        do {
            var env = ProcessInfo.processInfo.environment
            env["DEMO_PASSWORD"] = MockAPI.demoPassword
            once = try ChildProcess(
                executable: Programs.path("orchestrator"), arguments: ["once", "--config", dir + "/config.yaml"],
                environment: env, stdout: .capture, stderr: .inherit)
        } catch {
            Log.error("cannot start orchestrator once: \(error)")
            return 1
        }
        let ended = await once.exit()
        print(once.output())
        let messages = api.messages
        print("---- the webhook received \(messages.count) message(s) ----")
        for body in messages {
            let content = (try? JSONDocument.parse(body)).map(JSONValue.init(node:))?.value(at: "markdown.content")?.text ?? body
            print(content + "\n")
        }
        api.server.stop()
        if keep { print("files kept in \(dir) (spool: \(dir)/spool)") }
        // The demo has failing endpoints on purpose: `once` exits 1 when it finds them. The demo worked if
        // a report was printed and the webhook got the alert.
        guard ended == .exited(1) || ended == .exited(0), !messages.isEmpty else {
            Log.error("the demo run did not complete: orchestrator once \(ended), \(messages.count) webhook message(s)")
            return 1
        }
        print("Demo complete: every program ran for real. Next: `orchestrator check --config examples/config.yaml`.")
        return 0
    }

    private static func write(dir: String, base: String) throws {
        func put(_ path: String, _ text: String) throws {
            let full = dir + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        }
        try put(
            "config.yaml",
            """
            # Written by `orchestrator demo`: everything points at 127.0.0.1.
            monitor:
              timeout: 3s
              retry_attempts: 1
              retry_delay: 200ms
              interface_pool: ./Interface-pool
            services:
              shop:
                base_url: \(base)
                auth:
                  url: /auth/token
                  body: {username: demo, password: "${DEMO_PASSWORD}"}
                  token_field: data.access_token
                  expires_in_field: data.expires_in
            notify:
              wecom:
                webhook_url: "\(base)/cgi-bin/webhook/send?key=demo-webhook-key"
                mentioned_list: [oncall]
            spool:
              dir: ./spool
            """)
        try put("Interface-pool/shop/health.yaml", "name: Health check\nurl: /api/health\n")
        try put(
            "Interface-pool/shop/user-info.yaml",
            """
            name: 获取用户信息
            url: /api/user/info
            params: {id: 1}
            auth: true
            expect: {status: [200], body_contains: '"code":0'}
            """)
        try put("Interface-pool/shop/nurse-schedule.yaml", "name: 护士排班 (slow)\nurl: /api/nurse/schedule\nexpect: {max_latency: 500ms}\n")
        try put("Interface-pool/shop/orders.json", #"{"name": "Order list", "url": "/api/orders"}"#)
        try put("Interface-pool/shop/legacy.yaml", "name: Legacy report\nurl: /api/legacy/report\n")
    }
}
