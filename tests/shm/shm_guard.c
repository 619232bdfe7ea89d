/*
 * shm_guard.c - a ring whose segment shrinks, and a fork child killed at
 * its first instruction (issue 13, items 7 and 8; docs/shm.md,
 * "Truncation" and "Dead peers").  One binary, argv[1] names the case:
 *
 *   trunc MODE zero|half posix|sysv
 *       Two rings: one full, with a sender blocked in ipcx_send(-1), a
 *       sender polling with timeout 0 and one polling its ipcx_fd() (other
 *       processes), one empty, with a receiver blocked in ipcx_recv(-1)
 *       (and in mpmc and bcast a polling one and one on its ipcx_fd()).  Both segments are truncated (to 0 or to half) by
 *       this process, as `truncate -s` would (System V: through
 *       /proc/self/map_files, root only).  Every participant, and this
 *       process's own ends, must get -EIO: none may die of SIGBUS, none
 *       may hang (children have an alarm, loops a wall-clock guard).
 *   sigbus_app
 *       An application SIGBUS handler installed before ipcx still gets
 *       its own faults and kill(2)s; a ring's fault is not passed to it;
 *       a child with the default action still dies of its own fault.
 *   pair_sealed
 *       The memfd of an anonymous pair cannot be shrunk through
 *       /proc/self/fd (F_SEAL_SHRINK).
 *   fork_phantom
 *       A child SIGKILLed before ipcx's atfork child handler ran (an
 *       atfork handler registered before ipcx's kills it) leaves no
 *       receiver that holds a bcast sender back.
 *
 * Names carry the pid and are removed on failure; children are killed.
 */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define GUARD_MS 20000 /* a loop that has not ended by then hangs: fail, do not wait for ever */

static char names[4][128];
static int nnames;
static key_t keys[4];
static int nkeys;
static pid_t kids[8];
static int nkids;
static pid_t ever[16]; /* every child: a killed one leaves its doorbell FIFO behind */
static int never;

/* Remove /dev/shm/ipcx-bell-*-PID-* of pid (docs/shm.md names them). */
static void bells_of(pid_t pid)
{
    char tail[32];
    DIR *d = opendir("/dev/shm");
    struct dirent *de;
    if (!d)
        return;
    snprintf(tail, sizeof tail, "-%d-", (int) pid);
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "ipcx-bell-", 10) == 0 && strstr(de->d_name + 10, tail)) {
            char path[300];
            snprintf(path, sizeof path, "/dev/shm/%s", de->d_name);
            (void) unlink(path);
        }
    closedir(d);
}

static void cleanup(void)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0) {
            (void) kill(kids[i], SIGKILL);
            (void) waitpid(kids[i], NULL, 0);
        }
    for (int i = 0; i < nnames; i++)
        (void) shm_unlink(names[i]);
    for (int i = 0; i < nkeys; i++) {
        int id = shmget(keys[i], 0, 0);
        if (id >= 0)
            (void) shmctl(id, IPC_RMID, NULL);
    }
    for (int i = 0; i < never; i++)
        bells_of(ever[i]);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
    (void) nanosleep(&ts, NULL);
}

/* A ring URL for this case: POSIX "/ipcx-t-PID-tag" or a System V key, both remembered. */
static void ring_url(char *u, size_t cap, int sysv, const char *tag, const char *mode)
{
    if (sysv) {
        key_t k = (key_t) (0x1c000000 | ((getpid() & 0xfffff) << 4) | nkeys);
        keys[nkeys++] = k;
        snprintf(u, cap, "sysvshm:%d?mode=%s&maxmsg=64&size=4096", (int) k, mode);
    } else {
        snprintf(names[nnames], sizeof names[0], "/ipcx-t-%d-%s", (int) getpid(), tag);
        snprintf(u, cap, "shm:%s?mode=%s&maxmsg=64&size=4096", names[nnames++], mode);
    }
}

/*
 * Shrink the segment behind u to half its size or to 0, as another process
 * would: ftruncate of /dev/shm/NAME, or of the System V segment's file
 * through /proc/self/map_files (needs CAP_SYS_ADMIN: 77 if refused).
 */
