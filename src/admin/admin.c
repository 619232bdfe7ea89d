/*
 * admin.c - the rest of ipcx/admin.h besides the registry (reg.c): process
 * identity over sys/proc.h, the doorbell sweep over shm/bell.h, and the
 * removal primitives of `ipcx gc`, which act only on the object that was
 * looked at: System V objects by their id, files by their inode through a
 * directory descriptor that was checked; and the bystander's look at a
 * shm ring (shm/ring_stat.c).  No scanning of /proc or /dev here:
 * the tools decide what to remove, this file removes it carefully.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "../util/err.h"
#include "../shm/bell.h"
#include "../shm/ring_stat.h"
#include "../util/url.h"
#include "../sys/sys.h"
#include "../sys/fs.h"
#include "../sys/mq.h"
#include "../sys/proc.h"
#include "../sys/sysv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- process identity --------------------------------------------------- */

IPCX_API int ipcx_proc_read(pid_t pid, struct ipcx_proc_info *info, size_t size)
{
    struct ipcx__proc p;
    ipcx__clear_detail();
    if (!info || size < sizeof *info || pid <= 0)
        return -EINVAL;
    int r = ipcx__proc_read(pid, &p);
    if (r < 0)
        return r;
    memset(info, 0, sizeof *info);
    info->state = p.state;
    info->start = p.start;
    memcpy(info->comm, p.comm, sizeof info->comm);
    info->comm[sizeof info->comm - 1] = '\0';
    return 0;
}

IPCX_API int ipcx_proc_alive(pid_t pid, uint64_t start)
{
    return pid > 0 && ipcx__proc_alive(pid, start);
}

IPCX_API int ipcx_proc_epoch(uint64_t start, int64_t *secs)
{
    if (!secs)
        return -EINVAL;
    int64_t t = ipcx__proc_epoch(start);
    if (t < 0)
        return -EIO;
    *secs = t;
    return 0;
}

/* ---- doorbells ---------------------------------------------------------- */

IPCX_API int ipcx_bell_sweep(int flags,
                             void (*seen)(void *arg, const char *path, pid_t pid, int err),
                             void *arg)
{
    ipcx__clear_detail();
    if (flags & ~IPCX_ADMIN_DRY)
        return -EINVAL;
    return ipcx__bell_sweep(NULL, flags & IPCX_ADMIN_DRY, seen, arg);
}

/* ---- removal ------------------------------------------------------------ */

/* The kernel's answer for an id that names nothing (any more): EINVAL, or EIDRM. */
static int sysv_gone(int r)
{
    return r == -EINVAL || r == -EIDRM ? -ENOENT : r;
}

IPCX_API int ipcx_sysv_remove(int kind, int id, uid_t owner, int flags)
{
    uid_t uid;
    int r;

    ipcx__clear_detail();
    if (id < 0 || (flags & ~IPCX_ADMIN_DRY))
        return -EINVAL;
    switch (kind) {
    case IPCX_SYSV_MSG: {
        struct msqid_ds ds;
        if ((r = ipcx__msgctl(id, IPC_STAT, &ds)) < 0)
            return sysv_gone(r);
        uid = ds.msg_perm.uid;
        break;
    }
    case IPCX_SYSV_SHM: {
        struct shmid_ds ds;
        if ((r = ipcx__shmctl_stat(id, &ds)) < 0)
            return sysv_gone(r);
        uid = ds.shm_perm.uid;
        break;
    }
    case IPCX_SYSV_SEM: {
        struct semid_ds ds;
        if ((r = ipcx__semctl_stat(id, &ds)) < 0)
            return sysv_gone(r);
        uid = ds.sem_perm.uid;
        break;
    }
    default:
        return -EINVAL;
    }
    if (uid != owner)
        return ipcx__fail(-EPERM, "its owner is now uid %u", (unsigned) uid);
    if (flags & IPCX_ADMIN_DRY)
        return 0;
    /* By the id that was checked: a new object under the same key has another. */
    r = kind == IPCX_SYSV_MSG ? ipcx__msgctl(id, IPC_RMID, NULL)
      : kind == IPCX_SYSV_SHM ? ipcx__shmctl_rmid(id)
                              : ipcx__semctl_int(id, 0, IPC_RMID, 0);
    return r < 0 ? sysv_gone(r) : 0;
}

static const char *type_name(mode_t type)
{
    return type == S_IFIFO ? "FIFO" : type == S_IFSOCK ? "socket file" : "file";
}

