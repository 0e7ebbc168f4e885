/// Reads IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST.
///
/// An IDX file is a big-endian header, `0x00 0x00 type dims`, then `dims` 32-bit sizes,
/// then the elements in row-major order. Only element type 0x08 (unsigned byte) is read.
/// A file may be gzip-compressed, as the `.gz` downloads are: it is decompressed in
/// memory (whatever its name, a file starting with gzip's magic bytes 1f 8b is gzip).
public enum IDXLoader {
    /// Loads an images file (`n x d1 x d2 x ...`) and its labels file (`n`), each plain
    /// or gzip-compressed. See `parse` for the result.
    public static func load(images: String, labels: String, classCount: Int? = nil) throws -> Dataset {
        try parse(images: readFileBytes(images), imagesName: images,
                  labels: readFileBytes(labels), labelsName: labels, classCount: classCount)
    }

    /// Builds a dataset from IDX bytes, plain or gzip-compressed: each image flattened row-major into
    /// `d1 * d2 * ...` features scaled by 1/255 into [0, 1], each label byte a class id.
    /// `classCount` defaults to the largest label + 1; a label at or above a given
    /// `classCount` is an error. The names are what errors cite. O(decompressed length).
    public static func parse(images: [UInt8], imagesName: String, labels: [UInt8], labelsName: String,
                             classCount: Int? = nil) throws -> Dataset {
        let images = try Gzip.plain(images, name: imagesName)
        let labels = try Gzip.plain(labels, name: labelsName)
        let imageArray = try IDXArray(images, name: imagesName)
        let labelArray = try IDXArray(labels, name: labelsName)
        guard labelArray.dimensions.count == 1 else {
            throw DataError(.sizeMismatch, file: labelsName,
                            "a labels file has one dimension, found \(labelArray.dimensions.count)")
        }
        let count = imageArray.dimensions[0]
        guard labelArray.dimensions[0] == count else {
            throw DataError(.countMismatch, file: labelsName,
                            "\(labelArray.dimensions[0]) labels for the \(count) images in \(imagesName)")
        }
        guard count > 0 else { throw DataError(.noData, file: imagesName, "no images") }
        let featureCount = imageArray.dimensions.dropFirst().reduce(1, *)
        let features = images[imageArray.payloadStart...].map { Float($0) / 255 }
        let classIds = labels[labelArray.payloadStart...].map { Int32($0) }
        let largestLabel = Int(classIds.max()!)
        if let classCount, classCount <= largestLabel {
            throw DataError(.invalidValue, file: labelsName,
                            "label \(largestLabel) is not below the class count \(classCount)")
        }
        return Dataset(features: features, labels: classIds, featureCount: featureCount,
                       classCount: classCount ?? largestLabel + 1)
    }
}

/// The header of an IDX file of unsigned bytes, checked against the file's length.
private struct IDXArray {
    static let unsignedByteType: UInt8 = 0x08

    let dimensions: [Int]
    /// Offset of the first element.
    let payloadStart: Int

    init(_ bytes: [UInt8], name: String) throws {
        guard bytes.count >= 4 else {
            throw DataError(.sizeMismatch, file: name, "\(bytes.count) bytes is too short for an IDX header")
        }
        guard bytes[0] == 0, bytes[1] == 0, bytes[3] > 0 else {
            let magic = bytes[0..<4].map { String($0, radix: 16) }.joined(separator: " ")
            throw DataError(.badMagic, file: name,
                            "bad magic number (bytes \(magic)); IDX files start with 00 00, a type byte and a dimension count")
        }
        guard bytes[2] == Self.unsignedByteType else {
            throw DataError(.badMagic, file: name,
                            "element type 0x\(String(bytes[2], radix: 16)) is not supported; only 0x08 (unsigned byte) is")
        }
        let dimensionCount = Int(bytes[3])
        payloadStart = 4 + 4 * dimensionCount
        guard bytes.count >= payloadStart else {
            throw DataError(.sizeMismatch, file: name,
                            "the header declares \(dimensionCount) dimensions but the file has only \(bytes.count) bytes")
        }
        dimensions = (0..<dimensionCount).map { dimension in
            let offset = 4 + 4 * dimension
            return bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        var elementCount = 1
        for size in dimensions {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw DataError(.sizeMismatch, file: name, "the declared sizes \(dimensions) overflow")
            }
            elementCount = product
        }
        guard bytes.count - payloadStart == elementCount else {
            let shape = dimensions.map(String.init).joined(separator: " x ")
            throw DataError(.sizeMismatch, file: name,
                            "the header declares \(shape) = \(elementCount) bytes of data but the file holds \(bytes.count - payloadStart)")
        }
    }
}
