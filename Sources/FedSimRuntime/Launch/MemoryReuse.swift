import CProcessControl

/// glibc gives a large freed block back to the kernel (an mmap'd one at once, the top
/// of the heap past its trim threshold), so each model-sized vector allocated again
/// (4.5 MB for a million parameters, several times per client update: a received
/// tensor, a trained copy, a gradient) costs a page fault and a zeroed page per 4 KiB.
/// fedsim keeps freed memory for reuse instead: blocks up to 32 MB (glibc's largest
/// threshold) come from the heap, and up to 256 MB of it stays free for the next ones.
public enum MemoryReuse {
    /// Sets glibc's thresholds for this process; call it once, first thing.
    public static func apply() {
        _ = fedsim_keep_freed_memory(32 << 20, 256 << 20)
    }
}
