/*
 * owner.h - the squatter rule for named objects (mq:, sysvmq:, shm:,
 * sysvshm:, sem:, posixsem:, sysvsem:).  Another user may create an object
 * under the name this process is about to use, with a mode that lets them
 * read or inject what goes through it.  So an opener that did not create
 * the object itself accepts it only when
 *   - its owner (and for System V objects also its creator, who may hand
 *     the ownership to anyone with IPC_SET) is the caller's effective uid,
 *     root, or a uid or gid that the URL's allow= key names, and
 *   - its permission bits grant no more than this end asked for (mode= or
 *     perm=, default 0600).
 * Otherwise the open fails with -EACCES and ipcx_errdetail() names the owner
 * and the mode.  The callers read the owner from the object they actually
 * opened (fstat of the descriptor, IPC_STAT of the id right after get), so
 * the check and the use concern the same object.
 *
 * This file only decides; its system calls go through src/sys.
 */
#ifndef IPCX_OWNER_H
#define IPCX_OWNER_H

#include "url.h"

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/stat.h>

/* Who an object belongs to, as the kernel reports it. */
struct ipcx__owner {
    uid_t  uid, cuid;  /* owner and creator (a POSIX object: both the owner) */
    gid_t  gid, cgid;
    mode_t mode;       /* permission bits */
};

static inline struct ipcx__owner ipcx__owner_of_stat(const struct stat *st)
{
    return (struct ipcx__owner) { st->st_uid, st->st_uid, st->st_gid, st->st_gid,
                                  st->st_mode & 0777 };
}

static inline struct ipcx__owner ipcx__owner_of_ipc(const struct ipc_perm *p)
{
    return (struct ipcx__owner) { p->uid, p->cuid, p->gid, p->cgid, (mode_t) (p->mode & 0777) };
}

/* 1 when the owner and the creator of o are each the caller, root or allowed; else 0. */
int ipcx__owner_trusted(const struct ipcx__owner *o, const struct ipcx_allow *allow);

/*
 * 0 when an opener that asked for mode and allows allow may use the object
 * what (e.g. "mq:/q", for the detail) that o describes; else -EACCES.
 */
int ipcx__owner_check(const char *what, const struct ipcx__owner *o, mode_t mode,
                      const struct ipcx_allow *allow);

/* The same for the object open on descriptor fd (a POSIX queue, a shm file): fstat. */
int ipcx__owner_check_fd(int fd, const char *what, mode_t mode,
                         const struct ipcx_allow *allow);

#endif
