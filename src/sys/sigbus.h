/*
 * sigbus.h - shared mappings that another process can shrink under us
 * (a POSIX segment truncated by anyone whom its mode admits, a System V
 * segment truncated by root through /proc/PID/map_files) must not kill
 * us with SIGBUS.  A *zone* is such a mapping, registered here; one
 * SIGBUS handler, installed at the first zone and chaining to whatever
 * was installed before it, turns a fault inside a zone into a dead zone:
 * the whole range is replaced by private anonymous memory (so the
 * faulting access and every later one succeed, on zeros) and the zone's
 * dead flag is set.  The ring then answers -EIO for the channel.  Faults
 * outside every zone, and SIGBUS sent by kill(2), go to the previous
 * handler (or the default action) untouched.  docs/shm.md, "Truncation".
 */
#ifndef IPCX_SIGBUS_H
#define IPCX_SIGBUS_H

#include <stdatomic.h>
#include <stddef.h>

struct ipcx__sigbus_zone {
    _Atomic(char *)  base;   /* NULL: this node is free */
    _Atomic size_t   size;
    _Atomic int      dead;   /* 1: the mapping was replaced, the segment shrank */
    int              fd;     /* the segment's descriptor for fstat, or -1 (System V) */
    _Atomic int      used;   /* claimed by a registration */
    struct ipcx__sigbus_zone *next; /* every node ever made; never freed */
};

/*
 * Guard the shared mapping [base, base + size) of the segment open as fd
 * (-1 if it has none: System V).  Installs the handler at the first call.
 * 0 and *z, or a negative errno (nothing guarded).
 */
int ipcx__sigbus_guard(void *base, size_t size, int fd, struct ipcx__sigbus_zone **z);

/*
 * Stop guarding z (before the mapping is unmapped).  Returns 1 if the zone
 * was dead, i.e. base is now private anonymous memory (munmap it, System V
 * shmdt would fail), else 0.  Accepts NULL.
 */
int ipcx__sigbus_unguard(struct ipcx__sigbus_zone *z);

/* The live registration whose mapping starts at base, or NULL. */
struct ipcx__sigbus_zone *ipcx__sigbus_find(const void *base);

/* 1 once the zone's segment shrank under it (one relaxed load: the fast path's check). */
static inline int ipcx__sigbus_dead(const struct ipcx__sigbus_zone *z)
{
    return z && atomic_load_explicit(&((struct ipcx__sigbus_zone *) z)->dead,
                                     memory_order_relaxed);
}

/*
 * Look whether the segment shrank without a fault having told us: fstat
 * of the descriptor (its size below the mapping's), or, without one, a
 * read of the mapping's last byte (a fault there makes the zone dead, if
 * our handler is the one installed).  A shrunk zone is killed as by the
 * handler.  1 if the zone is dead now, else 0.  A system call: call it
 * before sleeping and after sleeps, never per message.
 */
int ipcx__sigbus_check(struct ipcx__sigbus_zone *z);

/* Replace the zone's mapping with private anonymous memory and mark it dead (tests, fuzzing). */
void ipcx__sigbus_kill(struct ipcx__sigbus_zone *z);

#endif
