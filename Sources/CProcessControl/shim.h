// Linux process control that Swift cannot call directly (prctl is variadic, mallopt is
// in malloc.h, which Glibc does not import).
#include <signal.h>
#include <sys/prctl.h>

// Asks the kernel to send this process `signal` when its parent dies; 0 or -1 (errno).
static inline int fedsim_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

#include <malloc.h>

// Keeps freed memory in the process: blocks up to `mmap_threshold` bytes come from the
// heap, and up to `trim_threshold` bytes of free heap are not given back. 1 on success.
static inline int fedsim_keep_freed_memory(int mmap_threshold, int trim_threshold) {
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
}
