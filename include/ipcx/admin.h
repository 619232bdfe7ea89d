/*
 * ipcx/admin.h - what a tool that watches and cleans up IPC objects needs
 * from libipcx (the `ipcx ls`, `ipcx stat` and `ipcx gc` commands are built
 * on it and nothing else): the per-user registry of which processes use
 * which named objects, process identity (is this pid still the process that
 * wrote an entry?), the sweep of dead shm rings' doorbells, and removal
 * primitives that act only on the very object that was looked at.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * value on failure; ipcx_errdetail() says more about the last failure of
 * this thread.  Nothing here prints, and nothing but the removal functions
 * and ipcx_reg_remove() changes anything.
 *
 * Trust: the registry holds files that other users wrote.  Every string of
 * an entry comes from outside: escape it before printing, and believe an
 * entry about an object only when the entry's user (uid) is the object's
 * owner (see docs/mq.md, "The user registry", and docs/security.md).
 */
#ifndef IPCX_ADMIN_H
#define IPCX_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ipcx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the user registry -------------------------------------------------- */

typedef struct ipcx_reg_iter ipcx_reg_iter;

/* Flags of ipcx_reg_open(). */
#define IPCX_REG_ALL 0x1 /* every user's registry that can be read (root), not only ours */

/* What ipcx_reg_next() reports (struct ipcx_reg_entry.verdict). */
#define IPCX_REG_ENTRY   1 /* a valid entry: every field is set */
#define IPCX_REG_SKIPPED 2 /* an entry that is not valid: why says why, obj..consistent unset */
#define IPCX_REG_REFUSED 3 /* a registry directory that was not read: why says why */

/*
 * One report of a registry walk.  The library owns it: it stays valid until
 * the next ipcx_reg_next() or ipcx_reg_close() on the same iterator.
 * size is sizeof the struct the library filled: fields a later version adds
 * go at the end, and exist when size covers them.
 */
struct ipcx_reg_entry {
    size_t      size;
    int         verdict;    /* IPCX_REG_ENTRY, IPCX_REG_SKIPPED or IPCX_REG_REFUSED */
    int         err;        /* 0 for an entry; -EBADMSG (skipped), -EPERM (refused) or -errno */
    uid_t       uid;        /* whose registry */
    const char *dir;        /* that registry's directory */
    const char *name;       /* the entry's file name in dir; "" for a directory */
    const char *why;        /* one line (names from outside: escape it); "" for an entry */
    /* Set for IPCX_REG_ENTRY only, from a file of user uid: untrusted. */
    const char *obj;        /* the object, as ipcx_reg_object() spells it */
    const char *url;        /* the URL the process opened, its relative path made absolute */
    pid_t       pid;        /* the process that wrote it */
    uint64_t    start;      /* that process's start time, ticks since boot; 0 unknown */
    int         recv;       /* 1 a receiving end, 0 a sending end */
    int         created;    /* 1 if that process created the object */
    int         consistent; /* 1 if obj is the object url names */
};

/*
 * Read the registry: ours, or with IPCX_REG_ALL every user's that we may
 * read.  The walk is done here, once; ipcx_reg_next() hands out what it
 * found.  0, -ENOENT when the registry is off (IPCX_REGISTRY=off),
 * -EINVAL, -ENOMEM, or the -errno of a base directory that cannot be read.
 */
IPCX_API int ipcx_reg_open(ipcx_reg_iter **it, int flags);
/* The next report into *e: 1, or 0 at the end (*e then untouched), -EINVAL. */
IPCX_API int ipcx_reg_next(ipcx_reg_iter *it, const struct ipcx_reg_entry **e);
/* Free the iterator and every report it gave (NULL is fine).  0. */
IPCX_API int ipcx_reg_close(ipcx_reg_iter *it);

/*
 * Remove entry name from the registry of uid, after checking that
 * directory again as ipcx_reg_open() does.  0, -EINVAL (not an entry's
 * name), -ENOENT, -EPERM (a refused directory) or -errno.
 */
