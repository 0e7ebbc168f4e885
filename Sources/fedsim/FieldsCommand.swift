import ArgumentParser
import FedSimRuntime

/// `fedsim fields`: every scenario field with its type, default and meaning.
struct FieldsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fields",
        abstract: "List the scenario fields with their types, defaults and meanings.",
        discussion: "docs/scenario-fields.md is the output of `fedsim fields --markdown`.")

    @Argument(help: "Only the fields at or below this path, like `server` or `system.compute`.")
    var prefix: String = ""

    @Flag(help: "Print every field as the Markdown page docs/scenario-fields.md.")
    var markdown = false

    func run() throws {
        if markdown {
            guard prefix.isEmpty else { throw ValidationError("--markdown prints every field; give no path with it") }
            print(ScenarioFields.markdown(), terminator: "")
            return
        }
        let fields = ScenarioFields.fields(under: prefix)
        guard !fields.isEmpty else {
            let names = ScenarioFields.names(inside: "").joined(separator: ", ")
            throw ValidationError("no scenario field is '\(prefix)' or lies below it (top-level fields: \(names))")
        }
        print(ScenarioFields.text(fields))
    }
}
