import CZlib

/// Gzip decompression in memory (RFC 1952) through zlib, for data files shipped
/// compressed, such as the IDX files of MNIST and Fashion-MNIST.
enum Gzip {
    /// The two bytes every gzip member starts with.
    static let magic: [UInt8] = [0x1F, 0x8B]

    /// zlib's window-bits value that reads a gzip header and trailer (15, the largest
    /// window, plus 16).
    private static let gzipWindowBits: Int32 = 15 + 16

    /// `bytes` themselves, or their decompressed contents (`decompress`) when they start
    /// with gzip's magic bytes.
    static func plain(_ bytes: [UInt8], name: String) throws -> [UInt8] {
        bytes.starts(with: magic) ? try decompress(bytes, name: name) : bytes
    }

    /// The decompressed contents of `compressed`: one gzip member, or several one after
    /// the other (as `cat a.gz b.gz` makes them; `gzip -d` reads those as one file too).
    /// Each member's CRC-32 and length are checked. `name` is the file errors cite.
    /// O(decompressed length).
    /// - Throws: `DataError.corruptGzip` naming `name` when the data ends before its last
    ///   member's trailer, fails a check, or has bytes after a member that do not start
    ///   another one.
    static func decompress(_ compressed: [UInt8], name: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expectedLength(compressed))
        var produced = 0
        var stream = z_stream()
        try ZlibCall.check(inflateInit2_(&stream, gzipWindowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)),
                           stream, file: name)
        defer { inflateEnd(&stream) }
        try compressed.withUnsafeBufferPointer { input in
            // zlib counts bytes in 32 bits: input and output go through in chunks below 4 GiB.
            var handedIn = 0
            var status = Z_OK
            repeat {
                if stream.avail_in == 0, handedIn < input.count {
                    let chunk = min(input.count - handedIn, Int(UInt32.max))
                    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + handedIn)
                    stream.avail_in = UInt32(chunk)
                    handedIn += chunk
                }
                if produced == output.count {
                    output.append(contentsOf: repeatElement(0, count: output.count))
                }
                status = try output.withUnsafeMutableBufferPointer { buffer in
                    let room = min(buffer.count - produced, Int(UInt32.max))
                    stream.next_out = buffer.baseAddress! + produced
                    stream.avail_out = UInt32(room)
                    defer {
                        produced += room - Int(stream.avail_out)
                        stream.next_out = nil
                    }
                    return try ZlibCall.check(inflate(&stream, Z_NO_FLUSH), stream, file: name)
                }
                if status == Z_STREAM_END, stream.avail_in > 0 || handedIn < input.count {
                    status = try ZlibCall.check(inflateReset(&stream), stream, file: name)
                }
            } while status != Z_STREAM_END
            stream.next_in = nil
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// The length the output buffer starts with: the last member's trailer gives its
    /// length modulo 2^32, which is the whole length for one member under 4 GiB. Capped
    /// at deflate's largest ratio (1032 to 1), so a corrupt trailer cannot ask for more,
    /// and at least 4 KiB; `decompress` doubles the buffer when it is short.
    private static func expectedLength(_ compressed: [UInt8]) -> Int {
        guard compressed.count >= 18 else { return 4096 }
        let trailerLength = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
        return max(4096, min(trailerLength, compressed.count * 1032))
    }
}

/// zlib's status codes as Swift errors: every zlib call's result goes through `check`.
enum ZlibCall {
    /// `status`, unless it is a zlib failure, which is thrown as a `DataError` naming
    /// `file` with the reason zlib gives in `stream`. `decompress` always leaves output
    /// room, so `Z_BUF_ERROR` from `inflate` means the input ran out: a truncated file.
    @discardableResult
    static func check(_ status: Int32, _ stream: z_stream, file: String) throws -> Int32 {
        switch status {
        case Z_OK, Z_STREAM_END:
            return status
        case Z_BUF_ERROR:
            throw DataError(.corruptGzip, file: file,
                            "the gzip data ends early, after \(stream.total_out) decompressed bytes (a truncated file?)")
        case Z_DATA_ERROR, Z_NEED_DICT:
            let reason = stream.msg.map { String(cString: $0) } ?? "not gzip data"
            throw DataError(.corruptGzip, file: file, "corrupt gzip data: \(reason)")
        case Z_MEM_ERROR:
            throw DataError(.unreadableFile, file: file, "out of memory while decompressing the gzip data")
        default:
            throw DataError(.unreadableFile, file: file, "zlib failed with status \(status) (zlib \(String(cString: zlibVersion())))")
        }
    }
}
