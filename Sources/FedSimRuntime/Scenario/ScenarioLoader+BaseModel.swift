import FedSimCore

extension ScenarioLoader {
    /// `model.base`: the model file a server run starts from, resolved against
    /// `baseDirectory`, or nil. The file is read and checked here: it must be a model
    /// file (`ModelFile`) whose layers are those `model` gives a model of the file's input
    /// width and classes. Whether that width and those classes are the data's is known
    /// once the data is loaded (`Scenario.startingModel(for:)`).
    static func readBase(_ reader: YAMLFieldReader, model: ModelSettings, decentralized: Bool,
                         baseDirectory: String) -> String? {
        guard reader.has("base") else { return nil }
        if decentralized {
            reader.report(reader.value("base"), "base",
                          "applies to server runs; the nodes of a decentralized run start from the seed")
            return nil
        }
        guard let path = existingFile(reader, "base", baseDirectory: baseDirectory, kind: "model file") else { return nil }
        let file: ModelFile
        do {
            file = try ModelFile(path: path)
        } catch {
            reader.report(reader.value("base"), "base", "\(error)")
            return nil
        }
        let stored = file.model.spec
        let differences = stored.architectureDifferences(from: model.spec(inputDim: stored.inputDim, classes: stored.classes))
        guard differences.isEmpty else {
            reader.report(reader.value("base"), "base",
                          "'\(path)' holds another model than model.kind \(model.kind.rawValue)"
                          + (model.hidden.isEmpty ? "" : " with hidden \(model.hidden)") + " makes: "
                          + differences.joined(separator: "; "))
            return nil
        }
        return path
    }
}
