/// C memory that protobuf-c structs point into while a message with a variable number
/// of nested structs (an `Assign`, its model's layers and its client shards) is packed.
///
/// Every copy is one bulk copy. All of it is freed at once when the scratch is
/// released, so keep it alive (`withExtendedLifetime`) for as long as any pointer it
/// returned is used.
final class PackScratch {
    private var releases: [() -> Void] = []

    deinit {
        for release in releases {
            release()
        }
    }

    /// A copy of `elements`; O(n).
    func copy<Element: BitwiseCopyable>(_ elements: [Element]) -> UnsafeMutablePointer<Element> {
        let copy = UnsafeMutableBufferPointer<Element>.allocate(capacity: Swift.max(elements.count, 1))
        releases.append { copy.deallocate() }
        _ = copy.initialize(fromContentsOf: elements)
        return copy.baseAddress!
    }

    /// A copy of `value`, which may be a C struct Swift does not see as bitwise copyable
    /// (one with a union, as a protobuf oneof is).
    func store<Value>(_ value: Value) -> UnsafeMutablePointer<Value> {
        let copy = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        copy.initialize(to: value)
        releases.append {
            copy.deinitialize(count: 1)
            copy.deallocate()
        }
        return copy
    }

    /// A NUL-terminated UTF-8 copy of `string`; O(n).
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        copy(Array(string.utf8CString))
    }
}
