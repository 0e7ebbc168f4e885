/// A dataset read from a file, with what the file called its classes.
public struct LoadedDataset: Equatable, Sendable {
    public var dataset: Dataset
    /// The file's label for each class: class `c` was written as `labelValues[c]`.
    /// Sorted ascending, unless the caller supplied the values to use; empty when the
    /// labels were read as real targets.
    public var labelValues: [Int]
    /// Feature column names from a CSV header, in feature order; empty without a header.
    public var featureNames: [String]
    /// Each row's client, as the file names it, when it was read with its clients (a
    /// CSV client column, LIBSVM `qid:` tokens, LEAF users); empty otherwise.
    public var clientIDs: [String]

    public init(dataset: Dataset, labelValues: [Int], featureNames: [String] = [], clientIDs: [String] = []) {
        self.dataset = dataset
        self.labelValues = labelValues
        self.featureNames = featureNames
        self.clientIDs = clientIDs
    }

    /// The rows of each client, clients in the order the file first names them: the
    /// data's natural partition. Empty without client ids. O(n).
    public func rowsByClient() -> [(id: String, rows: Dataset)] {
        var order: [String] = [], members: [String: [Int]] = [:]
        for (row, id) in clientIDs.enumerated() {
            if members[id] == nil { order.append(id) }
            members[id, default: []].append(row)
        }
        return order.map { ($0, dataset.subset(members[$0]!)) }
    }
}

/// Maps a file's integer labels to class ids `0..<k`.
///
/// Without given values the classes are the sorted distinct labels seen, so -1/+1
/// become 0/1 and 3/5/7 become 0/1/2. With given values (to load a test file with the
/// training file's classes) class `c` is `values[c]` and any other label is an error.
struct LabelEncoder {
    private let givenClasses: [Int: Int32]?
    private let givenValues: [Int]
    private var rawLabels: [Int] = []

    init(labelValues: [Int]?) throws {
        givenValues = labelValues ?? []
        guard let labelValues else {
            givenClasses = nil
            return
        }
        var classes = [Int: Int32]()
        for (index, value) in labelValues.enumerated() {
            guard classes.updateValue(Int32(index), forKey: value) == nil else {
                throw DataError(.invalidArgument, "label value \(value) appears twice in the given label values")
            }
        }
        givenClasses = classes
    }

    /// Records one row's label; `line` and `field` locate it for errors.
    mutating func append(_ label: Int, file: String, line: Int, field: Int) throws {
        if let problem = unknown(label) { throw DataError(.unknownLabel, file: file, line: line, field: field, problem) }
        rawLabels.append(label)
    }

    /// Records one row's label; `place` locates it for errors, as a JSON path.
    mutating func append(_ label: Int, file: String, at place: String) throws {
        if let problem = unknown(label) { throw DataError(.unknownLabel, file: file, "\(place): \(problem)") }
        rawLabels.append(label)
    }

    /// Why `label` cannot be recorded: it is not one of the given values; nil when it can.
    private func unknown(_ label: Int) -> String? {
        guard let givenClasses, givenClasses[label] == nil else { return nil }
        let classes = givenValues == Array(givenValues.indices) ? "the class ids 0...\(givenValues.count - 1)"
            : "the given label values \(givenValues)"
        return "label \(label) is not one of \(classes)"
    }

    /// The labels recorded.
    var count: Int { rawLabels.count }

    /// The class id of every recorded label and the label value of every class.
    /// O(n log n) without given values (sorting the distinct labels), O(n) with them.
    func encoded() -> (labels: [Int32], labelValues: [Int]) {
        if let givenClasses {
            return (rawLabels.map { givenClasses[$0]! }, givenValues)
        }
        let values = Set(rawLabels).sorted()
        let classes = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, Int32($0)) })
        return (rawLabels.map { classes[$0]! }, values)
    }
}

/// Each row's label field as a loader reads it: an integer class (through a
/// `LabelEncoder`) or, for regression, a real target.
struct RowLabels {
    private var encoder: LabelEncoder?
    private var targets: [Double] = []

    /// `realTargets` reads every label as a finite real number; otherwise labels are
    /// classes, as `LabelEncoder(labelValues:)` maps them.
    /// - Throws: `DataError.invalidArgument` for label values given with real targets,
    ///   and what `LabelEncoder` throws.
    init(realTargets: Bool, labelValues: [Int]?) throws {
        if realTargets {
            guard labelValues == nil else {
                throw DataError(.invalidArgument, "label values name classes, and real targets have none")
            }
        } else {
            encoder = try LabelEncoder(labelValues: labelValues)
        }
    }

    /// The rows read.
    var count: Int { encoder?.count ?? targets.count }

    /// Reads the label spelled by `range` of `line`, field number `field` (1-based).
    mutating func append(_ line: TextLine, _ range: Range<Int>, field: Int, file: String) throws {
        guard encoder != nil else {
            guard let target = line.decimal(range) else {
                throw DataError(.invalidValue, file: file, line: line.number, field: field,
                                "target \"\(line.text(line.trimmed(range)))\" is not a finite number")
            }
            targets.append(target)
            return
        }
        guard let label = line.integerLabel(range) else {
            throw DataError(.invalidValue, file: file, line: line.number, field: field,
                            "label \"\(line.text(line.trimmed(range)))\" is not an integer")
        }
        try encoder!.append(label, file: file, line: line.number, field: field)
    }

    /// The rows read so far, as a dataset of `features` (row-major, `featureCount` a row):
    /// classes and their label values, or regression data and no label values.
    func loaded(features: [Float], featureCount: Int, featureNames: [String] = [],
                clientIDs: [String] = []) -> LoadedDataset {
        guard let encoder else {
            return LoadedDataset(dataset: Dataset(features: features, targets: targets, featureCount: featureCount),
                                 labelValues: [], featureNames: featureNames, clientIDs: clientIDs)
        }
        let (classIds, classValues) = encoder.encoded()
        return LoadedDataset(dataset: Dataset(features: features, labels: classIds, featureCount: featureCount,
                                              classCount: classValues.count),
                             labelValues: classValues, featureNames: featureNames, clientIDs: clientIDs)
    }
}
