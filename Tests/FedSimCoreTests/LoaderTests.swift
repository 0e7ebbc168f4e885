@testable import FedSimCore
import Foundation
import XCTest

/// A fresh directory for one test's files, removed afterwards.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedsim-data-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` in the directory and returns the file's path.
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file.path
    }

    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }
}

/// The error `body` throws, as a `DataError`; fails the test when it throws none.
func dataError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> DataError? {
    do {
        _ = try body()
        XCTFail("expected a DataError", file: file, line: line)
    } catch let error as DataError {
        return error
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
    return nil
}

final class CSVLoaderTests: XCTestCase {
    func testHeaderIsDetectedAndLabelsMapToSortedClasses() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("small.csv", "width,\"height\",label\r\n1.5,2,7\n\n 3 , -4e-1 ,3\n5,6,5\n")
        let loaded = try CSVLoader.load(path: path)
        XCTAssertEqual(loaded.featureNames, ["width", "height"])
        XCTAssertEqual(loaded.labelValues, [3, 5, 7])
        XCTAssertEqual(loaded.dataset.featureCount, 2)
        XCTAssertEqual(loaded.dataset.classCount, 3)
        XCTAssertEqual(loaded.dataset.features, [1.5, 2, 3, -0.4, 5, 6])
        XCTAssertEqual(loaded.dataset.labels, [2, 0, 1])
    }

    func testFileWithoutHeaderAndLabelColumnFirst() throws {
        let bytes = Array("1,0.5,0.25\n-1,2,4\n".utf8)
        let loaded = try CSVLoader.parse(bytes, name: "first.csv", labelColumn: 0)
        XCTAssertEqual(loaded.featureNames, [])
        XCTAssertEqual(loaded.labelValues, [-1, 1])
        XCTAssertEqual(loaded.dataset.features, [0.5, 0.25, 2, 4])
        XCTAssertEqual(loaded.dataset.labels, [1, 0])
        XCTAssertEqual(try CSVLoader.parse(bytes, name: "first.csv", labelColumn: -3), loaded)
    }

    func testExplicitHeaderFlags() throws {
        let numericHeader = Array("0,1,target\n4,5,1\n".utf8)
        XCTAssertEqual(try CSVLoader.parse(numericHeader, name: "a.csv").dataset.count, 1)
        let allNumbers = Array("0,1,2\n4,5,1\n".utf8)
        XCTAssertEqual(try CSVLoader.parse(allNumbers, name: "b.csv").dataset.count, 2)
        let forced = try CSVLoader.parse(allNumbers, name: "b.csv", header: .present)
        XCTAssertEqual(forced.featureNames, ["0", "1"])
        XCTAssertEqual(forced.dataset.features, [4, 5])
        let error = dataError { try CSVLoader.parse(numericHeader, name: "a.csv", header: .absent) }
        XCTAssertEqual(error?.description, "a.csv:1: field 3: label \"target\" is not an integer")
    }

    func testRaggedRowNamesFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("ragged.csv", "a,b,label\n1,2,0\n\n3,1\n")
        let error = dataError { try CSVLoader.load(path: path) }
        XCTAssertEqual(error?.kind, .raggedRow)
        XCTAssertEqual(error?.line, 4)
        XCTAssertEqual(error?.description, "\(path):4: expected 3 fields as on line 1, found 2")
    }

    func testNonNumericValueNamesLineAndField() {
        let error = dataError { try CSVLoader.parse(Array("1,2,0\n3,x4,1\n".utf8), name: "bad.csv") }
        XCTAssertEqual(error?.kind, .invalidValue)
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.field, 2)
        XCTAssertEqual(error?.description, "bad.csv:2: field 2: \"x4\" is not a finite number")
        for value in ["nan", "1e999", "", "1 2", "0x"] {
            let error = dataError { try CSVLoader.parse(Array("1,2,0\n3,\(value),1\n".utf8), name: "bad.csv") }
            XCTAssertEqual(error?.field, 2, value)
        }
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("1,2,0\n3,4,0.5\n".utf8), name: "bad.csv") }?.field, 3)
    }

    func testMissingFileEmptyFileAndUnknownLabel() throws {
        let missing = dataError { try CSVLoader.load(path: "/nonexistent/fedsim.csv") }
        XCTAssertEqual(missing?.kind, .fileNotFound)
        XCTAssertEqual(missing?.description, "/nonexistent/fedsim.csv: no such file")
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("x,y\n\n".utf8), name: "e.csv") }?.kind, .noData)
        let test = try CSVLoader.parse(Array("1,5\n2,9\n".utf8), name: "test.csv", labelValues: [9, 5])
        XCTAssertEqual(test.dataset.labels, [1, 0])
        XCTAssertEqual(test.dataset.classCount, 2)
        let unknown = dataError { try CSVLoader.parse(Array("1,5\n2,8\n".utf8), name: "test.csv", labelValues: [9, 5]) }
        XCTAssertEqual(unknown?.kind, .unknownLabel)
        XCTAssertEqual(unknown?.line, 2)
    }

    func testDigitsFile() throws {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/digits.csv").path
        let digits = try CSVLoader.load(path: path)
        XCTAssertEqual(digits.dataset.count, 1797)
        XCTAssertEqual(digits.dataset.featureCount, 64)
        XCTAssertEqual(digits.dataset.classCount, 10)
        XCTAssertEqual(digits.labelValues, Array(0...9))
        XCTAssertEqual(digits.dataset.features.min(), 0)
        XCTAssertEqual(digits.dataset.features.max(), 16)
        // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
        XCTAssertEqual(Array(digits.dataset.features[0..<6]), [0, 0, 5, 13, 9, 1])
        XCTAssertEqual(Array(digits.dataset.labels[0..<3]), [0, 1, 2])
    }
}

