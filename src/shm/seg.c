/*
 * seg.c - create, attach and remove shared memory segments of three kinds:
 * POSIX shared memory objects (/dev/shm), System V segments (ipcs -m) and
 * anonymous memfd mappings that a child inherits over fork.  The ring on
 * top is the same for all three.  This file never looks inside a segment.
 *
 * A POSIX segment is made under no name and named only once the ring is
 * laid out in it (ipcx__seg_publish): an attacher finds a whole ring or
 * nothing, and never waits.  System V has no such step: a key names its
 * segment from shmget on, and its attachers wait for the ring's magic.
 *
 * Like the rest of libipcx outside src/sys/, it makes no system call of
 * its own: the -errno wrappers of src/sys/ (shmfile.h for POSIX shm,
 * memfd and mappings, sysv.h for shmget and shmat, fs.h for fstat) do,
 * each with a fault point.
 */
#include "seg.h"
#include "../util/err.h"
#include "../util/owner.h"
#include "../sys/fs.h"
#include "../sys/shmfile.h"
#include "../sys/sigbus.h"
#include "../sys/sys.h"
#include "../sys/sysv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>

void ipcx__seg_init(struct ipcx__seg *s, enum ipcx__seg_kind kind)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->fd = -1;
    s->shmid = -1;
}

/*
 * A segment that another process may shrink while we map it: accesses
 * beyond its new end would raise SIGBUS.  Guard the mapping (sigbus.h):
 * such a fault turns the channel's ring into -EIO instead.  fd: the
 * segment's descriptor for the size checks, -1 for System V.
 */
static int seg_guard(struct ipcx__seg *s, int fd)
{
    int rc = ipcx__sigbus_guard(s->base, s->size, fd, &s->zone);
    if (rc < 0)
        return ipcx__fail(rc, "cannot guard the shared memory mapping against truncation");
    return 0;
}

/*
 * An anonymous segment (memfd) can still be truncated by a process that
 * opens /proc/PID/fd/N: seal it against shrinking (and seal the seals).
 * 1 if sealed; 0 if not (an old kernel, no sealing): the caller guards.
 */
static int seg_seal(struct ipcx__seg *s)
{
    return ipcx__shmfile_seal(s->fd, F_SEAL_SHRINK | F_SEAL_SEAL) == 0;
}

/* shm_open for s into s->fd; quiet: the one error returned without a detail (the caller's). */
static int seg_shm_open(struct ipcx__seg *s, int flags, mode_t mode, int quiet)
{
    int fd = ipcx__shm_open(s->name, flags, mode);
    if (fd < 0)
        return fd == quiet ? fd : ipcx__fail(fd, "shm_open %s", s->name);
    s->fd = fd;
    return 0;
}

/* shmget for s into s->shmid; quiet as for seg_shm_open. */
static int seg_shmget(struct ipcx__seg *s, size_t size, int flags, int quiet)
{
    int id = ipcx__shmget(s->key, size, flags);
    if (id < 0)
        return id == quiet ? id : ipcx__fail(id, "shmget key 0x%x", (unsigned) s->key);
    s->shmid = id;
    return 0;
}

static int seg_map_fd(struct ipcx__seg *s, size_t size, int guard)
{
    void *p;
    int rc = ipcx__shmfile_map(s->fd, size, &p);
    if (rc < 0)
        return ipcx__fail(rc, "cannot map %zu bytes of shared memory", size);
    s->base = p;
    s->size = size;
    return guard ? seg_guard(s, s->fd) : 0;
}

