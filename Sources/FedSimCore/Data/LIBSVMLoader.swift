/// Reads LIBSVM / SVMlight files: one sample per line, `label index:value index:value ...`
/// with 1-based, strictly increasing feature indices; absent features are 0.
///
/// Text from "#" to the end of a line is a comment, blank lines are skipped, and
/// SVMlight's `qid:N` tokens are ignored, or read as each row's client. Labels must be integers
/// ("+1", "-1", "3", "2.0"), or any finite number when they are read as real targets;
/// multi-label rows ("1,3") are rejected.
public enum LIBSVMLoader {
    /// The largest feature index (and dense width) read: 2^24.
    public static let maximumFeatures = 1 << 24
    /// The most values a loaded file may hold once dense (rows x width): 2^28 floats,
    /// 1 GiB. Files over it (rcv1, news20, url) are sparse data this dense loader cannot hold.
    public static let maximumDenseValues = 1 << 28

    /// Loads the file at `path`. See `parse` for the options.
    public static func load(path: String, featureCount: Int? = nil, labelValues: [Int]? = nil,
                            realTargets: Bool = false, clientsByQID: Bool = false) throws -> LoadedDataset {
        try parse(readFileBytes(path), name: path, featureCount: featureCount, labelValues: labelValues,
                  realTargets: realTargets, clientsByQID: clientsByQID)
    }

    /// Parses LIBSVM bytes into a dense dataset; `name` is the file name errors cite.
    ///
    /// - `featureCount`: the dense width; by default the largest index seen. Pass it to
    ///   load a test file as wide as its training file; a larger index is an error.
    /// - `labelValues`: the classes to use (class `c` is written `labelValues[c]`); by
    ///   default the sorted distinct labels found, so -1/+1 become classes 0/1.
    /// - `realTargets`: the labels are real targets (regression data: the dataset's
    ///   `targets`, its rows all of one class); no `labelValues` then.
    /// - `clientsByQID`: every row has a `qid:N` token, which names its client
    ///   (`LoadedDataset.clientIDs`).
    ///
    /// O(file length + rows x featureCount).
    public static func parse(_ contents: [UInt8], name: String, featureCount: Int? = nil,
                             labelValues: [Int]? = nil, realTargets: Bool = false,
                             clientsByQID: Bool = false) throws -> LoadedDataset {
        if let featureCount, !(1...maximumFeatures).contains(featureCount) {
            throw DataError(.invalidArgument, file: name,
                            "feature count must be in 1...\(maximumFeatures), got \(featureCount)")
        }
        let file = TextFile(name: name, contents: contents)
        var labels = try RowLabels(realTargets: realTargets, labelValues: labelValues)
        // Sparse rows: entries rowStarts[r]..<rowStarts[r + 1] of columns/values.
        var rowStarts = [0]
        var columns = [Int]()
        var values = [Float]()
        var largestIndex = 0
        var tokens = [Range<Int>]()
        var clientIDs = [String]()

        try file.forEachLine { line in
            let content = line.range.lowerBound..<(line.firstIndex(of: UInt8(ascii: "#"), in: line.range) ?? line.range.upperBound)
            line.tokens(content, into: &tokens)
            guard let labelToken = tokens.first else { return }
            try labels.append(line, labelToken, field: 1, file: name)
            var previousIndex = 0
            var client: String?
            for (position, token) in tokens.enumerated().dropFirst() {
                let field = position + 1
                guard let colon = line.firstIndex(of: UInt8(ascii: ":"), in: token) else {
                    throw DataError(.invalidIndex, file: name, line: line.number, field: field,
                                    "expected index:value, found \"\(line.text(token))\"")
                }
                if line.spells("qid", token.lowerBound..<colon) {
                    guard let id = line.digits((colon + 1)..<token.upperBound) else {
                        throw DataError(.invalidValue, file: name, line: line.number, field: field,
                                        "qid \"\(line.text((colon + 1)..<token.upperBound))\" is not a non-negative integer")
                    }
                    client = String(id)
                    continue
                }
                guard let index = line.digits(token.lowerBound..<colon) else {
                    throw DataError(.invalidIndex, file: name, line: line.number, field: field,
                                    "index \"\(line.text(token.lowerBound..<colon))\" is not a positive integer")
                }
                guard index > 0 else {
                    throw DataError(.invalidIndex, file: name, line: line.number, field: field,
                                    "indices are 1-based, found 0")
                }
                guard index > previousIndex else {
                    throw DataError(.invalidIndex, file: name, line: line.number, field: field,
                                    "index \(index) does not increase (previous index \(previousIndex))")
                }
                if let featureCount, index > featureCount {
                    throw DataError(.invalidIndex, file: name, line: line.number, field: field,
                                    "index \(index) exceeds the feature count \(featureCount)")
                }
                guard index <= maximumFeatures else {
                    throw DataError(.invalidIndex, file: name, line: line.number, field: field,
                                    "index \(index) is over the largest feature index read, \(maximumFeatures)")
                }
                guard let value = line.decimal((colon + 1)..<token.upperBound) else {
                    throw DataError(.invalidValue, file: name, line: line.number, field: field,
                                    "\"\(line.text((colon + 1)..<token.upperBound))\" is not a finite number")
                }
                previousIndex = index
                columns.append(index - 1)
                values.append(Float(value))
            }
            if clientsByQID {
                guard let client else {
                    throw DataError(.invalidValue, file: name, line: line.number,
                                    "no qid:N token names this row's client")
                }
                clientIDs.append(client)
            }
            largestIndex = max(largestIndex, previousIndex)
            rowStarts.append(columns.count)
        }

        guard labels.count > 0 else { throw DataError(.noData, file: name, "no data rows") }
        let width = featureCount ?? max(largestIndex, 1)
        guard labels.count <= maximumDenseValues / width else {
            throw DataError(.invalidArgument, file: name,
                            "\(labels.count) rows of \(width) features is over the \(maximumDenseValues) values "
                            + "(1 GiB) a dataset may hold once dense")
        }
        var dense = [Float](repeating: 0, count: labels.count * width)
        for row in 0..<labels.count {
            for entry in rowStarts[row]..<rowStarts[row + 1] {
                dense[row * width + columns[entry]] = values[entry]
            }
        }
        return labels.loaded(features: dense, featureCount: width, clientIDs: clientIDs)
    }
}
