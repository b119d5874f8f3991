// Identity: what a run says of an interface's id — first seen, no longer reported, or forgotten. State follows
// ids, so a renamed interface is a new one and its old id goes; only a complete run (no shard missing, the whole
// pool loaded, no location blind) may say an id is gone or forget it, so a missing shard never costs a history.

import Foundation

/// A change of an interface's identity in a run.
enum IdentityChange: Equatable {
    /// Results for an id the state did not know (and the state was not empty: a first run announces nothing).
    case new
    /// No result for a known id in a complete run: logged, its line kept.
    case gone
    /// No result since before the history's window, in a complete run: its state and history are dropped.
    case forgotten
}

enum Identity {
    /// The change for an interface with or without results this run; `knownSince`: the run start its state line
    /// records (nil when the state has no line for it).
    static func change(hasResults: Bool, knownSince: Date?, stateWasEmpty: Bool, runComplete: Bool, forgetBefore: Date) -> IdentityChange? {
        guard let knownSince else { return hasResults && !stateWasEmpty ? .new : nil }
        guard !hasResults, runComplete else { return nil }
        if knownSince < forgetBefore { return .forgotten }
        return stateWasEmpty ? nil : .gone
    }
}
