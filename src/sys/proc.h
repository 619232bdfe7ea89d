/*
 * proc.h - process identity: is (pid, start time) still the same live
 * process?  The one place that reads /proc/PID/stat.  A pid and its start
 * time (field 22, clock ticks since boot) name one process for the whole
 * uptime of the machine, so a reused pid is never taken for the process it
 * replaced.  Start times are uint64_t everywhere in ipcx; 0 means unknown.
 * Also the caller's own ids, resource limits and a yield of the CPU.
 */
#ifndef IPCX_SYS_PROC_H
#define IPCX_SYS_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* What /proc/PID/stat says about a process. */
struct ipcx__proc {
    char     state;     /* field 3: R, S, D, Z (zombie), X (dead), ... */
    uint64_t start;     /* field 22: start time, clock ticks since boot */
    char     comm[64];  /* field 2 without its parentheses; any bytes but NUL */
};

/*
 * Read /proc/PID/stat once.  The command name may hold spaces and ')', so
 * the fields after it are found from the last ')'.  0, -ESRCH (no such
 * process) or -EIO (a line we cannot read) or another -errno.
 */
int ipcx__proc_read(pid_t pid, struct ipcx__proc *p);

/* The start time of pid: 0, or -ESRCH / -EIO as ipcx__proc_read. */
int ipcx__proc_start(pid_t pid, uint64_t *start);

/*
 * 1 if the process (pid, start) still runs, 0 if it is gone: no such pid,
 * a zombie, or the pid now names a process with another start time.
 * start == 0 (unknown): the pid alone counts.  When /proc cannot tell (not
 * mounted), 1 for a pid that exists: never declare a live process dead.
 */
int ipcx__proc_alive(pid_t pid, uint64_t start);

/* A start time as seconds since the epoch (boot time + ticks / CLK_TCK), or -1. */
int64_t ipcx__proc_epoch(uint64_t start);

/*
 * Decimal digits at *p (no sign, no blank), at most max: 0 with *v set and
 * *p moved past them, -1 if there are none or the number exceeds max.  The
 * one strict number reader for /proc lines and the registry's entries.
 */
int ipcx__dec_u64(const char **p, uint64_t max, uint64_t *v);

/* A number read from a /proc file such as /proc/sys/fs/mqueue/msg_max; def if unreadable. */
long ipcx__proc_long(const char *path, long def);

/* Does this process hold the capability (e.g. CAP_SYS_RESOURCE = 24) in its effective set? */
int ipcx__has_cap(int cap);

/*
 * The kernel thread id of the caller, cached per thread (and renewed in a
 * fork child, whose only thread has a new id).  Inline, with the cache in
 * the initial-exec TLS model: every lock and unlock of src/sync/ asks, and
 * a call (plus __tls_get_addr in the shared library) was a fifth of an
 * uncontended ipcx_spin pair.  Initial-exec takes 4 bytes of the static
 * TLS block, which glibc keeps a surplus of for libraries loaded later by
 * dlopen (as libc, liburcu and Mesa do with theirs).
 */
extern _Thread_local uint32_t ipcx__self_tid_cache __attribute__((tls_model("initial-exec")));
uint32_t ipcx__self_tid_slow(void);
static inline uint32_t ipcx__self_tid(void)
{
    uint32_t t = ipcx__self_tid_cache;
    return t ? t : ipcx__self_tid_slow();
}

/*
 * The children of the calling thread, from /proc/self/task/TID/children
 * (Linux 3.5+, CONFIG_PROC_CHILDREN), zombies included until reaped, into
 * out[0..cap): how many, -ENOSPC if there are more than cap, or -errno
 * (-ENOENT: the kernel has no such file).  The ring's fork handlers use it
 * to learn the pid of the child that fork(2) just made, which
 * pthread_atfork does not pass (docs/shm.md, fork).
 */
int ipcx__children(pid_t *out, size_t cap);

/* The caller's pid and effective uid (getpid, geteuid: they cannot fail). */
pid_t ipcx__self_pid(void);

/*
 * The caller's pid from a cache that the fork child's atfork handler
 * clears (as the thread id's above): a load, where ipcx__self_pid is a
 * system call.  For the batched sends, which ask on every queued message
 * whether the queue is still this process's.  A child made by a raw
 * clone(2), which runs no atfork handler, would see its parent's pid.
 */
extern pid_t ipcx__self_pid_cache;
pid_t ipcx__self_pid_slow(void);
static inline pid_t ipcx__self_pid_cached(void)
{
    pid_t p = __atomic_load_n(&ipcx__self_pid_cache, __ATOMIC_RELAXED);
    return p ? p : ipcx__self_pid_slow();
}
uid_t ipcx__self_euid(void);

/* getrlimit(2): 0 or -errno. */
int ipcx__getrlimit(int resource, struct rlimit *rl);

/* Give the CPU to another thread (sched_yield, which cannot fail). */
void ipcx__yield(void);

#endif
