extension Dataset {
    /// The rows whose label lies in one of `groups`, each relabelled with the index of
    /// its group: `[[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]` makes the digits an even-against-odd
    /// task, `[[3], [8]]` keeps only the threes and the eights. Rows in no group are
    /// dropped; the result has `groups.count` classes. O(rows x featureCount).
    /// - Throws: `DataError.invalidArgument` when a group is empty, a label is negative or
    ///   outside the data's classes, or a label is in two groups.
    public func regrouped(_ groups: [[Int]]) throws -> Dataset {
        var groupOfLabel = [Int32](repeating: -1, count: classCount)
        for (group, labels) in groups.enumerated() {
            guard !labels.isEmpty else {
                throw DataError(.invalidArgument, "label group \(group) is empty")
            }
            for label in labels {
                guard (0..<classCount).contains(label) else {
                    throw DataError(.invalidArgument, "label \(label) of group \(group) is outside the data's classes 0..<\(classCount)")
                }
                guard groupOfLabel[label] < 0 else {
                    throw DataError(.invalidArgument, "label \(label) is in two groups")
                }
                groupOfLabel[label] = Int32(group)
            }
        }
        let kept = labels.indices.filter { groupOfLabel[Int(labels[$0])] >= 0 }
        let subset = subset(kept)
        return Dataset(features: subset.features, labels: subset.labels.map { groupOfLabel[Int($0)] },
                       featureCount: featureCount, classCount: groups.count)
    }
}
