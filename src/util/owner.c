/*
 * owner.c - the squatter rule (owner.h): may this opener use a named object
 * that someone else created?  One function for every named scheme.
 */
#include "owner.h"
#include "err.h"
#include "../sys/sys.h"
#include "../sys/fs.h"
#include "../sys/proc.h"

#include <errno.h>

/* Is (uid, gid) the caller, root, or named by allow=? */
static int owner_trusted(uid_t uid, gid_t gid, uid_t me, const struct ipcx_allow *a)
{
    if (uid == me || uid == 0)
        return 1;
    for (unsigned i = 0; a && i < a->nuid; i++)
        if (a->uid[i] == uid)
            return 1;
    for (unsigned i = 0; a && i < a->ngid; i++)
        if (a->gid[i] == gid)
            return 1;
    return 0;
}

int ipcx__owner_trusted(const struct ipcx__owner *o, const struct ipcx_allow *allow)
{
    const uid_t me = ipcx__self_euid();
    return owner_trusted(o->uid, o->gid, me, allow) && owner_trusted(o->cuid, o->cgid, me, allow);
}

int ipcx__owner_check(const char *what, const struct ipcx__owner *o, mode_t mode,
                      const struct ipcx_allow *allow)
{
    const uid_t me = ipcx__self_euid();
    const unsigned m = (unsigned) (o->mode & 0777);

    if (!owner_trusted(o->uid, o->gid, me, allow))
        return ipcx__fail(-EACCES, "%s belongs to uid %u (gid %u, mode 0%03o), not to this "
                          "user (uid %u) or root: refused, another user may have made it to "
                          "read or inject messages; allow=uid:%u accepts that owner",
                          what, (unsigned) o->uid, (unsigned) o->gid, m, (unsigned) me,
                          (unsigned) o->uid);
    if (!owner_trusted(o->cuid, o->cgid, me, allow))
        return ipcx__fail(-EACCES, "%s was created by uid %u (gid %u) and given to uid %u "
                          "(mode 0%03o), not by this user (uid %u) or root: refused; "
                          "allow=uid:%u accepts that creator", what, (unsigned) o->cuid,
                          (unsigned) o->cgid, (unsigned) o->uid, m, (unsigned) me,
                          (unsigned) o->cuid);
    if (m & ~(unsigned) (mode & 0777))
        return ipcx__fail(-EACCES, "%s (owner uid %u, gid %u) has mode 0%03o, more than the "
                          "0%03o this end asked for: refused; ask for its mode to accept it",
                          what, (unsigned) o->uid, (unsigned) o->gid, m,
                          (unsigned) (mode & 0777));
    return 0;
}

int ipcx__owner_check_fd(int fd, const char *what, mode_t mode,
                         const struct ipcx_allow *allow)
{
    struct stat st;
    int r = ipcx__fstat(fd, &st);
    if (r < 0)
        return ipcx__fail(r, "%s: cannot read its owner", what);
    struct ipcx__owner o = ipcx__owner_of_stat(&st);
    return ipcx__owner_check(what, &o, mode, allow);
}
