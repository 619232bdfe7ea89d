/*
 * seg.c - create, attach and remove shared memory segments of three kinds:
 * POSIX shared memory objects (/dev/shm), System V segments (ipcs -m) and
 * anonymous memfd mappings that a child inherits over fork.  The ring on
 * top is the same for all three.  This file never looks inside a segment.
 *
 * Like the rest of libipcx outside src/sys/, it reads errno only right
 * after the call that set it, and returns it negated.
 */
#include "seg.h"
#include "../err.h"
#include "../owner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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

static int seg_map_fd(struct ipcx__seg *s, size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (p == MAP_FAILED)
        return ipcx__fail(-errno, "cannot map %zu bytes of shared memory", size);
    s->base = p;
    s->size = size;
    return 0;
}

int ipcx__seg_create(struct ipcx__seg *s, size_t size, mode_t mode)
{
    struct stat st;

    switch (s->kind) {
    case IPCX_SEG_POSIX:
        s->fd = shm_open(s->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (s->fd < 0)
            return errno == EEXIST ? -EEXIST
                                   : ipcx__fail(-errno, "shm_open %s", s->name);
        /* shm_open applied the umask: set exactly the mode asked for. */
        if (fchmod(s->fd, mode) < 0 || fstat(s->fd, &st) < 0)
            goto fail_errno;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        if (ftruncate(s->fd, (off_t) size) < 0)
            goto fail_errno;
        return seg_map_fd(s, size);
    case IPCX_SEG_SYSV:
        s->shmid = shmget(s->key, size, IPC_CREAT | IPC_EXCL | (int) (mode & 0777));
        if (s->shmid < 0)
            return errno == EEXIST ? -EEXIST
                                   : ipcx__fail(-errno, "shmget key 0x%x", (unsigned) s->key);
        s->base = shmat(s->shmid, NULL, 0);
        if (s->base == (void *) -1) {
            s->base = NULL;
            goto fail_errno;
        }
        s->size = size;
        return 0;
    case IPCX_SEG_ANON:
        /* memfd first (it shows in /proc/PID/maps by name); plain anonymous shared memory if not. */
        s->fd = memfd_create("ipcx-shm", MFD_CLOEXEC);
        if (s->fd >= 0) {
            if (ftruncate(s->fd, (off_t) size) < 0)
                goto fail_errno;
            return seg_map_fd(s, size);
        }
        s->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (s->base == MAP_FAILED) {
            s->base = NULL;
            goto fail_errno;
        }
        s->size = size;
        return 0;
    }
    return -EINVAL;
fail_errno:
    return ipcx__fail(-errno, "cannot set up the shared memory segment");
}

int ipcx__seg_attach(struct ipcx__seg *s, size_t min_size, size_t max_size)
{
    struct stat st;
    struct shmid_ds ds;
    size_t size;

    switch (s->kind) {
    case IPCX_SEG_POSIX:
        s->fd = shm_open(s->name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
        if (s->fd < 0)
            return errno == ENOENT ? -ENOENT : ipcx__fail(-errno, "shm_open %s", s->name);
        if (fstat(s->fd, &st) < 0)
            return ipcx__fail(-errno, "fstat %s", s->name);
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
        if (st.st_size == 0)
            return -EAGAIN; /* the creator has not sized it yet */
        size = (size_t) st.st_size;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        break;
    case IPCX_SEG_SYSV:
        s->shmid = shmget(s->key, 0, 0);
        if (s->shmid < 0)
            return errno == ENOENT ? -ENOENT
                                   : ipcx__fail(-errno, "shmget key 0x%x", (unsigned) s->key);
        if (shmctl(s->shmid, IPC_STAT, &ds) < 0)
            return ipcx__fail(-errno, "shmctl IPC_STAT");
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
        return seg_map_fd(s, size);
    s->base = shmat(s->shmid, NULL, 0);
    if (s->base == (void *) -1) {
        s->base = NULL;
        return ipcx__fail(-errno, "shmat");
    }
    s->size = size;
    return 0;
}

int ipcx__seg_dup(struct ipcx__seg *dst, const struct ipcx__seg *src)
{
    ipcx__seg_init(dst, src->kind);
    if (src->fd >= 0) {
        dst->fd = fcntl(src->fd, F_DUPFD_CLOEXEC, 0);
        if (dst->fd < 0)
            return ipcx__fail(-errno, "dup");
        return seg_map_fd(dst, src->size);
    }
    /* Old size 0 on a shared mapping makes a second mapping of the same pages. */
    void *p = mremap(src->base, 0, src->size, MREMAP_MAYMOVE);
    if (p == MAP_FAILED)
        return ipcx__fail(-errno, "mremap");
    dst->base = p;
    dst->size = src->size;
    return 0;
}

void ipcx__seg_detach(struct ipcx__seg *s)
{
    if (s->base) {
        if (s->kind == IPCX_SEG_SYSV)
            (void) shmdt(s->base);
        else
            (void) munmap(s->base, s->size);
        s->base = NULL;
    }
    if (s->fd >= 0)
        (void) close(s->fd);
    s->fd = -1;
}

int ipcx__seg_remove_own(struct ipcx__seg *s)
{
    struct stat st;
    int fd;

    switch (s->kind) {
    case IPCX_SEG_POSIX:
        /* Remove the name only if it still names our object, not a newer one. */
        fd = shm_open(s->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return errno == ENOENT ? 0 : -errno;
        int same = fstat(fd, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino;
        (void) close(fd);
        if (same && shm_unlink(s->name) < 0 && errno != ENOENT)
            return -errno;
        return 0;
    case IPCX_SEG_SYSV:
        /* By id, not by key: a newer segment under the same key is not ours. */
        if (s->shmid >= 0 && shmctl(s->shmid, IPC_RMID, NULL) < 0 &&
            errno != EINVAL && errno != EIDRM)
            return -errno;
        return 0;
    default:
        return 0;
    }
}

int ipcx__seg_remove(enum ipcx__seg_kind kind, const char *name, key_t key)
{
    int id;

    switch (kind) {
    case IPCX_SEG_POSIX:
        return shm_unlink(name) < 0 ? ipcx__fail(-errno, "shm_unlink %s", name) : 0;
    case IPCX_SEG_SYSV:
        id = shmget(key, 0, 0);
        if (id < 0 || shmctl(id, IPC_RMID, NULL) < 0)
            return ipcx__fail(-errno, "cannot remove System V segment key 0x%x", (unsigned) key);
        return 0;
    default:
        return -ENOTSUP;
    }
}
