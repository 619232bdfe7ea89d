/*
 * addr.c - the POSIX "/name" and System V "KEY | 0xKEY | /path?proj=N |
 * ?id=N" address forms (addr.h).  Numbers go through url.c's typed getters;
 * ftok through src/sys.
 */
#include "addr.h"
#include "err.h"
#include "../sys/sysv.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

int ipcx__addr_posix(const struct ipcx_url *u, size_t max)
{
    const char *p = u->path;
    size_t n = strlen(p);

    if (u->authority)
        return ipcx__fail(-EINVAL, "%s: takes no //host", u->scheme);
    if (p[0] != '/' || n < 2)
        return ipcx__fail(-EINVAL, "%s: needs a name: %s:/name", u->scheme, u->scheme);
    if (strchr(p + 1, '/'))
        return ipcx__fail(-EINVAL, "%s:%s: a name has one slash, at the start", u->scheme, p);
    if (strcmp(p, "/.") == 0 || strcmp(p, "/..") == 0)
        return ipcx__fail(-EINVAL, "%s:%s is not a name", u->scheme, p);
    if (n - 1 > max)
        return ipcx__fail(-ENAMETOOLONG, "%s:%s: a name has at most %zu bytes after the '/'",
                          u->scheme, p, max);
    return 0;
}

int ipcx__addr_sysv(const struct ipcx_url *u, int proj_default, struct ipcx__sysv_addr *a)
{
    const char *p = u->path, *idv = ipcx__url_get(u, "id"), *projv = ipcx__url_get(u, "proj");
    int64_t n;
    int r;

    a->key = IPC_PRIVATE;
    a->id = -1;
    if (u->authority)
        return ipcx__fail(-EINVAL, "%s: takes a key, not //host", u->scheme);
    if (idv) {
        if (p[0] || projv)
            return ipcx__fail(-EINVAL, "%s: give a key, a path or ?id=, only one", u->scheme);
        if ((r = ipcx__url_int(u, "id", 0, 0, INT_MAX, &n)) < 0)
            return r;
        a->id = (int) n;
        snprintf(a->name, sizeof a->name, "%s:?id=%d", u->scheme, a->id);
        return 0;
    }
    if (p[0] == '/') {
        if (!projv && !proj_default)
            return ipcx__fail(-EINVAL, "%s:%s needs ?proj=1..255 (ftok)", u->scheme, p);
        if ((r = ipcx__url_int(u, "proj", proj_default, 1, 255, &n)) < 0)
            return ipcx__fail(r, "proj=%s: ftok takes a project number 1..255", projv);
        if ((r = ipcx__ftok(p, (int) n, &a->key)) < 0)
            return ipcx__fail(r, "%s:%s: ftok needs an existing file", u->scheme, p);
    } else {
        if (projv)
            return ipcx__fail(-EINVAL, "proj= goes with a path: %s:/path?proj=N", u->scheme);
        if (!p[0])
            return ipcx__fail(-EINVAL, "%s: needs a key: %s:1234, %s:0x4d2 or %s:/path?proj=N",
                              u->scheme, u->scheme, u->scheme, u->scheme);
        if (ipcx__url_parse_int(p, 0, 0xffffffffll, &n) < 0)
            return ipcx__fail(-EINVAL, "%s:%s: a key is a number, decimal or 0x hex, up to "
                              "0xffffffff", u->scheme, p);
        if (n == 0)
            return ipcx__fail(-EINVAL, "%s:0 is IPC_PRIVATE, not a name", u->scheme);
        a->key = (key_t) (int) (unsigned) n;
    }
    snprintf(a->name, sizeof a->name, "%s:0x%08x", u->scheme, (unsigned) a->key);
    return 0;
}
