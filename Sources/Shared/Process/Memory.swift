// Memory: glibc malloc settings for processes that hold many small objects briefly (a prober over 100 000
// interfaces). Per-thread arenas each keep what was freed in them, and a parsed pool leaves freed pages
// behind; both count in the resident size an operator sees. glibc's <malloc.h> is not part of Swift's Glibc
// module, so the two functions are looked up in the C library already loaded (absent on another libc: no-op).

#if canImport(Glibc)
    import Glibc
#endif

public enum Memory {
    /// One malloc arena for the whole process (mallopt M_ARENA_MAX). Vigil's threads mostly wait on I/O, so
    /// they gain nothing from contention-free arenas, and each extra arena holds freed memory of its own.
    public static func limitArenas() {
        #if canImport(Glibc)
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            let arenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
                _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, 1)
            }
        #endif
    }

    /// Returns freed heap pages to the system (malloc_trim), e.g. after a large file was parsed and dropped.
    public static func trim() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
                _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
            }
        #endif
    }
}

extension Memory {
    /// This process's peak resident set size in MiB (VmHWM of /proc/self/status), nil where there is none.
    /// (A parent's wait4 rusage is no substitute: a child started with vfork/posix_spawn carries the parent's
    /// high-water mark from before exec.)
    public static func peakResidentMB() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kb / 1024
    }

    /// CPU time (user + system) this process has used, its children not counted.
    public static var cpuSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// " (peak RSS 35.2 MB)" for a program's last log line, or "".
    public static var peakNote: String {
        peakResidentMB().map { String(format: " (peak RSS %.1f MB)", $0) } ?? ""
    }
}
