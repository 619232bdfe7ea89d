/*
 * remove.c - the removal of one object that ls, stat or gc looked at, for
 * ipcx gc and ipcx rm (obs.h): what to remove and whether it may go is the
 * caller's to decide; the removal itself is the library's (ipcx/admin.h),
 * which acts only on the very object that was looked at.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "obs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * The doorbell set of a sysvmq queue that was just removed (ipcx names it
 * in the set's note, scan.c): by the id that was looked at, and only if it
 * has the queue's owner, as ipcx_unlink removes it with the queue.
 */
static void remove_doorbell(struct objs *o, const struct obj *q, int flags)
{
    char note[64];
    const char *key = strchr(q->url, ':');
    if (!key || strncmp(key + 1, "0x", 2) != 0)
        return; /* a queue without a key has no doorbell */
    snprintf(note, sizeof note, "doorbell of sysvmq:%s (ipcx)", key + 1);
    for (size_t i = 0; i < o->n; i++) {
        const struct obj *s = &o->v[i];
        if (s->kind == K_SYSVSEM && strcmp(s->note, note) == 0 && s->uid == q->uid)
            (void) ipcx_sysv_remove(IPCX_SYSV_SEM, (int) s->id, s->uid, flags);
    }
}

/*
 * Remove object b on behalf of uid, its owner: the library looks at the
 * object once more and acts on exactly what was looked at (ipcx/admin.h).
 * System V objects by the id checked (a new object under the same key has
 * another id); files by their inode through the directory descriptor that
 * was checked, in a directory where uid may remove names.  0 (removed, or would be with dry), -ENOENT gone already,
 * -EPERM refused (ipcx_errdetail says why), -ENOTSUP nothing to remove, -errno.
 */
int obj_remove(struct objs *o, const struct obj *b, uid_t uid, int dry)
{
    const int flags = dry ? IPCX_ADMIN_DRY : 0;
    struct ipcx_file_check want = { .uid = uid, .dev = b->dev, .ino = b->ino };
    char path[PATH_MAX];

    switch (b->kind) {
    case K_SYSVMSG: {
        int r = ipcx_sysv_remove(IPCX_SYSV_MSG, (int) b->id, uid, flags);
        if (r == 0)
            remove_doorbell(o, b, flags);
        return r;
    }
    case K_SYSVSEM:
        return ipcx_sysv_remove(IPCX_SYSV_SEM, (int) b->id, uid, flags);
    case K_SYSVSHM:
        return ipcx_sysv_remove(IPCX_SYSV_SHM, (int) b->id, uid, flags);
    case K_MQ:
    case K_SHM: {
        const char *name = b->url + (b->kind == K_MQ ? 3 : 4); /* "mq:/NAME", "shm:/NAME" */
        if (name[0] != '/' || !name[1] || strchr(name + 1, '/'))
            return -EINVAL;
        if (b->kind == K_MQ && !mqueue_mounted()) {
            /*
             * Without /dev/mqueue a queue is checked by a descriptor but
             * removed by name (ipcx_mq_unlink_checked): one made again in
             * between would go.  In doubt, leave it and say so.
             */
            printf("left ");
            out_str(stdout, b->url);
            printf(" (dead, but /dev/mqueue is not mounted: it could only be removed by "
                   "name; mount -t mqueue none /dev/mqueue)\n");
            return -ENOTSUP;
        }
        snprintf(path, sizeof path, "%s%s", b->kind == K_MQ ? MQUEUE_DIR : SHM_DIR, name);
        want.type = S_IFREG;
        return ipcx_unlink_checked(path, &want, sizeof want, flags);
    }
    case K_FIFO:
    case K_UNIX:
        if (!b->path[0])
            return -ENOENT; /* an abstract socket: nothing to remove */
        want.type = b->kind == K_FIFO ? S_IFIFO : S_IFSOCK;
        return ipcx_unlink_checked(b->path, &want, sizeof want, flags);
    default:
        return -ENOTSUP;
    }
}
