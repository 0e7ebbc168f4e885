/// Reads a LEAF-format JSON file, data already split by client (LEAF's FEMNIST, Shakespeare
/// after featurization, FedProx's synthetic sets):
///
///     {"users": ["f_00000", ...], "num_samples": [57, ...],
///      "user_data": {"f_00000": {"x": [[0.1, ...], ...], "y": [3, ...]}, ...}}
///
/// Each user's `x` rows are its features (numbers, every row as wide as the first) and
/// `y` its integer labels (written 3 or 3.0, as numpy's float labels are); `num_samples`,
/// when present, must agree with them. Rows come user by user in the order of `users`,
/// each row tagged with its user (`LoadedDataset.clientIDs`). Errors name the file and the JSON path of the problem.
public enum LEAFJSONLoader {
    /// Loads the file at `path`; `labelValues` as for `CSVLoader.parse`: the classes to
    /// use (the training file's, for a test file), by default the sorted distinct labels.
    public static func load(path: String, labelValues: [Int]? = nil, featureCount: Int? = nil) throws -> LoadedDataset {
        try parse(readFileBytes(path), name: path, labelValues: labelValues, featureCount: featureCount)
    }

    /// Parses LEAF JSON bytes; `name` is the file name errors cite. With `featureCount`,
    /// every row must have that many features (a test file as wide as its training file).
    /// O(file length).
    public static func parse(_ contents: [UInt8], name: String, labelValues: [Int]? = nil,
                             featureCount: Int? = nil) throws -> LoadedDataset {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: contents)
        } catch let error as JSONValue.SyntaxError {
            throw DataError(.invalidValue, file: name, "not JSON: \(error)")
        }
        func problem(_ place: String, _ message: String) -> DataError {
            DataError(.invalidValue, file: name, "\(place): \(message)")
        }
        guard root.members != nil else { throw problem("the file", "expected a JSON object with users and user_data") }
        guard case let .array(userValues)? = root["users"] else { throw problem("users", "expected an array of names") }
        let users = try userValues.enumerated().map { index, value in
            guard let user = value.string else { throw problem("users[\(index)]", "expected a string") }
            return user
        }
        guard !users.isEmpty else { throw DataError(.noData, file: name, "users is empty") }
        guard Set(users).count == users.count else {
            let repeated = Dictionary(grouping: users, by: { $0 }).first { $0.value.count > 1 }!.key
            throw problem("users", "\"\(repeated)\" appears twice")
        }
        guard let userData = root["user_data"], userData.members != nil else {
            throw problem("user_data", "expected an object with each user's x and y")
        }
        var declaredCounts: [Int]?
        if let counts = root["num_samples"] {
            guard case let .array(values) = counts, values.count == users.count else {
                throw problem("num_samples", "expected an array of \(users.count) counts, one per user")
            }
            declaredCounts = try values.enumerated().map { index, value in
                guard let count = value.integer, count >= 0 else {
                    throw problem("num_samples[\(index)]", "expected a non-negative integer")
                }
                return count
            }
        }

        var labels = try LabelEncoder(labelValues: labelValues)
        var features = [Float](), clientIDs = [String]()
        var width = featureCount
        for (index, user) in users.enumerated() {
            let place = "user_data[\"\(user)\"]"
            guard let data = userData[user] else { throw problem(place, "missing; users lists \"\(user)\"") }
            guard case let .array(rows)? = data["x"] else { throw problem(place + ".x", "expected an array of rows") }
            guard case let .array(ys)? = data["y"] else { throw problem(place + ".y", "expected an array of labels") }
            guard rows.count == ys.count else {
                throw problem(place, "\(rows.count) rows in x and \(ys.count) labels in y")
            }
            if let declared = declaredCounts?[index], declared != rows.count {
                throw problem("num_samples[\(index)]", "says \(declared) for \"\(user)\", whose data has \(rows.count) rows")
            }
            for (row, value) in rows.enumerated() {
                guard case let .array(numbers) = value else { throw problem("\(place).x[\(row)]", "expected an array of numbers") }
                if let width, numbers.count != width {
                    throw problem("\(place).x[\(row)]", "\(numbers.count) features, expected \(width)")
                }
                width = numbers.count
                for (column, number) in numbers.enumerated() {
                    guard case let .number(text) = number, let feature = Float(text), feature.isFinite else {
                        throw problem("\(place).x[\(row)][\(column)]", "expected a finite number")
                    }
                    features.append(feature)
                }
                guard let label = Self.integral(ys[row]) else {
                    throw problem("\(place).y[\(row)]", "expected an integer label")
                }
                try labels.append(label, file: name, at: "\(place).y[\(row)]")
                clientIDs.append(user)
            }
        }
        guard let width, width > 0, labels.count > 0 else { throw DataError(.noData, file: name, "no rows with features") }
        let (classIds, classValues) = labels.encoded()
        return LoadedDataset(dataset: Dataset(features: features, labels: classIds, featureCount: width,
                                              classCount: classValues.count),
                             labelValues: classValues, clientIDs: clientIDs)
    }

    /// A JSON number with an integral value (3, 3.0, 3e0) as an `Int`; nil otherwise.
    private static func integral(_ value: JSONValue) -> Int? {
        if let integer = value.integer { return integer }
        guard case let .number(text) = value, let number = Double(text), number == number.rounded(),
              abs(number) < 1e15 else { return nil }
        return Int(number)
    }
}