static void shrink(const char *u, int half)
{
    int fd;
    size_t size;
    void *at = NULL;

    if (strncmp(u, "sysvshm:", 8) == 0) {
        struct shmid_ds ds;
        int id = shmget((key_t) strtol(u + 8, NULL, 10), 0, 0);
        T_OK(id >= 0 && shmctl(id, IPC_STAT, &ds) == 0);
        size = ds.shm_segsz;
        at = shmat(id, NULL, 0);
        T_OK(at != (void *) -1);
        char path[96];
        snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", (unsigned long) at,
                 (unsigned long) at + ((size + 4095) & ~(size_t) 4095));
        fd = open(path, O_RDWR);
        if (fd < 0 && (errno == EPERM || errno == EACCES)) {
            fprintf(stderr, "SKIP: cannot open %s to shrink a System V segment (%s): "
                            "needs root\n", path, strerror(errno));
            cleanup();
            exit(T_SKIP);
        }
        T_OK(fd >= 0);
    } else {
        char path[160];
        const char *q = strchr(u, '?');
        snprintf(path, sizeof path, "/dev/shm%.*s", (int) (q - (u + 4)), u + 4);
        fd = open(path, O_RDWR);
        T_OK(fd >= 0);
        struct stat st;
        T_OK(fstat(fd, &st) == 0);
        size = (size_t) st.st_size;
    }
    T_OK(ftruncate(fd, half ? (off_t) (size / 2) : 0) == 0);
    (void) close(fd);
    if (at)
        (void) shmdt(at);
}

/* How a child ended, as text, and 1 if it got what it should (-EIO, exit 0). */
static int kid_ok(pid_t pid, const char *who)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    for (int i = 0; i < nkids; i++)
        if (kids[i] == pid)
            kids[i] = 0;
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "%s (pid %d) was killed by signal %d (%s)\n", who, (int) pid,
                WTERMSIG(st), strsignal(WTERMSIG(st)));
        return 0;
    }
    if (WEXITSTATUS(st) != 0)
        fprintf(stderr, "%s (pid %d) exited with %d\n", who, (int) pid, WEXITSTATUS(st));
    return WEXITSTATUS(st) == 0;
}

/* A child: open u, say so on ready, then run one call; exit 0 if it ended in -EIO. */
enum role { TX_BLOCK, TX_POLL, RX_BLOCK, RX_POLL, TX_FD, RX_FD };

static pid_t kid(const char *u, enum role role, int ready)
{
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid > 0) {
        kids[nkids++] = pid;
        ever[never++] = pid;
        return pid;
    }
    alarm(30); /* a hang is a failure (SIGALRM), not a stuck test */
    t_cleanup = NULL;
    ipcx_chan *ch;
    int tx = role == TX_BLOCK || role == TX_POLL || role == TX_FD;
    int rc = ipcx_open(&ch, u, tx ? IPCX_SEND : IPCX_RECV);
    if (rc < 0) {
        fprintf(stderr, "child: open %s: %s [%s]\n", u, ipcx_strerror(rc), ipcx_errdetail());
        _exit(2);
    }
    char c = 1;
    (void) !write(ready, &c, 1);
    uint8_t buf[64] = { 0 };
    long r;
    int fd = role == TX_FD || role == RX_FD ? ipcx_fd(ch) : -1;
    if ((role == TX_FD || role == RX_FD) && fd < 0) {
        fprintf(stderr, "child: ipcx_fd: %s\n", ipcx_strerror(fd));
        _exit(2);
    }
    for (;;) {
        if (fd >= 0) {
            /* A program that waits in poll: with a timeout, as docs/shm.md asks. */
            struct pollfd pfd = { fd, tx ? POLLOUT : POLLIN, 0 };
            (void) poll(&pfd, 1, 100);
        }
        if (tx)
            r = ipcx_send(ch, buf, sizeof buf, 0, role == TX_BLOCK ? -1 : 0);
        else
            r = ipcx_recv(ch, buf, sizeof buf, NULL, role == RX_BLOCK ? -1 : 0);
        if (role == TX_BLOCK || role == RX_BLOCK || (r != -EAGAIN && r < 0))
            break;
        nap(1);
    }
    if (r != -EIO)
        fprintf(stderr, "child role %d: got %ld (%s) [%s], want -EIO\n", (int) role, r,
                r < 0 ? ipcx_strerror((int) r) : "a message", ipcx_errdetail());
    (void) ipcx_close(ch);
    _exit(r == -EIO ? 0 : 3);
}

