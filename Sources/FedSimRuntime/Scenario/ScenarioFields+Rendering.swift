extension ScenarioFields {
    /// The fields whose path is `prefix` or lies below it (all when `prefix` is empty).
    public static func fields(under prefix: String) -> [ScenarioField] {
        let prefix = generalized(prefix)
        return all.filter { prefix.isEmpty || $0.path == prefix || $0.path.hasPrefix(prefix + ".")
            || $0.path.hasPrefix(prefix + "[") }
    }

    /// `fields` as terminal text: per field a line with path, type and default, then its
    /// meaning indented below.
    public static func text(_ fields: [ScenarioField]) -> String {
        fields.map { field in
            "\(field.path)  (\(field.typeDescription); \(field.presenceDescription))\n"
                + wrapped(meanings[field.path] ?? "", width: 86, indent: "    ")
        }.joined(separator: "\n")
    }

    /// `fields` (every field by default) as a Markdown page: one table per top-level
    /// section, in the order the loader reads them. docs/scenario-fields.md is this page.
    public static func markdown(_ all: [ScenarioField] = all) -> String {
        var page = """
            # Scenario fields

            Every field a scenario file may hold, with its type, its default and what it means.
            This page is written by `fedsim fields --markdown` from the scenario loader's own
            list of fields, and a test fails when the two differ; `fedsim fields PREFIX` prints
            the same in a terminal. How the sections fit together, with examples, is in
            [scenarios.md](scenarios.md). "required" fields are required where the setting they
            belong to applies (a field of `fedbuff` only when `server.algorithm` is `fedbuff`);
            "unset" fields have no default, and their meaning says what their absence does.
            `[]` stands for any element of a list, `<parameter>` for any parameter a rule takes
            by name.

            """
        var sections: [String] = []
        for field in all where !sections.contains(section(of: field.path)) { sections.append(section(of: field.path)) }
        let topLevel = all.filter { !$0.path.contains(".") && $0.kinds != [.section] }
        page += "\n## Top level\n\n" + table(topLevel)
        for section in sections where all.contains(where: { $0.path == section && $0.kinds == [.section] }) {
            page += "\n## `\(section)`\n\n\(meanings[section] ?? "")\n\n"
                + table(all.filter { $0.path.hasPrefix(section + ".") || $0.path.hasPrefix(section + "[") })
        }
        return page
    }

    private static func section(of path: String) -> String {
        String(path.prefix { $0 != "." && $0 != "[" })
    }

    private static func table(_ fields: [ScenarioField]) -> String {
        "| field | type | default | meaning |\n|---|---|---|---|\n" + fields.map { field in
            "| `\(field.path)` | \(cell(field.typeDescription)) | \(cell(field.presenceDescription)) | "
                + "\(cell(meanings[field.path] ?? "")) |"
        }.joined(separator: "\n") + "\n"
    }

    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// `text` broken into lines of at most `width` characters (words longer stay whole),
    /// each starting with `indent`.
    static func wrapped(_ text: String, width: Int, indent: String) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, line.count + 1 + word.count > width {
                lines.append(indent + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(indent + line) }
        return lines.joined(separator: "\n")
    }
}
