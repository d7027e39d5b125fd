import Foundation

/// The interface languages: Ukrainian first, English second.
public enum Language: String, Sendable, CaseIterable, Codable {
    case uk
    case en

    public static let `default` = Language.uk
}

/// Every string a person reads, in both languages, from `Resources/catalogue.json`
/// (`{"key": {"uk": "…", "en": "…"}}`). Templates read it as `{{t.key}}`.
public struct TranslationCatalogue: Sendable {
    public let entries: [String: [Language: String]]
    /// The nested tables templates read, built once per language.
    private let tables: NestedTables

    public init(entries: [String: [Language: String]]) {
        self.entries = entries
        var tables: [Language: [String: Any]] = [:]
        for language in Language.allCases {
            var table: [String: Any] = [:]
            for key in entries.keys {
                Self.insert(entries[key]?[language] ?? entries[key]?[.uk] ?? key, at: key.split(separator: ".").map(String.init)[...], into: &table)
            }
            tables[language] = table
        }
        self.tables = NestedTables(byLanguage: tables)
    }

    public static func load(from url: URL) throws -> TranslationCatalogue {
        let raw = try JSONDecoder().decode([String: [String: String]].self, from: Data(contentsOf: url))
        var entries: [String: [Language: String]] = [:]
        for (key, translations) in raw {
            var byLanguage: [Language: String] = [:]
            for (code, text) in translations {
                if let language = Language(rawValue: code) { byLanguage[language] = text }
            }
            entries[key] = byLanguage
        }
        return TranslationCatalogue(entries: entries)
    }

    /// The text for `key`, falling back to Ukrainian, then to the key itself (a visible gap that
    /// the catalogue test catches before it ships).
    public func text(_ key: String, _ language: Language) -> String {
        entries[key]?[language] ?? entries[key]?[.uk] ?? key
    }

    /// `text` with `{name}` placeholders filled in.
    public func text(_ key: String, _ language: Language, _ values: [String: String]) -> String {
        var text = self.text(key, language)
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    /// "{n} …" in the plural form that `n` takes in the language: the entries `key.one`, `key.few`
    /// and `key.many` (Ukrainian: 1 голос, 2 голоси, 5 голосів; English uses `one` and `many`).
    public func count(_ key: String, _ n: Int, _ language: Language) -> String {
        let form: String
        switch language {
        case .uk:
            let (lastDigit, lastTwo) = (n % 10, n % 100)
            form = lastDigit == 1 && lastTwo != 11 ? "one" : (2...4).contains(lastDigit) && !(12...14).contains(lastTwo) ? "few" : "many"
        case .en:
            form = n == 1 ? "one" : "many"
        }
        return text("\(key).\(form)", language, ["n": String(n)])
    }

    /// All texts of one language, nested by the dots of their keys, so that a template's
    /// `{{t.signup.email}}` finds the key `signup.email`.
    public func table(for language: Language) -> [String: Any] {
        tables.byLanguage[language] ?? [:]
    }

    private static func insert(_ text: String, at path: ArraySlice<String>, into table: inout [String: Any]) {
        guard let head = path.first else { return }
        if path.count == 1 {
            table[head] = text
            return
        }
        var child = table[head] as? [String: Any] ?? [:]
        insert(text, at: path.dropFirst(), into: &child)
        table[head] = child
    }

    /// Keys that are also the prefix of another key, which a template could not reach.
    public var shadowedKeys: [String] {
        entries.keys.filter { key in entries.keys.contains { $0.hasPrefix(key + ".") } }.sorted()
    }
}

/// Immutable after the catalogue is built, so sharing it between threads is safe.
private struct NestedTables: @unchecked Sendable {
    let byLanguage: [Language: [String: Any]]
}
