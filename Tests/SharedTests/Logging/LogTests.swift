// Logging: one line per event on stderr, `<N>` priorities under journald, secrets masked. fd 2 is
// redirected into a pipe for the duration of each test, so these tests run one at a time.

import Foundation
import Shared
import TestSupport
import Testing

/// Runs `body` with fd 2 redirected into a pipe and returns what was written.
private func capturingStderr(_ body: () -> Void) -> String {
    let pipe = FileIO.makePipe(nonBlocking: true)
    let saved = dup(2)
    dup2(pipe.write, 2)
    body()
    dup2(saved, 2)
    close(saved)
    close(pipe.write)
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = read(pipe.read, &chunk, chunk.count)
        if n <= 0 { break }
        out += chunk[0..<n]
    }
    close(pipe.read)
    return String(decoding: out, as: UTF8.self)
}

@Suite("Logging", .serialized, .ownThread)
struct LogTests {
    @Test("under journald each event is one line with its <priority>, multi-line messages escaped, secrets masked")
    func journald() {
        Redactor.register("hunter2-secret")
        let marker = "marker-\(UInt32.random(in: 0 ... .max))"
        let text = capturingStderr {
            Log.setup(program: "test", environment: ["JOURNAL_STREAM": "8:1234"])
            Log.error("\(marker) first line\nsecond line with hunter2-secret")
            Log.debug("\(marker) hidden at the default threshold")
            Log.info("\(marker) info")
            Log.setup(program: "test", environment: [:])
        }
        let lines = text.split(separator: "\n").filter { $0.contains(marker) }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.first == "<3>error: \(marker) first line\\nsecond line with ***")
        #expect(lines.last == "<6>info: \(marker) info")
    }

    @Test("without journald a line carries a UTC timestamp, the program and its pid")
    func plain() {
        let marker = "plain-\(UInt32.random(in: 0 ... .max))"
        let text = capturingStderr {
            Log.setup(program: "prober", environment: [:])
            Log.warning("\(marker) careful")
        }
        let line = text.split(separator: "\n").first { $0.contains(marker) }.map(String.init) ?? ""
        #expect(line.hasSuffix(" prober[\(getpid())]: warning: \(marker) careful"), "\(line)")
        #expect(Timestamp.parse(String(line.prefix(24))) != nil, "\(line)")
    }

    @Test("webhook URLs are logged with their query values masked")
    func maskedQuery() {
        #expect(
            Redactor.maskQuery(of: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123&x=1")
                == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***&x=***")
    }
}
