// Linux process control that Swift cannot call directly (prctl is variadic).
#include <signal.h>
#include <sys/prctl.h>

// Asks the kernel to send this process `signal` when its parent dies; 0 or -1 (errno).
static inline int fedsim_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}