IPCX_API int ipcx_reg_remove(uid_t uid, const char *name);

/* The registry's base directory (for messages) into buf: its length, -ENOENT (off), -ENAMETOOLONG. */
IPCX_API int ipcx_reg_base(char *buf, size_t cap);

/*
 * The object a channel URL names, as the registry and `ipcx ls` spell it:
 * scheme:path without the query, the relative path of a filesystem object
 * (fifo:, unix:) made absolute with our working directory; a System V URL
 * (sysvmq:, sysvshm:, sysvsem:) in any form the library reads (KEY
 * decimal, 0xKEY, /path?proj=N) by its key, "SCHEME:0x" and 8 hex digits,
 * or "SCHEME:?id=N".  Its length, -EINVAL (no URL of a named object),
 * -ENOENT (no file for an ftok path), -EPROTONOSUPPORT (unknown scheme) or
 * -ENAMETOOLONG.
 */
IPCX_API int ipcx_reg_object(const char *url, char *buf, size_t cap);

/* ---- process identity --------------------------------------------------- */

/* What /proc/PID/stat says about a process. */
struct ipcx_proc_info {
    char     state;    /* R, S, D, Z (zombie), X (dead), ... */
    uint64_t start;    /* start time, clock ticks since boot */
    char     comm[64]; /* its command name: any bytes but NUL (escape it) */
};

/*
 * Read pid's /proc/PID/stat into *info; size is sizeof *info.  0, -ESRCH
 * (no such process), -EIO (a line that cannot be read), -EINVAL (size too
 * small) or -errno.
 */
IPCX_API int ipcx_proc_read(pid_t pid, struct ipcx_proc_info *info, size_t size);

/*
 * 1 if the process (pid, start) still runs, 0 if it is gone: no such pid,
 * a zombie, or a pid reused by a process with another start time.  start 0:
 * the pid alone counts.  When /proc cannot tell, 1 for a pid that exists.
 */
IPCX_API int ipcx_proc_alive(pid_t pid, uint64_t start);

/* A start time as seconds since the epoch into *secs: 0, or -EIO (the boot time is unknown). */
IPCX_API int ipcx_proc_epoch(uint64_t start, int64_t *secs);

/* ---- removal of what was looked at -------------------------------------- */

/* Flags of the functions below and of ipcx_bell_sweep(). */
#define IPCX_ADMIN_DRY 0x1 /* check everything, remove nothing */

/*
 * Remove the doorbell FIFOs of shm rings whose owner process is gone (their
 * names say pid and start time; docs/shm.md): only FIFOs, and only ours
 * unless we are root.  seen (may be NULL) hears of each: err 0 removed (or
 * would be, with IPCX_ADMIN_DRY), else the -errno of the failed unlink.
 * The number removed, or -errno when the directory cannot be read.
 */
IPCX_API int ipcx_bell_sweep(int flags,
                             void (*seen)(void *arg, const char *path, pid_t pid, int err),
                             void *arg);

/* Kinds of System V objects. */
#define IPCX_SYSV_MSG 1 /* a message queue */
#define IPCX_SYSV_SHM 2 /* a shared memory segment */
#define IPCX_SYSV_SEM 3 /* a semaphore set */

/*
 * Remove the System V object of that kind by its id, if its owner is still
 * owner: a new object made under the same key has another id and is never
 * touched.  0, -ENOENT (no such id), -EPERM (another owner now: see
 * ipcx_errdetail), -EINVAL or -errno.
 */
IPCX_API int ipcx_sysv_remove(int kind, int id, uid_t owner, int flags);

/* What a file must still be for a removal to go ahead. */
struct ipcx_file_check {
    mode_t type; /* S_IFIFO, S_IFSOCK or S_IFREG */
    uid_t  uid;  /* its owner, on whose behalf it is removed */
    dev_t  dev;  /* with ino: the very file that was looked at */
    ino_t  ino;  /* 0: any file of that type and owner */
};

