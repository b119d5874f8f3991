// The Vigil side of Benchmarks/yaml-bench.sh: reads each file with YAML.parseDocuments, built with `swiftc -O`
// together with Sources/Shared/Config's YAML reader (no package build needed).
//   yaml-bench FILE REPETITIONS   prints: seconds-per-read documents peak-rss-kb
// REPETITIONS 0 reads nothing (the process's own peak RSS, subtracted as the baseline).

import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3, let repetitions = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: yaml-bench FILE REPETITIONS\n".utf8))
    exit(2)
}
guard let data = FileManager.default.contents(atPath: arguments[1]), let text = String(data: data, encoding: .utf8) else {
    FileHandle.standardError.write(Data("cannot read \(arguments[1]) as UTF-8\n".utf8))
    exit(1)
}
var documents = 0
let started = DispatchTime.now().uptimeNanoseconds
for _ in 0..<repetitions {
    do {
        documents = try YAML.parseDocuments(text).count
    } catch {
        FileHandle.standardError.write(Data("\(arguments[1]): \(error)\n".utf8))
        exit(1)
    }
}
let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / Double(max(repetitions, 1))
var usage = rusage()
getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
print(String(format: "%.6f %d %d", seconds, documents, usage.ru_maxrss))
