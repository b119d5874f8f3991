// Listing errors counted: a queue listing that fails other than "not found" is counted by errno, and the
// counter's textfile-collector family names the program and the errno (and passes promtool when installed).

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Listing errors counted")
struct ListingErrorsTests {
    @Test("listing a file in place of a directory counts one ENOTDIR; a missing directory counts nothing")
    func countsByErrno() throws {
        let errors = ListingErrors()
        let dir = TemporaryDirectory("listing-count")
        let file = try dir.write("new", "not a directory")
        #expect(FileIO.listReportingErrors(file, errors: errors).isEmpty)
        #expect(FileIO.listReportingErrors(file, errors: errors).isEmpty)
        #expect(FileIO.listReportingErrors(dir.url("missing"), errors: errors).isEmpty)
        #expect(errors.counted == [ENOTDIR: 2], "two failed listings, ENOENT not counted")
        let text = errors.metrics(program: "analyzer")
        #expect(text.contains("# TYPE vigil_spool_listing_errors_total counter\n"))
        #expect(text.hasSuffix("vigil_spool_listing_errors_total{program=\"analyzer\",errno=\"ENOTDIR\"} 2\n"), "\(text)")
        try expectPromtoolAccepts(text)
    }

    @Test("with no listing error the family is there without a series, and promtool accepts it")
    func emptyFamily() throws {
        let text = ListingErrors().metrics(program: "notifier")
        #expect(!text.contains("vigil_spool_listing_errors_total{"))
        #expect(text.contains("# HELP vigil_spool_listing_errors_total "))
        try expectPromtoolAccepts(text)
    }

    @Test("errno names: the ones a listing gives by name, any other by number")
    func errnoNames() {
        #expect(ListingErrors.name(of: ENOTCONN) == "ENOTCONN")
        #expect(ListingErrors.name(of: EIO) == "EIO")
        #expect(ListingErrors.name(of: EACCES) == "EACCES")
        #expect(ListingErrors.name(of: 4242) == "errno_4242")
    }

    /// `promtool check metrics` on `text`, when promtool is installed (.ci/run installs it).
    private func expectPromtoolAccepts(_ text: String) throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile) else {
            print("promtool not installed: the text format is not linted here")
            return
        }
        let dir = TemporaryDirectory("listing-promtool")
        let file = try dir.write("listing.prom", text)
        let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "'\(promtool)' check metrics < '\(file)' 2>&1"], stdout: .capture)
        let ended = try #require(child.wait(timeout: 60))
        #expect(ended == .exited(0), "\(child.output())")
    }
}
