/*
 * signals.c - seed 001, "a combination of exec, signals and shared
 * memory": a parent and a child it starts with fork + exec share a named
 * POSIX segment (/dev/shm/ipcx-signals-PID, created and removed by the
 * parent) and pass K values through it in lock step, each step announced
 * by a real-time signal that carries the value's number (sigqueue).
 *
 * No signal handler runs at all: both block the signals (the mask is kept
 * across exec) and take them with sigwaitinfo, so everything is done in
 * ordinary code, and real-time signals queue, so none is lost between
 * two waits.  The waiter checks that each signal came from its peer
 * (si_pid, si_code SI_QUEUE) before it believes the number.
 *
 *   parent                                  child (exec'd: signals --child)
 *   value = f(i) in the segment
 *   sigqueue(child, SIGRTMIN, i)  ------->  sigwaitinfo: i; checks value == f(i)
 *                                           reply = g(value) in the segment
 *   sigwaitinfo: i; checks reply  <-------  sigqueue(parent, SIGRTMIN+1, i)
 *
 * SIGCHLD is in the parent's wait set too: a child that dies (--kill-child-at
 * K: the parent SIGKILLs it after sending value K) is reported at once,
 * and the parent removes the segment.
 */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: ipcx demo signals [--values K] [--kill-child-at I] [--inject-bug]\n"
    "\n"
    "Seed 001's \"combination of exec, signals and shared memory\": the parent\n"
    "creates a named segment (/dev/shm/ipcx-signals-PID), starts a child with\n"
    "fork + exec, and passes K values (default 1000) through the segment in\n"
    "lock step: it writes value i, sigqueue()s SIGRTMIN with i to the child,\n"
    "which checks the value, writes an answer and sigqueue()s SIGRTMIN+1 with i\n"
    "back; the parent checks the answer.  Both block the signals and take them\n"
    "with sigwaitinfo(): no handler runs, so nothing unsafe can run in one.\n"
    "Each signal's sender is checked (si_pid, si_code SI_QUEUE).\n"
    "\n"
    "  --kill-child-at I  the parent SIGKILLs the child right after sending\n"
    "                     value I (0-based); SIGCHLD, in the same wait set,\n"
    "                     reports the death, and the parent removes the\n"
    "                     segment; the verdict is ok when that happened\n"
    "  --inject-bug       the child answers value K/2 wrongly: FAILED\n";

static const struct demo_info info = {
    .name = "signals",
    .summary = "an exec'd child, a named segment and real-time signals in lock step",
    .seed = "seed 001: a combination of exec, signals and shared memory",
    .usage = usage,
};

#define SEG_MAGIC 0x5349474e414c5331ULL /* "SIGNALS1" */

struct seg {
    uint64_t magic;
    uint64_t value; /* the parent's value i */
    uint64_t reply; /* the child's answer */
};

static uint64_t value_of(long i)
{
    return (uint64_t) i * 2654435761u + 17u;
}

static uint64_t answer_of(uint64_t v)
{
    return ~v ^ 0x5a5a5a5a5a5a5a5aULL;
}

/* The signals that end the demo early: the parent takes them with
 * sigwaitinfo too, kills the child and removes the segment first. */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static int is_stop(int s)
{
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        if (s == stop_signals[i])
            return 1;
    return 0;
}

static void block(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGRTMIN);
    sigaddset(set, SIGRTMIN + 1);
    sigaddset(set, SIGCHLD);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaddset(set, stop_signals[i]);
    if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
        demo_die("sigprocmask: %s", strerror(errno));
}

static struct seg *map_seg(int fd)
{
    void *p = mmap(NULL, sizeof(struct seg), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        demo_die("mmap: %s", strerror(errno));
    (void) close(fd);
    return p;
}

/* Wait for one of set from pid (others are counted and ignored). */
static int wait_from(const sigset_t *set, pid_t pid, siginfo_t *si, long *strangers)
{
    for (;;) {
        int s = sigwaitinfo(set, si);
        if (s < 0) {
            if (errno == EINTR)
                continue;
            demo_die("sigwaitinfo: %s", strerror(errno));
        }
        if (s == SIGCHLD || is_stop(s) || (si->si_pid == pid && si->si_code == SI_QUEUE))
            return s;
        (*strangers)++;
    }
}

/* The answer number i from pid, if it is pending now (no wait); 1 if taken. */
static int pending_answer(pid_t pid, int i, siginfo_t *si, long *strangers)
{
    sigset_t one;
    struct timespec zero = { 0, 0 };
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN + 1);
    while (sigtimedwait(&one, si, &zero) == SIGRTMIN + 1) {
        if (si->si_pid == pid && si->si_code == SI_QUEUE && si->si_value.sival_int == i)
            return 1;
        (*strangers)++;
    }
    return 0;
}

