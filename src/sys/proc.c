/*
 * proc.c - process identity from /proc/PID/stat (see proc.h).  No policy:
 * callers decide what a dead process means for them.
 */
#include "fault.h"
#include "proc.h"
#include "sys.h"

#include <errno.h>
#include <sys/syscall.h>
#include <ctype.h>
#include <stdlib.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ipcx__dec_u64(const char **p, uint64_t max, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    int n = 0;
    for (; *s >= '0' && *s <= '9'; s++, n++) {
        uint64_t d = (uint64_t) (*s - '0');
        if (x > (max - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    if (n == 0)
        return -1;
    *p = s;
    *v = x;
    return 0;
}

/* A field of /proc: a number that ends at a space, a newline or the end. */
static int proc_num(const char **p, uint64_t *v)
{
    const char *s = *p;
    if (ipcx__dec_u64(&s, UINT64_MAX, v) < 0 || (*s && *s != ' ' && *s != '\n'))
        return -1;
    *p = s;
    return 0;
}

int ipcx__proc_read(pid_t pid, struct ipcx__proc *out)
{
    char path[64], buf[1024];
    if (pid <= 0)
        return -ESRCH;
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    IPCX_FAULT_POINT(open_stat);
    int fd = IPCX_FAILS(open_stat) ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    ssize_t n = ipcx__read(fd, buf, sizeof buf - 1);
    (void) ipcx__close(fd);
    if (n <= 0)
        return n == 0 || n == -ESRCH ? -ESRCH : (int) n;
    buf[n] = '\0';
    /* "PID (COMM) S ...": COMM may hold spaces and ')': the last ')' ends it. */
    const char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ' ||
        !close_paren[2])
        return -EIO;
    struct ipcx__proc p;
    size_t clen = (size_t) (close_paren - open_paren - 1);
    if (clen >= sizeof p.comm)
        clen = sizeof p.comm - 1;
    memcpy(p.comm, open_paren + 1, clen);
    p.comm[clen] = '\0';
    p.state = close_paren[2];
    /* Fields 3..21 each end at a space; field 22 follows the 19th of them. */
    const char *s = close_paren + 2;
    for (int field = 3; field < 22; field++) {
        s = strchr(s, ' ');
        if (!s)
            return -EIO;
        s++;
    }
    if (proc_num(&s, &p.start) < 0)
        return -EIO;
    *out = p;
    return 0;
}

int ipcx__proc_start(pid_t pid, uint64_t *start)
{
    struct ipcx__proc p;
    int r = ipcx__proc_read(pid, &p);
    if (r == 0)
        *start = p.start;
    return r;
}

int ipcx__proc_alive(pid_t pid, uint64_t start)
{
    struct ipcx__proc p;
    if (pid <= 0)
        return 0;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 0;
    int r = ipcx__proc_read(pid, &p);
    if (r == -ESRCH)
        return 0;
    if (r < 0)
        return 1; /* cannot tell (e.g. no /proc): assume alive, never steal */
    /* A zombie keeps its pid and start time until reaped: it is gone for us. */
    if (p.state == 'Z' || p.state == 'X' || p.state == 'x')
        return 0;
    return start == 0 || p.start == start;
}

/* The boot time from /proc/stat's btime line, once; -1 if unknown. */
static int64_t proc_btime(void)
{
    static _Atomic int64_t cached = -2;
    int64_t bt = atomic_load_explicit(&cached, memory_order_relaxed);
    if (bt != -2)
        return bt;
    /* Line by line: the intr line before btime can be many kilobytes long. */
    char line[256];
    int at_start = 1;
    bt = -1;
    FILE *f = fopen("/proc/stat", "re");
    while (f && fgets(line, sizeof line, f)) {
        const char *l = line + 6;
        uint64_t v;
        if (at_start && strncmp(line, "btime ", 6) == 0 && proc_num(&l, &v) == 0) {
            bt = (int64_t) v;
            break;
        }
        at_start = strchr(line, '\n') != NULL;
    }
    if (f)
        (void) fclose(f);
    atomic_store_explicit(&cached, bt, memory_order_relaxed);
    return bt;
}

int64_t ipcx__proc_epoch(uint64_t start)
{
    long tck = sysconf(_SC_CLK_TCK);
    int64_t bt = proc_btime();
    if (bt < 0)
        return -1;
    return bt + (int64_t) (start / (uint64_t) (tck > 0 ? tck : 100));
}

/* ---- small readers of /proc ------------------------------------------ */

long ipcx__proc_long(const char *path, long def)
{
    char buf[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return def;
    ssize_t n = ipcx__read(fd, buf, sizeof buf - 1);
    (void) ipcx__close(fd);
    if (n <= 0)
        return def;
    buf[n] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    return errno || end == buf ? def : v;
}

int ipcx__has_cap(int cap)
{
    char line[256];
    int has = 0;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "CapEff:", 7) == 0) {
            unsigned long long bits = strtoull(line + 7, NULL, 16);
            has = cap >= 0 && cap < 64 && (bits >> cap) & 1;
            break;
        }
    }
    (void) fclose(f);
    return has;
}