final class RealTargetLoaderTests: XCTestCase {
    func testCSVAndLIBSVMLabelsReadAsRealTargets() throws {
        let csv = try CSVLoader.parse(Array("x,y,price\n1,2,3.25\n4,5,-1e3\n7,8,0\n".utf8), name: "houses.csv",
                                      realTargets: true)
        XCTAssertEqual(csv.dataset, Dataset(features: [1, 2, 4, 5, 7, 8], targets: [3.25, -1000, 0], featureCount: 2))
        XCTAssertEqual(csv.labelValues, [])
        XCTAssertEqual(csv.featureNames, ["x", "y"])
        let first = try CSVLoader.parse(Array("0.5,1,2\n".utf8), name: "a.csv", labelColumn: 0, realTargets: true)
        XCTAssertEqual(first.dataset, Dataset(features: [1, 2], targets: [0.5], featureCount: 2))

        let svm = try LIBSVMLoader.parse(Array("2.5 1:1 3:2\n-0.125 2:4\n".utf8), name: "r.svm", realTargets: true)
        XCTAssertEqual(svm.dataset, Dataset(features: [1, 0, 2, 0, 4, 0], targets: [2.5, -0.125], featureCount: 3))
    }

    func testBadTargetsNameLineAndField() {
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("1,2\n3,nan\n".utf8), name: "a.csv", realTargets: true) }?
            .description, "a.csv:2: field 2: target \"nan\" is not a finite number")
        XCTAssertEqual(dataError { try LIBSVMLoader.parse(Array("1,3 1:1\n".utf8), name: "r.svm", realTargets: true) }?
            .description, "r.svm:1: field 1: target \"1,3\" is not a finite number")
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("1,2\n".utf8), name: "a.csv", labelValues: [2],
                                                       realTargets: true) }?.description,
                       "label values name classes, and real targets have none")
        XCTAssertEqual(dataError { try CSVLoader.parse(Array("a,b\n".utf8), name: "a.csv", realTargets: true) }?
            .description, "a.csv: no data rows")
    }
}

