extension Scenario {
    /// The scenario with every default filled in, in the scenario-file format, so a run
    /// folder's `scenario.yaml` can be run again as it is.
    public var resolvedYAML: String {
        var lines = ["name: \(quoted(name))", "seed: \(seed)", "data:", "  source: \(data.source.kind)"]
        switch data.source {
        case let .csv(path, labelColumn):
            lines += ["  path: \(quoted(path))", "  label_column: \(labelColumn)"]
        case let .libsvm(path, features):
            lines += ["  path: \(quoted(path))", "  features: \(features)"]
        case let .idx(images, labels):
            lines += ["  images: \(quoted(images))", "  labels: \(quoted(labels))"]
        case let .synthetic(alpha, beta, features, classes, maxSamplesPerClient):
            lines += ["  alpha: \(alpha)", "  beta: \(beta)", "  features: \(features)", "  classes: \(classes)",
                      "  max_samples_per_client: \(maxSamplesPerClient)"]
        }
        lines += [
            "  normalize: \(data.normalize.rawValue)",
            "  test_fraction: \(data.testFraction)",
            "partition:",
            "  scheme: \(partition.scheme.rawValue)",
            "  clients: \(partition.clients)",
            "  alpha: \(partition.alpha)",
            "  min_samples: \(partition.minSamples)",
            "  shards_per_client: \(partition.shardsPerClient)",
            "model:",
            "  kind: \(model.kind.rawValue)",
            "  hidden: [\(model.hidden.map(String.init).joined(separator: ", "))]",
            "training:",
            "  local_epochs: \(training.epochs)",
            "  batch_size: \(training.batchSize)",
            "  learning_rate: \(training.learningRate)",
            "  optimizer: \(training.optimizer.rawValue)",
            "  momentum: \(training.momentum)",
            "  weight_decay: \(training.weightDecay)",
            "server:",
            "  algorithm: \(server.algorithm.rawValue)",
            "  rounds: \(server.rounds)",
            "  clients_per_round: \(server.clientsPerRound)",
            "  learning_rate: \(server.learningRate)",
            "  weighting: \(server.weighting.rawValue)",
            "evaluation:",
            "  every: \(evaluation.every)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A YAML double-quoted scalar: a JSON string is one.
private func quoted(_ text: String) -> String {
    JSONObject.quote(text)
}