/* Our own end: poll until it fails; it must fail with -EIO, and soon enough not to hang. */
static void own_end(ipcx_chan *ch, int tx)
{
    uint8_t buf[64] = { 0 };
    int64_t until = now_ms() + GUARD_MS;
    long r;
    for (;;) {
        r = tx ? ipcx_send(ch, buf, sizeof buf, 0, 0) : ipcx_recv(ch, buf, sizeof buf, NULL, 0);
        if (r < 0 && r != -EAGAIN)
            break;
        if (now_ms() > until)
            T_FAIL("the %s end still gets %ld after %d ms", tx ? "sending" : "receiving", r,
                   GUARD_MS);
        if (r == -EAGAIN)
            nap(1);
    }
    T_ERR(r, -EIO);
    /* And it stays so. */
    T_ERR(tx ? ipcx_send(ch, buf, sizeof buf, 0, 0) : ipcx_recv(ch, buf, sizeof buf, NULL, 0),
          -EIO);
}

/* A SIGBUS that reaches us (ipcx did not take it): fail, but leave nothing behind. */
static void crash_cleanup(int sig)
{
    static const char msg[] = "FAIL: this process got SIGBUS from the ring\n";
    (void) sig;
    (void) !write(2, msg, sizeof msg - 1);
    cleanup(); /* not async-signal-safe; a test on its way out */
    _exit(1);
}

