// ConfigText: builds a YAML section from defaults and "key: value" override lines, so fixtures can change
// one setting without writing a duplicate key (which the loader rightly refuses).

import Foundation

/// YAML section text.
public enum ConfigText {
    /// `name:` followed by the defaults, each replaced by an override of the same key, then the other overrides.
    public static func section(_ name: String, defaults: [(String, String)], overrides: String) -> String {
        var settings = defaults
        for line in overrides.split(separator: "\n") {
            let key = String(line.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces)
            let value = String(line.dropFirst(line.prefix { $0 != ":" }.count + 1)).trimmingCharacters(in: .whitespaces)
            if let index = settings.firstIndex(where: { $0.0 == key }) {
                settings[index].1 = value
            } else {
                settings.append((key, value))
            }
        }
        return "\(name):\n" + settings.map { "  \($0.0): \($0.1)\n" }.joined()
    }
}