/* Is the file st what want says?  0, or -EPERM with the detail. */
static int file_matches(const struct stat *st, const struct ipcx_file_check *want, int type)
{
    if ((type && (st->st_mode & S_IFMT) != want->type) || st->st_uid != want->uid ||
        (want->ino && (st->st_ino != want->ino || st->st_dev != want->dev)))
        return ipcx__fail(-EPERM, "it is no longer the %s of uid %u that was looked at",
                          type_name(want->type), (unsigned) want->uid);
    return 0;
}

/* Could uid remove a name in the directory st describes?  (groups: not counted, so no) */
static int dir_lets(const struct stat *st, uid_t uid)
{
    if (uid == 0)
        return 1;
    return st->st_uid == uid ? (st->st_mode & 0300) == 0300 : (st->st_mode & 0003) == 0003;
}

IPCX_API int ipcx_unlink_checked(const char *path, const struct ipcx_file_check *want,
                                 size_t size, int flags)
{
    char dir[PATH_MAX];
    struct stat st;

    ipcx__clear_detail();
    if (!path || !want || size < sizeof *want || (flags & ~IPCX_ADMIN_DRY) ||
        (want->type != S_IFIFO && want->type != S_IFSOCK && want->type != S_IFREG))
        return -EINVAL;
    /* Split the absolute path into its directory (opened) and last name. */
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : NULL;
    if (path[0] != '/' || !base || !*base || strcmp(base, "..") == 0 || strcmp(base, ".") == 0)
        return ipcx__fail(-EINVAL, "not an absolute path to a file");
    size_t n = slash == path ? 1 : (size_t) (slash - path);
    if (n >= sizeof dir)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int dfd = ipcx__dir_open(AT_FDCWD, dir, 0), r;
    if (dfd < 0)
        return dfd;
    if ((r = ipcx__fstat(dfd, &st)) < 0)
        goto out;
    if (!dir_lets(&st, want->uid)) {
        r = ipcx__fail(-EPERM, "uid %u may not remove names in %s", (unsigned) want->uid, dir);
        goto out;
    }
    /* A name in the directory dfd: it must still be the object looked at. */
    if ((r = ipcx__fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW)) < 0 ||
        (r = file_matches(&st, want, 1)) < 0)
        goto out;
    if (!(flags & IPCX_ADMIN_DRY))
        r = ipcx__unlinkat(dfd, base, 0);
out:
    (void) ipcx__close(dfd);
    return r;
}

IPCX_API int ipcx_mq_unlink_checked(const char *name, const struct ipcx_file_check *want,
                                    size_t size, int flags)
{
    struct stat st;

    ipcx__clear_detail();
    if (!name || !want || size < sizeof *want || (flags & ~IPCX_ADMIN_DRY) || name[0] != '/' ||
        !name[1] || strchr(name + 1, '/') || strlen(name) > NAME_MAX)
        return -EINVAL;
    /* Without the file system, only by name: look through a descriptor, then remove. */
    int q = ipcx__mq_open(name, O_RDONLY | O_NONBLOCK, 0, NULL);
    if (q < 0)
        return q;
    int r = ipcx__fstat(q, &st);
    (void) ipcx__close(q);
    if (r == 0)
        r = file_matches(&st, want, 0);
    if (r < 0 || (flags & IPCX_ADMIN_DRY))
        return r;
    return ipcx__mq_unlink(name);
}

/* ---- a look at a ring ---------------------------------------------------- */

IPCX_API int ipcx_ring_stat(const char *url, struct ipcx_ring_info *info, size_t size)
{
    struct ipcx_url *u;
    struct ipcx_ring_info tmp;
    int r;

    ipcx__clear_detail();
    if (!url || !info || size < sizeof *info)
        return -EINVAL;
    if (!(u = malloc(sizeof *u)))
        return -ENOMEM;
    r = ipcx__url_parse(url, u);
    int sysv = r == 0 && strcmp(u->scheme, "sysvshm") == 0;
    if (r == 0 && !sysv && strcmp(u->scheme, "shm") != 0)
        r = ipcx__fail(-EINVAL, "%s: not a shared-memory ring (shm:/name, sysvshm:KEY)", u->scheme);
    /* Only what names the segment: a System V one by its key (shmget; an id has none). */
    if (r == 0)
        r = ipcx__url_check_keys(u, sysv ? "proj" : "");
    if (r == 0 && !u->path[0])
        r = ipcx__fail(-EINVAL, "%s: an anonymous ring has no name to look at", u->scheme);
    if (r == 0)
        r = ipcx__shm_stat(u, sysv, &tmp);
    free(u);
    if (r == 0)
        memcpy(info, &tmp, sizeof tmp); /* written only on success */
    return r;
}
