import Foundation

/// Records every field `ScenarioLoader` reads while loading scenario files, with the kind
/// of value it asked for, whether it required the field and the fallback it used when
/// the field was absent. Merged over enough scenarios to take every branch of the
/// loader, the records are `ScenarioFields.all`: the loader's own schema.
final class FieldRecorder {
    private struct Entry {
        var kinds: [ScenarioField.Kind] = []
        var isRequired = false
        var defaults: [String] = []
    }

    private var entries: [String: Entry] = [:]
    /// Top-level fields in the order they were first read.
    private var sections: [String] = []

    /// Records one read of the field at `path`. `required`: the reader required it (not
    /// after asking whether it is there); `fallback`: the value an absent field read as.
    func record(path: String, kind: ScenarioField.Kind, required: Bool, fallback: String?) {
        let top = String(path.prefix { $0 != "." && $0 != "[" })
        if !sections.contains(top) { sections.append(top) }
        var entry = entries[path] ?? Entry()
        if case let .choice(names) = kind, let index = entry.kinds.firstIndex(where: {
            if case .choice = $0 { return true } else { return false }
        }), case let .choice(known) = entry.kinds[index] {
            entry.kinds[index] = .choice(known + names.filter { !known.contains($0) })
        } else if !entry.kinds.contains(kind) {
            entry.kinds.append(kind)
        }
        entry.isRequired = entry.isRequired || required
        if let fallback, !entry.defaults.contains(fallback) { entry.defaults.append(fallback) }
        entries[path] = entry
    }

    /// Loads the scenario at `path` (with `overrides`), recording what it reads; problems
    /// in the file are ignored, since reading goes on past them.
    func load(path: String, overrides: [String] = []) {
        _ = try? ScenarioLoader.load(path: path, overrides: overrides.map { ScenarioOverride($0, option: "--set") },
                                     recorder: self)
    }

    /// The fields read so far: top-level sections in the order first read, the fields
    /// inside each by path. A field read both by its own rules (`.value`) and as a typed
    /// value keeps the typed kinds.
    var fields: [ScenarioField] {
        entries.sorted { a, b in
            let (sectionA, sectionB) = (section(of: a.key), section(of: b.key))
            return sectionA != sectionB ? sectionA < sectionB : a.key < b.key
        }.map { path, entry in
            let typed = entry.kinds.filter { $0 != .value }
            let presence: ScenarioField.Presence = entry.isRequired ? .required
                : entry.defaults.isEmpty ? .optional : .defaults(entry.defaults)
            return ScenarioField(path, typed.isEmpty ? [.value] : typed, presence)
        }
    }

    private func section(of path: String) -> Int {
        sections.firstIndex(of: String(path.prefix { $0 != "." && $0 != "[" })) ?? sections.count
    }
}