static int t_trunc(const char *mode, const char *how, const char *kind)
{
    int sysv = strcmp(kind, "sysv") == 0, half = strcmp(how, "half") == 0;
    int many_rx = strcmp(mode, "mpmc") == 0 || strcmp(mode, "bcast") == 0;
    char full[160], empty[160];
    ipcx_chan *r0, *s0, *fill;
    int ready[2];
    uint8_t buf[64] = { 0 };

    if (sysv && geteuid() != 0) {
        fprintf(stderr, "SKIP: only root can shrink a System V segment\n");
        return T_SKIP;
    }
    signal(SIGBUS, crash_cleanup); /* before ipcx's, which chains to it for faults not its own */
    ring_url(full, sizeof full, sysv, "full", mode);
    ring_url(empty, sizeof empty, sysv, "empty", mode);
    T_OK(pipe(ready) == 0);

    /* The full ring: our receiver never reads; senders in other processes wait for room. */
    T_SUCCESS(ipcx_open(&r0, full, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    T_SUCCESS(ipcx_open(&fill, full, IPCX_SEND));
    int n = 0;
    while (ipcx_send(fill, buf, sizeof buf, 0, 0) == 0)
        n++;
    T_OK(n > 0);
    T_SUCCESS(ipcx_close(fill));
    pid_t txb = kid(full, TX_BLOCK, ready[1]);
    pid_t txp = kid(full, TX_POLL, ready[1]);
    pid_t txf = kid(full, TX_FD, ready[1]);

    /* The empty ring: our sender never sends until the end; receivers wait for messages. */
    T_SUCCESS(ipcx_open(&s0, empty, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    pid_t rxb = kid(empty, RX_BLOCK, ready[1]);
    pid_t rxp = many_rx ? kid(empty, RX_POLL, ready[1]) : 0;
    pid_t rxf = many_rx ? kid(empty, RX_FD, ready[1]) : 0;

    for (int i = 0; i < (many_rx ? 6 : 4); i++) {
        char c;
        T_OK(read(ready[0], &c, 1) == 1);
    }
    nap(50); /* let the blocking ones go to sleep (the result must be the same if not) */
    shrink(full, half);
    shrink(empty, half);

    int ok = kid_ok(txb, "the blocked sender");
    ok &= kid_ok(txp, "the polling sender");
    ok &= kid_ok(txf, "the sender that polls its descriptor");
    ok &= kid_ok(rxb, "the blocked receiver");
    if (rxp)
        ok &= kid_ok(rxp, "the polling receiver");
    if (rxf)
        ok &= kid_ok(rxf, "the receiver that polls its descriptor");
    T_OK(ok);
    own_end(r0, 0);
    own_end(s0, 1);
    T_SUCCESS(ipcx_close(r0));
    T_SUCCESS(ipcx_close(s0));
    cleanup();
    return 0;
}

/* ---- the application's own SIGBUS handler -------------------------------- */

static sigjmp_buf app_jmp;
static volatile sig_atomic_t app_faults, app_sent;

static void app_handler(int sig, siginfo_t *si, void *uc)
{
    (void) sig, (void) uc;
    if (si->si_code <= 0) {
        app_sent++;
        return;
    }
    app_faults++;
    siglongjmp(app_jmp, 1);
}

/* A page of our own that faults: a memfd mapped, then truncated to 0. */
static volatile char *own_fault_page(void)
{
    int fd = memfd_create("t-own", MFD_CLOEXEC);
    T_OK(fd >= 0 && ftruncate(fd, 8192) == 0);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    T_OK(p != MAP_FAILED);
    T_OK(ftruncate(fd, 0) == 0);
    (void) close(fd);
    return p;
}

static int t_sigbus_app(void)
{
    struct sigaction sa;
    char u[160];
    ipcx_chan *rx, *tx;
    uint8_t buf[64] = { 0 };

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = app_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    T_OK(sigaction(SIGBUS, &sa, NULL) == 0);

    /* ipcx installs its handler now, after ours. */
    ring_url(u, sizeof u, 0, "app", "spsc");
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));
    T_SUCCESS(ipcx_send(tx, buf, sizeof buf, 0, 0));

    /* Our own fault is ours. */
    volatile char *p = own_fault_page();
    if (sigsetjmp(app_jmp, 1) == 0) {
        p[100] = 1;
        T_FAIL("a store beyond the end of a truncated file did not fault");
    }
    T_EQ(app_faults, 1);
    /* A SIGBUS sent by kill(2) is ours too. */
    T_OK(kill(getpid(), SIGBUS) == 0);
    T_EQ(app_sent, 1);

    /* The ring's fault is ipcx's: -EIO, our handler not called. */
    shrink(u, 0);
    if (sigsetjmp(app_jmp, 1) == 0) {
        long r = ipcx_recv(rx, buf, sizeof buf, NULL, 0);
        T_ERR(r, -EIO);
        T_ERR(ipcx_send(tx, buf, sizeof buf, 0, 0), -EIO);
    } else {
        T_FAIL("the application's handler got the ring's fault");
    }
    T_EQ(app_faults, 1);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));

    /* And again after the ring is gone: ours, still. */
    if (sigsetjmp(app_jmp, 1) == 0) {
        (void) p[5000];
        T_FAIL("a load beyond the end of a truncated file did not fault");
    }
    T_EQ(app_faults, 2);

    /* A child with the default action dies of its own fault (ipcx chains to SIG_DFL). */
    char u3[160];
    snprintf(names[nnames], sizeof names[0], "/ipcx-t-%d-dfl", (int) getpid());
    snprintf(u3, sizeof u3, "shm:%s?mode=spsc", names[nnames++]);
    T_SUCCESS(ipcx_open(&rx, u3, IPCX_SEND | IPCX_CREATE | IPCX_EXCL));
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        alarm(10); /* a handler that returned without mending the fault would loop */
        /* Default action first, then a ring: ipcx's handler chains to SIG_DFL. */
        signal(SIGBUS, SIG_DFL);
        /* Under ASan its own handler would take the fault (and exit 1): not in this child. */
        char opts[512];
        const char *o = getenv("ASAN_OPTIONS");
        snprintf(opts, sizeof opts, "%s%shandle_sigbus=0", o ? o : "", o && *o ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
        execl("/proc/self/exe", "shm_guard", "sigbus_dfl", u3, (char *) NULL);
        _exit(5);
    }
    kids[nkids++] = pid;
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    kids[nkids - 1] = 0;
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGBUS)
        T_FAIL("the child ended with status %#x, want death by SIGBUS", st);
    T_SUCCESS(ipcx_close(rx));
    cleanup();
    return 0;
}