final class LIBSVMLoaderTests: XCTestCase {
    func testSparseRowsAndSignedLabels() throws {
        let text = """
        # two classes, -1 and +1
        +1 1:0.5 3:2   # trailing comment
        -1 2:-1.5
        -1

        +1 qid:3 1:1 4:4e0
        """
        let directory = try TemporaryDirectory()
        let loaded = try LIBSVMLoader.load(path: try directory.write("small.svm", text))
        XCTAssertEqual(loaded.labelValues, [-1, 1])
        XCTAssertEqual(loaded.dataset.labels, [1, 0, 0, 1])
        XCTAssertEqual(loaded.dataset.featureCount, 4)
        XCTAssertEqual(loaded.dataset.features, [
            0.5, 0, 2, 0,
            0, -1.5, 0, 0,
            0, 0, 0, 0,
            1, 0, 0, 4,
        ])
        let wide = try LIBSVMLoader.load(path: try directory.write("small.svm", text), featureCount: 6)
        XCTAssertEqual(wide.dataset.featureCount, 6)
        XCTAssertEqual(Array(wide.dataset.features[18..<24]), [1, 0, 0, 4, 0, 0])
    }

    func testMalformedTokensNameLineAndField() {
        func error(_ text: String, featureCount: Int? = nil) -> DataError? {
            dataError { try LIBSVMLoader.parse(Array(text.utf8), name: "t.svm", featureCount: featureCount) }
        }
        XCTAssertEqual(error("1 1:1\n0 2:1 0:3\n")?.description, "t.svm:2: field 3: indices are 1-based, found 0")
        XCTAssertEqual(error("1 3:1 3:2\n")?.description,
                       "t.svm:1: field 3: index 3 does not increase (previous index 3)")
        XCTAssertEqual(error("1 3:1 2:2\n")?.kind, .invalidIndex)
        XCTAssertEqual(error("1 2\n")?.description, "t.svm:1: field 2: expected index:value, found \"2\"")
        XCTAssertEqual(error("\n\n1 a:2\n")?.line, 3)
        XCTAssertEqual(error("1 1:x\n")?.description, "t.svm:1: field 2: \"x\" is not a finite number")
        XCTAssertEqual(error("1,3 1:2\n")?.description, "t.svm:1: field 1: label \"1,3\" is not an integer")
        XCTAssertEqual(error("1 5:1\n", featureCount: 4)?.description,
                       "t.svm:1: field 2: index 5 exceeds the feature count 4")
        XCTAssertEqual(error("# only a comment\n")?.kind, .noData)
    }

    /// A dense matrix is allocated before any row is copied: one huge index must not
    /// ask for gigabytes.
    func testHugeIndicesAndDenseSizesAreRefusedBeforeAllocating() {
        func error(_ text: String, featureCount: Int? = nil) -> DataError? {
            dataError { try LIBSVMLoader.parse(Array(text.utf8), name: "t.svm", featureCount: featureCount) }
        }
        XCTAssertEqual(error("1 16777217:1\n")?.description,
                       "t.svm:1: field 2: index 16777217 is over the largest feature index read, 16777216")
        XCTAssertEqual(error("1 99999999999999999999999:1\n")?.kind, .invalidIndex)
        XCTAssertEqual(error("1 1:1\n", featureCount: (1 << 24) + 1)?.kind, .invalidArgument)
        let rows = String(repeating: "1 1:1\n", count: 17) + "0 16777216:2\n"
        XCTAssertEqual(error(rows)?.description,
                       "t.svm: 18 rows of 16777216 features is over the 268435456 values (1 GiB) a dataset may hold once dense")
    }

    func testLabelsOutsideTheGivenClassIdsAreNamed() {
        let unknown = dataError { try CSVLoader.parse(Array("1,2\n2,1\n3,10\n".utf8), name: "c.csv", labelValues: Array(0..<10)) }
        XCTAssertEqual(unknown?.description, "c.csv:3: field 2: label 10 is not one of the class ids 0...9")
        let svm = dataError { try LIBSVMLoader.parse(Array("-1 1:1\n".utf8), name: "s.svm", labelValues: [0, 1]) }
        XCTAssertEqual(svm?.description, "s.svm:1: field 1: label -1 is not one of the class ids 0...1")
        let given = dataError { try CSVLoader.parse(Array("1,4\n".utf8), name: "c.csv", labelValues: [9, 5]) }
        XCTAssertEqual(given?.description, "c.csv:1: field 2: label 4 is not one of the given label values [9, 5]")
    }
}

final class IDXLoaderTests: XCTestCase {
    /// An IDX header: 00 00 08 dims, then each size as a big-endian UInt32.
    private func header(_ sizes: [Int]) -> [UInt8] {
        [0, 0, 0x08, UInt8(sizes.count)] + sizes.flatMap { size in
            (0..<4).reversed().map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
        }
    }

