// IDOrder: the one order of interface ids, in which probers' batches are read, the analyzer's state, day and
// recent files are kept, and a run's sources are joined. It is Swift's String order (and String equality: an id
// spelled with a composed accent and the same id with a decomposed one are one id, as they are one Dictionary
// key); on plain ASCII — nearly every id — that is the order of the bytes, which is compared without a String.
// Every place that sorts or merges ids goes through here, so the join can never meet two orders.

import Foundation

/// The order of interface ids.
public enum IDOrder {
    /// Whether id `a` comes before id `b`.
    @inline(__always) public static func precedes(_ a: String, _ b: String) -> Bool { a < b }

    /// The first of two ids (nil only when both are).
    @inline(__always) public static func first(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        return precedes(b, a) ? b : a
    }

    /// Two ids' order from their UTF-8 bytes: negative, zero or positive as `a` comes before, with or after `b`.
    /// `bothASCII`: both are plain ASCII (the caller knows from reading them), compared byte by byte.
    public static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, bothASCII: Bool) -> Int {
        if bothASCII {
            let common = min(a.count, b.count)
            let c = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
            if c != 0 { return Int(c) }
            return a.count - b.count
        }
        let (x, y) = (String(decoding: a, as: UTF8.self), String(decoding: b, as: UTF8.self))
        return x == y ? 0 : (precedes(x, y) ? -1 : 1)
    }
}