/* ---- an anonymous pair is sealed ----------------------------------------- */

/* The child of sigbus_app, exec'd with SIGBUS at its default: open u, then fault on our own. */
static int t_sigbus_dfl(const char *u)
{
    ipcx_chan *ch;
    t_cleanup = NULL;
    if (ipcx_open(&ch, u, IPCX_RECV) < 0)
        _exit(3);
    volatile char *q = own_fault_page();
    q[10] = 1;
    _exit(4); /* survived its own fault: wrong */
}

static int t_pair_sealed(void)
{
    ipcx_chan *e[2];
    T_SUCCESS(ipcx_pair("shm:?mode=spsc", e));
    /* Find its memfd and try to shrink it, as a process of ours could through /proc. */
    DIR *d = opendir("/proc/self/fd");
    T_OK(d);
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d))) {
        char path[300], link[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = 0;
        if (strncmp(link, "/memfd:ipcx-shm", 15) != 0)
            continue;
        int fd = open(path, O_RDWR);
        T_OK(fd >= 0);
        int r = ftruncate(fd, 0);
        int err = errno;
        (void) close(fd);
        if (r == 0)
            T_FAIL("the pair's memfd could be shrunk to 0");
        T_EQ(err, EPERM);
        found++;
    }
    closedir(d);
    T_OK(found > 0);
    uint8_t b[8] = { 1 };
    T_SUCCESS(ipcx_send(e[1], b, sizeof b, 0, 0));
    T_ERR(ipcx_recv(e[0], b, sizeof b, NULL, 0), (long) sizeof b);
    T_SUCCESS(ipcx_close(e[0]));
    T_SUCCESS(ipcx_close(e[1]));
    return 0;
}

/* ---- a child killed before ipcx's atfork handler ran ---------------------- */

static volatile int die_in_child;

/* Registered before ipcx's: child handlers run in registration order. */
static void die_first(void)
{
    if (die_in_child)
        raise(SIGKILL);
}

static int t_fork_phantom(void)
{
    char u[160];
    ipcx_chan *rx, *tx;
    uint8_t buf[64] = { 0 };

    T_OK(pthread_atfork(NULL, NULL, die_first) == 0);
    ring_url(u, sizeof u, 0, "phantom", "bcast");
    T_SUCCESS(ipcx_open(&rx, u, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    T_SUCCESS(ipcx_open(&tx, u, IPCX_SEND));

    die_in_child = 1;
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0)
        _exit(9); /* not reached: die_first killed us */
    die_in_child = 0;
    kids[nkids++] = pid;
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    kids[nkids - 1] = 0;
    T_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /*
     * Our receiver keeps up (one receive per send), so only the dead
     * child's copy could hold the sender back: a ring holds about 50 of
     * these, we send 20 rings' worth, each send waiting up to GUARD_MS.
     */
    for (int i = 0; i < 1000; i++) {
        int r = ipcx_send(tx, buf, sizeof buf, 0, GUARD_MS);
        if (r == -ETIMEDOUT)
            T_FAIL("send %d blocked for %d ms: the killed child's copy holds the ring", i,
                   GUARD_MS);
        T_SUCCESS(r);
        T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 0), (long) sizeof buf);
    }
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
    cleanup();
    return 0;
}

int main(int argc, char **argv)
{
    t_cleanup = cleanup;
    signal(SIGPIPE, SIG_IGN);
    if (argc == 5 && strcmp(argv[1], "trunc") == 0)
        return t_trunc(argv[2], argv[3], argv[4]);
    if (argc == 2 && strcmp(argv[1], "sigbus_app") == 0)
        return t_sigbus_app();
    if (argc == 3 && strcmp(argv[1], "sigbus_dfl") == 0)
        return t_sigbus_dfl(argv[2]);
    if (argc == 2 && strcmp(argv[1], "pair_sealed") == 0)
        return t_pair_sealed();
    if (argc == 2 && strcmp(argv[1], "fork_phantom") == 0)
        return t_fork_phantom();
    fprintf(stderr, "usage: %s trunc MODE zero|half posix|sysv | sigbus_app | pair_sealed | "
                    "fork_phantom\n", argv[0]);
    return 2;
}
