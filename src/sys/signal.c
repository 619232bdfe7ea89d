/*
 * signal.c - the library's EINTR rule: whether a wait a signal interrupted
 * returns -EINTR or resumes (see sys.h).
 */
#include "sys.h"

#include <pthread.h>
#include <signal.h>

int ipcx__intr_returns(void)
{
    sigset_t blocked;
    if (pthread_sigmask(SIG_BLOCK, NULL, &blocked) != 0)
        return 1;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP || sigismember(&blocked, sig) == 1)
            continue;
        /*
         * A fault signal is raised by the faulting instruction in its own
         * thread, never while that thread sleeps in poll: its handler (a
         * sanitizer's or a crash reporter's, rarely SA_RESTART) cannot be
         * what interrupted us.
         */
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
            sig == SIGTRAP || sig == SIGSYS)
            continue;
        if (sigaction(sig, NULL, &sa) != 0)
            continue; /* a signal number glibc reserves for itself */
        if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
            continue;
        if (!(sa.sa_flags & SA_RESTART))
            return 1;
    }
    return 0;
}