/* ---- thread id ---------------------------------------------------- */

_Thread_local uint32_t ipcx__self_tid_cache __attribute__((tls_model("initial-exec")));
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

/* fork() keeps the calling thread's thread-local values in the child,
 * whose thread has another id: forget the cached one there. */
static void self_forget(void)
{
    ipcx__self_tid_cache = 0;
    __atomic_store_n(&ipcx__self_pid_cache, 0, __ATOMIC_RELAXED);
}

static void self_register(void)
{
    (void) pthread_atfork(NULL, NULL, self_forget);
}

uint32_t ipcx__self_tid_slow(void)
{
    (void) pthread_once(&self_once, self_register);
    ipcx__self_tid_cache = (uint32_t) syscall(SYS_gettid);
    return ipcx__self_tid_cache;
}

pid_t ipcx__self_pid_cache;

pid_t ipcx__self_pid_slow(void)
{
    (void) pthread_once(&self_once, self_register);
    pid_t p = getpid();
    __atomic_store_n(&ipcx__self_pid_cache, p, __ATOMIC_RELAXED);
    return p;
}

/* ---- children -------------------------------------------------------- */

int ipcx__children(pid_t *out, size_t cap)
{
    char path[64], buf[512];
    size_t n = 0;
    long cur = -1; /* the number being read, -1 between numbers */
    ssize_t got;

    snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long) syscall(SYS_gettid));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    while ((got = ipcx__read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            if (c >= '0' && c <= '9') {
                cur = (cur < 0 ? 0 : cur) * 10 + (c - '0');
                if (cur > 0x7fffffff) {
                    (void) close(fd);
                    return -EIO;
                }
                continue;
            }
            if (cur >= 0) {
                if (n == cap) {
                    (void) close(fd);
                    return -ENOSPC;
                }
                out[n++] = (pid_t) cur;
            }
            cur = -1;
        }
    }
    (void) close(fd);
    if (got < 0)
        return (int) got;
    if (cur >= 0) {
        if (n == cap)
            return -ENOSPC;
        out[n++] = (pid_t) cur;
    }
    return (int) n;
}

/* ---- the caller: ids, limits, the scheduler ----------------------------- */

pid_t ipcx__self_pid(void)
{
    return getpid();
}

uid_t ipcx__self_euid(void)
{
    return geteuid();
}

int ipcx__getrlimit(int resource, struct rlimit *rl)
{
    IPCX_FAULT_POINT(getrlimit);
    return IPCX_FAILS(getrlimit) || getrlimit(resource, rl) < 0 ? -errno : 0;
}

void ipcx__yield(void)
{
    (void) sched_yield();
}
