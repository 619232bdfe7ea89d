/*
 * bell.c - doorbell FIFO names and the sweep of dead owners' FIFOs (see
 * bell.h).  The name carries the owner's pid and start time so that the
 * sweep decides from the name alone: it never opens a segment.
 */
#include "bell.h"
#include "../util/err.h"
#include "../sys/fs.h"
#include "../sys/proc.h"
#include "../sys/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define BELL_PARTS 64u /* IPCX_SHM_PARTS: an index beyond it is no name of ours */

int ipcx__bell_path(char *buf, size_t cap, uint64_t id, unsigned idx, pid_t pid,
                    uint64_t start)
{
    int n = snprintf(buf, cap, IPCX_BELL_DIR "/" IPCX_BELL_PREFIX "%016llx-%u-%d-%llu",
                     (unsigned long long) id, idx, (int) pid, (unsigned long long) start);
    return n < 0 || (size_t) n >= cap ? -ENAMETOOLONG : 0;
}

/* Decimal digits at *p (at most max, no sign): the value, p moved past them; -1 if none. */
static int bell_num(const char **p, unsigned long long *v, int max)
{
    int n = 0;
    *v = 0;
    while (**p >= '0' && **p <= '9' && n < max) {
        *v = *v * 10 + (unsigned) (**p - '0');
        (*p)++, n++;
    }
    return n ? 0 : -1;
}

int ipcx__bell_parse(const char *name, uint64_t *id, unsigned *idx, pid_t *pid,
                     uint64_t *start)
{
    size_t plen = strlen(IPCX_BELL_PREFIX);
    const char *p = name;
    unsigned long long v;
    uint64_t h = 0;

    if (strncmp(p, IPCX_BELL_PREFIX, plen) != 0)
        return -EINVAL;
    p += plen;
    for (int i = 0; i < 16; i++, p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
        if (d < 0)
            return -EINVAL;
        h = h << 4 | (uint64_t) d;
    }
    *id = h;
    if (*p++ != '-' || bell_num(&p, &v, 2) < 0 || v >= BELL_PARTS)
        return -EINVAL;
    *idx = (unsigned) v;
    if (*p++ != '-' || bell_num(&p, &v, 10) < 0 || v == 0 || v > 0x7fffffff)
        return -EINVAL;
    *pid = (pid_t) v;
    if (*p++ != '-' || bell_num(&p, &v, 20) < 0 || *p)
        return -EINVAL;
    *start = v;
    return 0;
}

/* The sweep's state, for ipcx__dir_each. */
struct bell_sweep {
    const uint64_t *id;
    int dry, found, dirfd;
    uid_t me;
    void (*seen)(void *arg, const char *path, pid_t pid, int err);
    void *arg;
};

static int bell_sweep_one(void *arg, const char *name)
{
    struct bell_sweep *w = arg;
    uint64_t bid, start;
    unsigned idx;
    pid_t pid;
    char path[300];
    struct stat st;

    if (ipcx__bell_parse(name, &bid, &idx, &pid, &start) < 0 || (w->id && bid != *w->id))
        return 0;
    /* start 0 (unknown when it was made): the pid alone decides. */
    if (ipcx__proc_alive(pid, start))
        return 0;
    if (snprintf(path, sizeof path, IPCX_BELL_DIR "/%s", name) >= (int) sizeof path)
        return 0;
    if (ipcx__fstatat(w->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISFIFO(st.st_mode) ||
        (st.st_uid != w->me && w->me != 0))
        return 0;
    int err = w->dry ? 0 : ipcx__unlinkat(w->dirfd, name, 0);
    if (err == -ENOENT)
        return 0; /* removed by someone else meanwhile */
    if (err == 0)
        w->found++;
    if (w->seen)
        w->seen(w->arg, path, pid, err);
    return 0;
}

int ipcx__bell_sweep(const uint64_t *id, int dry,
                     void (*seen)(void *arg, const char *path, pid_t pid, int err),
                     void *arg)
{
    struct bell_sweep w = { id, dry, 0, -1, geteuid(), seen, arg };
    int rc;

    if ((w.dirfd = ipcx__dir_open(AT_FDCWD, IPCX_BELL_DIR, 0)) < 0)
        return ipcx__fail(w.dirfd, "cannot read " IPCX_BELL_DIR);
    rc = ipcx__dir_each(w.dirfd, bell_sweep_one, &w);
    (void) ipcx__close(w.dirfd);
    if (rc < 0)
        return ipcx__fail(rc, "cannot read " IPCX_BELL_DIR);
    return w.found;
}