    func testImagesAndLabelsRoundTrip() throws {
        let pixels: [UInt8] = [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]
        let directory = try TemporaryDirectory()
        let images = try directory.write("images-idx3-ubyte", header([3, 2, 2]) + pixels)
        let labels = try directory.write("labels-idx1-ubyte", header([3]) + [7, 0, 2])
        XCTAssertEqual(header([3, 2, 2]).prefix(8), [0, 0, 8, 3, 0, 0, 0, 3])
        let dataset = try IDXLoader.load(images: images, labels: labels)
        XCTAssertEqual(dataset.count, 3)
        XCTAssertEqual(dataset.featureCount, 4)
        XCTAssertEqual(dataset.classCount, 8)
        XCTAssertEqual(dataset.labels, [7, 0, 2])
        XCTAssertEqual(dataset.features, pixels.map { Float($0) / 255 })
        XCTAssertEqual(Array(dataset.features[0..<4]), [0, 1, 0.2, 0.4])
        XCTAssertEqual(try IDXLoader.load(images: images, labels: labels, classCount: 10).classCount, 10)
    }

    func testBadMagicSizeMismatchAndCountMismatch() {
        let images = header([2, 2, 2]) + [UInt8](repeating: 9, count: 8)
        let labels = header([2]) + [1, 0]
        func error(_ images: [UInt8], _ labels: [UInt8], classCount: Int? = nil) -> DataError? {
            dataError { try IDXLoader.parse(images: images, imagesName: "img", labels: labels, labelsName: "lbl",
                                            classCount: classCount) }
        }
        var wrongMagic = images
        wrongMagic[0] = 0x12
        XCTAssertEqual(error(wrongMagic, labels)?.kind, .badMagic)
        XCTAssertEqual(error(wrongMagic, labels)?.file, "img")
        XCTAssertEqual(error([0x1F, 0x8B, 8, 0] + images, labels)?.kind, .corruptGzip)
        var floatType = images
        floatType[2] = 0x0D
        XCTAssert(error(floatType, labels)?.message.contains("0xd is not supported") == true)
        XCTAssertEqual(error(Array(images.dropLast()), labels)?.description,
                       "img: the header declares 2 x 2 x 2 = 8 bytes of data but the file holds 7")
        XCTAssertEqual(error(Array(images.prefix(10)), labels)?.kind, .sizeMismatch)
        XCTAssertEqual(error(images, header([3]) + [1, 0, 1])?.description, "lbl: 3 labels for the 2 images in img")
        XCTAssertEqual(error(images, labels, classCount: 1)?.kind, .invalidValue)
        XCTAssertEqual(dataError { try IDXLoader.load(images: "/nonexistent/img", labels: "/nonexistent/lbl") }?.kind,
                       .fileNotFound)
    }

    /// Compresses `path` with the gzip tool into `path.gz` (a 10-byte header: no name, no
    /// time) and returns the new file's path.
    private func gzip(_ path: String) throws -> String {
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tool.arguments = ["gzip", "--keep", "--force", "--no-name", path]
        try tool.run()
        tool.waitUntilExit()
        XCTAssertEqual(tool.terminationStatus, 0, "gzip \(path)")
        return path + ".gz"
    }

    /// A small IDX images file of 5 images of 3 x 2 pixels and its labels file, plain.
    private func smallIDXFiles(in directory: TemporaryDirectory) throws -> (images: String, labels: String) {
        let pixels = (0..<30).map { UInt8(truncatingIfNeeded: $0 * 37) }
        return (try directory.write("images-idx3-ubyte", header([5, 3, 2]) + pixels),
                try directory.write("labels-idx1-ubyte", header([5]) + [4, 1, 0, 1, 9]))
    }

    func testGzipFilesReadAsTheirDecompressedContents() throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try smallIDXFiles(in: directory)
        let plain = try IDXLoader.load(images: images, labels: labels)
        XCTAssertEqual(try IDXLoader.load(images: gzip(images), labels: gzip(labels)), plain)
        XCTAssertEqual(try IDXLoader.load(images: gzip(images), labels: labels), plain)