static int seg_make(struct ipcx__seg *s, size_t size, mode_t mode)
{
    struct stat st;
    void *p;
    int rc;

    switch (s->kind) {
    case IPCX_SEG_POSIX:
        /*
         * Under no name yet (O_TMPFILE in /dev/shm, sized, exact mode: the
         * one create path of sem.c's semaphores too); ipcx__seg_publish
         * names it once the ring is laid out in it.
         */
        if ((rc = ipcx__shmfile_anon(mode, size)) < 0)
            return ipcx__fail(rc, "cannot create a shared memory file in /dev/shm");
        s->fd = rc;
        if ((rc = ipcx__fstat(s->fd, &st)) < 0)
            goto fail;
        s->dev = st.st_dev; /* the inode keeps its identity when it gets its name */
        s->ino = st.st_ino;
        return seg_map_fd(s, size, 1);
    case IPCX_SEG_SYSV:
        if ((rc = seg_shmget(s, size, IPC_CREAT | IPC_EXCL | (int) (mode & 0777), -EEXIST)) < 0)
            return rc;
        if ((rc = ipcx__shmat(s->shmid, &p)) < 0)
            goto fail;
        s->base = p;
        s->size = size;
        return seg_guard(s, -1);
    case IPCX_SEG_ANON:
        /* memfd first (it shows in /proc/PID/maps by name); plain anonymous shared memory if not. */
        s->fd = ipcx__memfd("ipcx-shm", MFD_ALLOW_SEALING);
        if (s->fd == -EINVAL)
            s->fd = ipcx__memfd("ipcx-shm", 0); /* a kernel without sealing */
        if (s->fd >= 0) {
            if ((rc = ipcx__shmfile_truncate(s->fd, size)) < 0)
                goto fail;
            return seg_map_fd(s, size, !seg_seal(s));
        }
        s->fd = -1;
        if ((rc = ipcx__shmfile_map_anon(size, &p)) < 0)
            goto fail;
        s->base = p;
        s->size = size;
        return 0;
    }
    return -EINVAL;
fail:
    return ipcx__fail(rc, "cannot set up the shared memory segment");
}

int ipcx__seg_create(struct ipcx__seg *s, size_t size, mode_t mode)
{
    int rc = seg_make(s, size, mode);
    if (rc < 0) {
        /*
         * Made but not set up (a size, a mapping, the guard failed): a
         * System V segment has its key already, so remove it, or nobody
         * would (the caller knows only a failed create).  A POSIX one has
         * no name yet: closing it is all.
         */
        if (s->kind == IPCX_SEG_SYSV)
            (void) ipcx__seg_remove_own(s);
        ipcx__seg_detach(s);
    }
    return rc;
}

int ipcx__seg_publish(struct ipcx__seg *s)
{
    if (s->kind != IPCX_SEG_POSIX)
        return 0;
    int rc = ipcx__shmfile_publish(s->fd, s->name);
    if (rc < 0) {
        /* Ours had no name: with its mapping and descriptor it is gone. */
        ipcx__seg_detach(s);
        s->dev = 0;
        s->ino = 0;
        return rc == -EEXIST ? rc : ipcx__fail(rc, "cannot give the segment its name %s", s->name);
    }
    return 0;
}

static int seg_attach(struct ipcx__seg *s, size_t min_size, size_t max_size)
{
    struct stat st;
    struct shmid_ds ds;
    size_t size;
    void *p;
    int rc;

    switch (s->kind) {
    case IPCX_SEG_POSIX:
        if ((rc = seg_shm_open(s, O_RDWR, 0, -ENOENT)) < 0)
            return rc;
        if ((rc = ipcx__fstat(s->fd, &st)) < 0)
            return ipcx__fail(rc, "fstat %s", s->name);
        if (!S_ISREG(st.st_mode))
            return ipcx__fail(-EPROTO, "%s is not a shared memory object", s->name);
        if (s->allow) {
            /* Checked on the descriptor we map: no swap in between. */
            char what[sizeof s->name + 8];
            struct ipcx__owner o = ipcx__owner_of_stat(&st);
            snprintf(what, sizeof what, "shm:%s", s->name);
            int r = ipcx__owner_check(what, &o, s->want_mode, s->allow);
            if (r < 0)
                return r;
        }
        /*
         * ipcx creators publish a segment only when it is whole
         * (ipcx__seg_publish): one of 0 bytes, or too small for a header,
         * is somebody else's (size check below: -EPROTO at once).
         */
        size = (size_t) st.st_size;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        break;
    case IPCX_SEG_SYSV:
        if ((rc = seg_shmget(s, 0, 0, -ENOENT)) < 0)
            return rc;
        if ((rc = ipcx__shmctl_stat(s->shmid, &ds)) < 0)
            return ipcx__fail(rc, "shmctl IPC_STAT");
        if (s->allow) {
            /* No O_EXCL by key: the owner, creator and mode of the id we got. */
            char what[32];
            struct ipcx__owner o = ipcx__owner_of_ipc(&ds.shm_perm);
            snprintf(what, sizeof what, "sysvshm:0x%08x", (unsigned) s->key);
            int r = ipcx__owner_check(what, &o, s->want_mode, s->allow);
            if (r < 0)
                return r;
        }
        size = ds.shm_segsz;
        break;
    default:
        return -EINVAL; /* anonymous segments are inherited, not attached */
    }
    if (size < min_size || size > max_size)
        return ipcx__fail(-EPROTO, "shared memory segment of %zu bytes: not an ipcx ring", size);
    if (s->kind == IPCX_SEG_POSIX)
        return seg_map_fd(s, size, 1);
    if ((rc = ipcx__shmat(s->shmid, &p)) < 0)
        return ipcx__fail(rc, "shmat");
    s->base = p;
    s->size = size;
    return seg_guard(s, -1);
}

