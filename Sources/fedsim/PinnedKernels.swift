import Foundation

/// OpenBLAS chooses its kernels for the CPU it finds when it loads, and kernels for
/// different CPUs add up a product in different orders: the same run on two hosts with
/// different CPUs (or in a container, where detection can differ) would then differ in
/// its last bits. fedsim pins the kernels instead. A process started without
/// `OPENBLAS_CORETYPE` replaces itself, once and before computing anything, with the
/// same command under `OPENBLAS_CORETYPE=Haswell` (AVX2 and FMA: every x86-64 server CPU
/// since 2013); worker processes inherit the setting. A value the user sets is kept, and
/// CPUs without AVX2 and FMA, or of another architecture, use what OpenBLAS detects.
enum PinnedKernels {
    static let variable = "OPENBLAS_CORETYPE"
    static let coreType = "Haswell"

    /// Re-executes this process with the pinned kernels when it needs to; returns when
    /// it does not (or when the re-execution fails, which only loses the pinning).
    static func relaunchIfNeeded() {
        #if os(Linux) && arch(x86_64)
        guard getenv(variable) == nil, cpuHasAVX2AndFMA() else { return }
        setenv(variable, coreType, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
    }

    /// Whether /proc/cpuinfo lists the avx2 and fma flags.
    private static func cpuHasAVX2AndFMA() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        let names = Set(flags.split(separator: " ").map(String.init))
        return names.contains("avx2") && names.contains("fma")
    }
}