        // Concatenated members read as one file, as `gzip -d` reads them.
        let bytes = try readFileBytes(images)
        let front = try gzip(directory.write("front", Array(bytes.prefix(11))))
        let back = try gzip(directory.write("back", Array(bytes.dropFirst(11))))
        let joined = try directory.write("joined.gz", readFileBytes(front) + readFileBytes(back))
        XCTAssertEqual(try IDXLoader.load(images: joined, labels: labels), plain)

        // 100 kB in one member (the trailer gives the length), then followed by a 3-byte
        // member, whose trailer is the last: the 4 KiB buffer has to grow.
        let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let largeFile = try directory.write("large", large)
        XCTAssertEqual(try Gzip.decompress(readFileBytes(gzip(largeFile)), name: "large.gz"), large)
        let twoMembers = try readFileBytes(gzip(largeFile)) + readFileBytes(gzip(directory.write("small", [7, 8, 9])))
        XCTAssertEqual(try Gzip.decompress(twoMembers, name: "two.gz"), large + [7, 8, 9])
    }

    func testTruncatedOrCorruptGzipIsRefusedNamingTheFile() throws {
        let directory = try TemporaryDirectory()
        let (images, labels) = try smallIDXFiles(in: directory)
        let compressed = try readFileBytes(gzip(images))
        func failure(_ name: String, _ bytes: [UInt8]) throws -> DataError? {
            let path = try directory.write(name, bytes)
            return dataError { try IDXLoader.load(images: path, labels: labels) }
        }
        let truncated = try failure("truncated.gz", Array(compressed.dropLast(4)))
        XCTAssertEqual(truncated?.kind, .corruptGzip)
        XCTAssertEqual(truncated?.file, directory.url.appendingPathComponent("truncated.gz").path)
        XCTAssert(truncated?.description.contains("truncated.gz: the gzip data ends early") == true,
                  truncated?.description ?? "")
        XCTAssertEqual(try failure("half.gz", Array(compressed.prefix(compressed.count / 2)))?.kind, .corruptGzip)
        XCTAssertEqual(try failure("magic-only.gz", Gzip.magic)?.kind, .corruptGzip)

        var badChecksum = compressed
        badChecksum[compressed.count - 8] ^= 0xFF
        XCTAssertEqual(try failure("checksum.gz", badChecksum)?.description,
                       directory.url.appendingPathComponent("checksum.gz").path + ": corrupt gzip data: incorrect data check")
        XCTAssertEqual(try failure("trailing.gz", compressed + Array("junk".utf8))?.message,
                       "corrupt gzip data: incorrect header check")
        var badBlock = compressed
        badBlock[10] = 0xFF  // the first deflate block header: final block of reserved type 3
        XCTAssertEqual(try failure("block.gz", badBlock)?.message, "corrupt gzip data: invalid block type")
    }

    /// Debian's dataset-fashion-mnist package, read straight from its gzip files.
    func testFashionMNISTFromTheDebianPackage() throws {
        let folder = "/usr/share/datasets/fashion-mnist/"
        guard FileManager.default.fileExists(atPath: folder + "train-images-idx3-ubyte.gz") else {
            throw XCTSkip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; scripts/install-deps does)")
        }
        let parts = [("train", 60_000, [9, 0, 0, 3, 0], 76_247), ("t10k", 10_000, [9, 2, 1, 1, 6], 33_456)]
        for (part, count, firstLabels, firstImageSum) in parts {
            let data = try IDXLoader.load(images: folder + "\(part)-images-idx3-ubyte.gz",
                                          labels: folder + "\(part)-labels-idx1-ubyte.gz")
            XCTAssertEqual(data.count, count, part)
            XCTAssertEqual(data.featureCount, 28 * 28, part)
            XCTAssertEqual(data.classCount, 10, part)
            XCTAssertEqual(data.labels.prefix(5).map(Int.init), firstLabels, part)
            XCTAssertEqual(data.features.prefix(28 * 28).reduce(0, +) * 255, Float(firstImageSum), accuracy: 0.5, part)
            var perClass = [Int](repeating: 0, count: 10)
            for label in data.labels { perClass[Int(label)] += 1 }
            XCTAssertEqual(perClass, [Int](repeating: count / 10, count: 10), part)
        }
    }
}