/*
 * Remove the file at the absolute path if it is still what *want says;
 * size is sizeof *want.  The parent directory is opened once, uid must be
 * allowed to remove names in it, and the name is looked at and removed
 * through that descriptor (never following a symbolic link).  0, -ENOENT,
 * -EPERM (not the file looked at, or not uid's to remove: ipcx_errdetail),
 * -EINVAL or -errno.
 */
IPCX_API int ipcx_unlink_checked(const char *path, const struct ipcx_file_check *want,
                                 size_t size, int flags);

/*
 * The same for a POSIX message queue by name ("/name"), for machines where
 * /dev/mqueue is not mounted: the queue is opened, checked by its
 * descriptor (want->type is not looked at), and then unlinked.  0, -ENOENT,
 * -EPERM, -EINVAL or -errno.
 */
IPCX_API int ipcx_mq_unlink_checked(const char *name, const struct ipcx_file_check *want,
                                    size_t size, int flags);

/* ---- what a shared-memory ring holds ------------------------------------ */

#define IPCX_RING_PARTS 64 /* participants a ring has room for */

/* One participant of a ring (an open handle), as ipcx_ring_stat() read it. */
struct ipcx_ring_part {
    pid_t    pid;
    int      role;     /* IPCX_SEND or IPCX_RECV */
    int      alive;    /* 1 the process (pid, start) runs; 0 it is gone */
    int      armed;    /* 1 its doorbell is armed (it waits through ipcx_fd()) */
    int      fifo;     /* 1 it may have a doorbell FIFO */
    uint64_t start;    /* its start time, clock ticks since boot; 0 while registering */
};

/*
 * The state of a shm: or sysvshm: ring.  size is sizeof the struct the
 * library filled: fields a later version adds go at the end.  Everything
 * but the layout (version .. slot_size, checked) is a snapshot of memory
 * other processes change and may forge: counts are clamped to what the
 * layout allows, and nothing here is trusted for more than printing.
 */
struct ipcx_ring_info {
    size_t   size;
    unsigned version;     /* layout version (IPCX_SHM_VERSION of the library that made it) */
    char     mode[8];     /* "spsc", "mpsc", "mpmc" or "bcast" */
    int      drop;        /* bcast with overflow=drop */
    uint64_t seg_size;    /* bytes of the segment */
    uint64_t capacity;    /* bytes of ring data */
    uint64_t maxmsg;      /* the largest message */
    uint32_t nslots;      /* slot rings (mpsc, mpmc): slots; else 0 */
    uint32_t slot_size;   /* slot rings: bytes per slot, header included; else 0 */
    uint64_t bytes;       /* queued: byte rings, bytes of records (headers and padding
                             included) not yet read by the slowest receiver; slot rings,
                             payload bytes of full slots */
    uint64_t messages;    /* queued messages (bcast: for the slowest registered receiver) */
    unsigned senders, receivers; /* registered, as the ring counts them */
    unsigned bells;       /* receivers with a doorbell */
    unsigned armed_senders; /* senders whose doorbell is armed (the ring was full for them) */
    int      fifos;       /* 1 once anybody made a doorbell FIFO for this ring */
    int      suspect;     /* 1: the shared indices are impossible (forged or torn):
                             bytes and messages are bounds, not counts */
    unsigned nparts;      /* entries of part[] that are set */
    struct ipcx_ring_part part[IPCX_RING_PARTS];
};

/*
 * Read the ring of url (shm:/name, sysvshm:KEY, sysvshm:?id=N) into *info
 * without joining it or changing anything; size is sizeof *info.  A
 * segment that shrinks while it is read gives -EIO, never SIGBUS.  0,
 * -ENOENT, -EACCES (it may not be mapped), -EPROTO (not an ipcx ring, or
 * a layout this library does not read: ipcx_errdetail says what),
 * -EAGAIN (its creator has not laid it out yet), -EINVAL or -errno.
 */
IPCX_API int ipcx_ring_stat(const char *url, struct ipcx_ring_info *info, size_t size);

#ifdef __cplusplus
}
#endif

#endif