/* ---- the child, after exec ------------------------------------------- */

static int child_main(const char *name, long k, int bug)
{
    sigset_t set, one, stop;
    block(&set);
    sigemptyset(&stop); /* the child dies of these as usual */
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaddset(&stop, stop_signals[i]);
    (void) sigprocmask(SIG_UNBLOCK, &stop, NULL);
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN);
    pid_t parent = getppid();
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0)
        demo_die("child: shm_open %s: %s", name, strerror(errno));
    struct seg *s = map_seg(fd);
    if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) != SEG_MAGIC)
        demo_die("child: %s is not the parent's segment", name);
    union sigval sv = { .sival_int = -1 };
    if (sigqueue(parent, SIGRTMIN + 1, sv) < 0) /* ready */
        demo_die("child: sigqueue: %s", strerror(errno));
    long strangers = 0;
    for (long i = 0; i < k; i++) {
        siginfo_t si;
        wait_from(&one, parent, &si, &strangers);
        if (si.si_value.sival_int != (int) i)
            demo_die("child: signal for value %d, expected %ld", si.si_value.sival_int, i);
        uint64_t v = __atomic_load_n(&s->value, __ATOMIC_ACQUIRE);
        if (v != value_of(i))
            demo_die("child: value %ld is %llu, not %llu", i, (unsigned long long) v,
                     (unsigned long long) value_of(i));
        uint64_t a = answer_of(v) + (bug && i == k / 2);
        __atomic_store_n(&s->reply, a, __ATOMIC_RELEASE);
        sv.sival_int = (int) i;
        if (sigqueue(parent, SIGRTMIN + 1, sv) < 0)
            demo_die("child: sigqueue: %s", strerror(errno));
    }
    return 0;
}

/* ---- the parent ------------------------------------------------------ */

struct start {
    const char *name;
    char k[24], bug[4];
};

