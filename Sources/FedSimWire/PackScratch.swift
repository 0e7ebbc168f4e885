/// C memory that protobuf-c structs point into while a message with a variable number
/// of nested structs (an `Assign` and its client shards) is packed.
///
/// Every copy is one bulk copy of trivially copyable values. All of it is freed at
/// once when the scratch is released, so keep it alive (`withExtendedLifetime`) for as
/// long as any pointer it returned is used.
final class PackScratch {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for allocation in allocations {
            allocation.deallocate()
        }
    }

    /// A copy of `elements`; O(n).
    func copy<Element: BitwiseCopyable>(_ elements: [Element]) -> UnsafeMutablePointer<Element> {
        let copy = UnsafeMutableBufferPointer<Element>.allocate(capacity: Swift.max(elements.count, 1))
        allocations.append(UnsafeMutableRawPointer(copy.baseAddress!))
        _ = copy.initialize(fromContentsOf: elements)
        return copy.baseAddress!
    }

    /// A copy of `value`.
    func store<Value: BitwiseCopyable>(_ value: Value) -> UnsafeMutablePointer<Value> {
        let copy = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        allocations.append(UnsafeMutableRawPointer(copy))
        copy.initialize(to: value)
        return copy
    }

    /// A NUL-terminated UTF-8 copy of `string`; O(n).
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        copy(Array(string.utf8CString))
    }
}