int ipcx__seg_attach(struct ipcx__seg *s, size_t min_size, size_t max_size)
{
    int rc = seg_attach(s, min_size, max_size);
    /* Nothing stays open after a failure (a System V attacher retries, shm.c). */
    if (rc < 0)
        ipcx__seg_detach(s);
    return rc;
}

int ipcx__seg_dup(struct ipcx__seg *dst, const struct ipcx__seg *src)
{
    ipcx__seg_init(dst, src->kind);
    if (src->fd >= 0) {
        dst->fd = ipcx__shmfile_dup(src->fd);
        if (dst->fd < 0) {
            int rc = dst->fd;
            dst->fd = -1;
            return ipcx__fail(rc, "dup");
        }
        return seg_map_fd(dst, src->size, src->zone != NULL); /* guarded if not sealed */
    }
    /* Old size 0 on a shared mapping makes a second mapping of the same pages. */
    void *p;
    int rc = ipcx__shmfile_remap(src->base, src->size, &p);
    if (rc < 0)
        return ipcx__fail(rc, "mremap");
    dst->base = p;
    dst->size = src->size;
    return 0;
}

void ipcx__seg_detach(struct ipcx__seg *s)
{
    if (s->base) {
        /* Unguard first; a zone that died is anonymous memory now, which shmdt would not take. */
        int dead = ipcx__sigbus_unguard(s->zone);
        s->zone = NULL;
        if (s->kind == IPCX_SEG_SYSV && !dead)
            (void) ipcx__shmdt(s->base);
        else
            (void) ipcx__shmfile_unmap(s->base, s->size);
        s->base = NULL;
    }
    (void) ipcx__close(s->fd);
    s->fd = -1;
}

int ipcx__seg_remove_own(struct ipcx__seg *s)
{
    struct stat st;
    int fd, rc;

    switch (s->kind) {
    case IPCX_SEG_POSIX:
        /* Remove the name only if it still names our object, not a newer one. */
        fd = ipcx__shm_open(s->name, O_RDONLY, 0);
        if (fd < 0)
            return fd == -ENOENT ? 0 : fd;
        rc = ipcx__fstat(fd, &st);
        int same = rc == 0 && st.st_dev == s->dev && st.st_ino == s->ino;
        (void) ipcx__close(fd);
        if (rc < 0)
            return rc; /* cannot tell whether it is ours: say that it stays */
        if (same && (rc = ipcx__shmfile_unlink(s->name)) < 0 && rc != -ENOENT)
            return rc;
        return 0;
    case IPCX_SEG_SYSV:
        /* By id, not by key: a newer segment under the same key is not ours. */
        if (s->shmid >= 0 && (rc = ipcx__shmctl_rmid(s->shmid)) < 0 && rc != -EINVAL &&
            rc != -EIDRM)
            return rc;
        return 0;
    default:
        return 0;
    }
}

int ipcx__seg_remove(enum ipcx__seg_kind kind, const char *name, key_t key)
{
    int id, rc;

    switch (kind) {
    case IPCX_SEG_POSIX:
        rc = ipcx__shmfile_unlink(name);
        return rc < 0 ? ipcx__fail(rc, "shm_unlink %s", name) : 0;
    case IPCX_SEG_SYSV:
        id = ipcx__shmget(key, 0, 0);
        rc = id < 0 ? id : ipcx__shmctl_rmid(id);
        if (rc < 0)
            return ipcx__fail(rc, "cannot remove System V segment key 0x%x", (unsigned) key);
        return 0;
    default:
        return -ENOTSUP;
    }
}