static int exec_child(void *arg, int unused)
{
    (void) unused;
    struct start *st = arg;
    char *args[] = { (char *) "signals", (char *) "--child", (char *) st->name, st->k, st->bug, NULL };
    execv("/proc/self/exe", args);
    fprintf(stderr, "signals: exec /proc/self/exe: %s\n", strerror(errno));
    return 127;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--child") == 0) {
        demo_start(&info, 1, argv); /* only the name, for messages */
        return child_main(argv[2], atol(argv[3]), atoi(argv[4]));
    }
    demo_start(&info, argc, argv);
    long k = 1000, kill_at = -1;
    int bug = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--values") == 0 && i + 1 < argc)
            k = demo_num(a, argv[++i], 1, 100000000);
        else if (strcmp(a, "--kill-child-at") == 0 && i + 1 < argc)
            kill_at = demo_num(a, argv[++i], 0, 100000000);
        else if (strcmp(a, "--inject-bug") == 0)
            bug = 1;
        else
            demo_unknown_arg(a, i + 1 == argc);
    }
    if (kill_at >= k)
        demo_usage_error("--kill-child-at %ld: there are only %ld values (0..%ld)", kill_at, k, k - 1);

    sigset_t set;
    block(&set); /* before the fork: no signal can come before it is waited for */
    char name[64];
    snprintf(name, sizeof name, "/ipcx-signals-%d", (int) getpid());
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        demo_die("shm_open %s: %s", name, strerror(errno));
    if (ftruncate(fd, sizeof(struct seg)) < 0) {
        int e = errno;
        (void) shm_unlink(name);
        demo_die("ftruncate %s: %s", name, strerror(e));
    }
    struct seg *s = map_seg(fd);
    __atomic_store_n(&s->magic, SEG_MAGIC, __ATOMIC_RELEASE);
    printf("signals: segment /dev/shm%s, %ld values, SIGRTMIN=%d there, SIGRTMIN+1 back\n", name, k,
           SIGRTMIN);

    struct start st = { .name = name };
    snprintf(st.k, sizeof st.k, "%ld", k);
    snprintf(st.bug, sizeof st.bug, "%d", bug);
    pid_t child = demo_fork(exec_child, &st, 0);

    long strangers = 0, passed = 0, wrong = 0;
    int died = 0, status = -1, ready = 0;
    siginfo_t si;
    /* The child is ready once it has mapped the segment. */
    int first = wait_from(&set, child, &si, &strangers), stopped = is_stop(first) ? first : 0;
    if (first == SIGCHLD)
        died = 1;
    else if (!stopped)
        ready = 1;
    for (long i = 0; ready && !died && i < k; i++) {
        __atomic_store_n(&s->value, value_of(i), __ATOMIC_RELEASE);
        union sigval sv = { .sival_int = (int) i };
        if (sigqueue(child, SIGRTMIN, sv) < 0)
            demo_die("sigqueue: %s", strerror(errno));
        if (i == kill_at) {
            printf("signals: SIGKILL to the child after value %ld\n", i);
            (void) kill(child, SIGKILL);
        }
        int sig;
        while ((sig = wait_from(&set, child, &si, &strangers)) != SIGCHLD && !is_stop(sig) &&
               si.si_value.sival_int != (int) i)
            ; /* a late duplicate cannot come: the numbers are in order */
        if (is_stop(sig)) {
            stopped = sig;
            break;
        }
        if (sig == SIGCHLD) {
            /* sigwaitinfo takes the lowest-numbered pending signal first:
             * SIGCHLD (17) before a real-time one.  A child that answered
             * and then exited has its answer pending already: take it. */
            died = 1;
            if (!pending_answer(child, (int) i, &si, &strangers))
                break;
        }
        uint64_t a = __atomic_load_n(&s->reply, __ATOMIC_ACQUIRE);
        if (a != answer_of(value_of(i))) {
            if (wrong++ == 0)
                printf("signals: the answer to value %ld is wrong\n", i);
        }
        passed++;
        if (died)
            break;
    }
    if (stopped)
        (void) kill(child, SIGKILL);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (died)
        printf("signals: SIGCHLD: the child %s after %ld values\n",
               WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited", passed);
    (void) munmap(s, sizeof *s);
    int removed = shm_unlink(name) == 0;
    int fd2 = shm_open(name, O_RDONLY, 0);
    if (fd2 >= 0)
        (void) close(fd2);
    removed = removed && fd2 < 0 && errno == ENOENT;
    printf("signals: %ld values passed, %ld wrong answers, %ld signals from strangers ignored, segment %s\n",
           passed, wrong, strangers, removed ? "removed" : "NOT removed");
    if (stopped) {
        fprintf(stderr, "signals: interrupted by signal %d: the child killed, the segment removed\n", stopped);
        fflush(NULL);
        /* Unblocked alone (an answer still pending must not be delivered:
         * its default action would kill us by the wrong signal). */
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, stopped);
        (void) signal(stopped, SIG_DFL);
        (void) raise(stopped);
        (void) sigprocmask(SIG_UNBLOCK, &only, NULL);
        _exit(128 + stopped);
    }

    if (kill_at >= 0) {
        int killed = died && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        int ok = killed && removed && wrong == 0 && passed >= kill_at && passed <= kill_at + 1;
        return demo_verdict(ok, ok ? "the child's SIGKILL after value %ld was reported by SIGCHLD, %ld values "
                                     "checked, the segment removed"
                                   : "the child killed after value %ld: %ld values passed, death %sreported",
                            kill_at, passed, killed ? "" : "NOT ");
    }
    /* The child may end (SIGCHLD) right after its last answer: that is fine. */
    int ok = passed == k && wrong == 0 && demo_exited_ok(status) && removed;
    if (!ok)
        return demo_verdict(0, "%ld of %ld values passed, %ld wrong answers%s%s", passed, k, wrong,
                            died && passed < k ? ", the child died" : "", removed ? "" : ", the segment not removed");
    return demo_verdict(1, "%ld values passed in lock step by real-time signals, each one checked, "
                           "the segment removed", k);
}
