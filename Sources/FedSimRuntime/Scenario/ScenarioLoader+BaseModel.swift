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
        return modelFile(reader, "base", model: model, baseDirectory: baseDirectory)
    }

    /// `training.expert_model`: a model file of the scenario's model (without adapters)
    /// whose losses rank the rows of ordered local learning, resolved against
    /// `baseDirectory` and checked as `model.base` is; nil when absent.
    static func readExpert(_ reader: YAMLFieldReader, model: ModelSettings, baseDirectory: String) -> String? {
        guard reader.has("expert_model") else { return nil }
        if model.lora != nil {
            reader.report(reader.value("expert_model"), "expert_model",
                          "ranks rows by a plain model's losses; a model with adapters (model.lora) has none to compare")
            return nil
        }
        return modelFile(reader, "expert_model", model: model, baseDirectory: baseDirectory)
    }

    /// The model file of field `key`, resolved against `baseDirectory`: it must exist,
    /// be a model file (`ModelFile`) and hold the layers `model` gives a model of the
    /// file's input width and classes; nil (reported) otherwise.
    private static func modelFile(_ reader: YAMLFieldReader, _ key: String, model: ModelSettings,
                                  baseDirectory: String) -> String? {
        guard let path = existingFile(reader, key, baseDirectory: baseDirectory, kind: "model file") else { return nil }
        let file: ModelFile
        do {
            file = try ModelFile(path: path)
        } catch {
            reader.report(reader.value(key), key, "\(error)")
            return nil
        }
        let stored = file.model.spec
        let differences = stored.architectureDifferences(from: model.spec(inputDim: stored.inputDim, classes: stored.classes))
        guard differences.isEmpty else {
            reader.report(reader.value(key), key,
                          "'\(path)' holds another model than model.kind \(model.kind.rawValue)"
                          + (model.hidden.isEmpty ? "" : " with hidden \(model.hidden)") + " makes: "
                          + differences.joined(separator: "; "))
            return nil
        }
        return path
    }
}
