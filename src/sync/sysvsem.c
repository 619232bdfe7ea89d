/*
 * sysvsem.c - the named kind "sysvsem:": a System V semaphore set, behind
 * the API of semapi.c.  It adds what semget/semop lack: an initial value
 * that no opener can see half-set, timeouts as poll(2), the EINTR rule
 * (semop always fails with EINTR when a handler ran), and undo=1.
 *
 *   sysvsem:KEY?n=N          KEY decimal or 0x hex (not 0: IPC_PRIVATE)
 *   sysvsem:/path?proj=P     the key is ftok(path, P), P in 1..255
 *
 * Initialisation race: semget(IPC_CREAT|IPC_EXCL) makes the set with
 * undefined values and sem_otime 0.  The creator sets the values, then
 * performs one semop (+1 and -1 at once, no net change) to set sem_otime;
 * an opener waits until sem_otime is not 0 (Stevens, UNP vol. 2, 11.2).
 */
#include "sync.h"
#include "../util/err.h"
#include "../util/owner.h"
#include "../util/addr.h"
#include "sys/sys.h"
#include "sys/sysv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SYSV_VMX      32767 /* SEMVMX: the kernel's largest value */
#define SYSV_MAXSEMS  32000 /* SEMMSL: the kernel's default largest set */
#define SYSV_INIT_MS  1000  /* how long an opener waits for the creator */

/* sysvsem: takes KEY or /path?proj=P, proj= required (IPCX_SYSV_PROJ_REQUIRED, addr.h). */

/* Wait until the creator has set the values (sem_otime != 0). */
static int sysv_wait_init(int id)
{
    struct ipcx__deadline d = ipcx__deadline(SYSV_INIT_MS);
    for (;;) {
        struct semid_ds ds;
        int r = ipcx__semctl_stat(id, &ds);
        if (r < 0)
            return r;
        if (ds.sem_otime != 0)
            return (int) ds.sem_nsems;
        if (ipcx__remaining(&d) == 0)
            return ipcx__fail(-EPROTO, "the semaphore set was never initialised "
                                       "(its creator died?)");
        (void) ipcx__sleep_ms(1);
    }
}

static int sysv_create(key_t key, size_t n, mode_t mode, unsigned value)
{
    int id = ipcx__semget(key, (int) n, IPC_CREAT | IPC_EXCL | (int) (mode & 0777));
    if (id < 0)
        return id;
    unsigned short *vals = calloc(n, sizeof *vals);
    if (!vals) {
        (void) ipcx__semctl_int(id, 0, IPC_RMID, 0);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        vals[i] = (unsigned short) value;
    int r = ipcx__semctl_setall(id, vals);
    free(vals);
    if (r == 0) {
        /* No net change, but sem_otime is set: openers may go now. */
        struct sembuf mark[2] = {
            { 0, value < SYSV_VMX ? 1 : -1, IPC_NOWAIT },
            { 0, value < SYSV_VMX ? -1 : 1, IPC_NOWAIT },
        };
        r = ipcx__semtimedop(id, mark, 2, NULL);
    }
    if (r < 0) {
        (void) ipcx__semctl_int(id, 0, IPC_RMID, 0);
        return r;
    }
    return id;
}

static int sysv_open(struct ipcx_sem *s, const struct ipcx_url *u, int flags, unsigned value)
{
    struct ipcx__sysv_addr a;
    key_t key;
    size_t n;
    mode_t mode;
    int undo, id, r, created = 0;

    if (ipcx__addr_sysv(u, IPCX_SYSV_PROJ_REQUIRED, &a) < 0 || ipcx__url_size(u, "n", 1, 1, SYSV_MAXSEMS, &n) < 0 ||
        ipcx__url_mode(u, "mode", 0600, &mode) < 0)
        return -EINVAL;
    key = a.key;
    undo = ipcx__url_word(u, "undo", "0 1", 0);
    if (undo < 0)
        return -EINVAL;
    if ((flags & IPCX_CREATE) && value > SYSV_VMX)
        return ipcx__fail(-EINVAL, "value %u is above %d (SEMVMX)", value, SYSV_VMX);

    id = -ENOENT;
    if (flags & IPCX_CREATE) {
        id = sysv_create(key, n, mode, value);
        created = id >= 0;
        if (id == -EEXIST && (flags & IPCX_EXCL))
            return ipcx__fail(-EEXIST, "a semaphore set with key 0x%x exists", (unsigned) key);
        if (id < 0 && id != -EEXIST)
            return ipcx__fail(id, "semget(0x%x, %zu)", (unsigned) key, n);
    }
    if (id < 0) {
        id = ipcx__semget(key, 0, 0);
        if (id < 0)
            return ipcx__fail(id, "no semaphore set with key 0x%x", (unsigned) key);
        /* Not ours: refuse a squatter's set (owner.h).  No O_EXCL by key, so
         * look at the id we got: owner, creator and mode. */
        struct semid_ds ds;
        if ((r = ipcx__semctl_stat(id, &ds)) < 0)
            return ipcx__fail(r, "%s: cannot read its owner (IPC_STAT)", a.name);
        struct ipcx__owner o = ipcx__owner_of_ipc(&ds.sem_perm);
        if ((r = ipcx__owner_check(a.name, &o, mode, &s->allow)) < 0)
            return r;
    }
    /* The creator set the values itself; an opener waits for them.  (A
     * creator that failed here would leave its new set behind.) */
    r = created ? (int) n : sysv_wait_init(id);
    if (r < 0)
        return r;
    if (ipcx__url_get(u, "n") && (size_t) r < n)
        return ipcx__fail(-EINVAL, "the set has %d members, not %zu", r, n);
    s->nsems = (unsigned) r;
    s->semid = id;
    s->undo = undo;
    s->created = created;
    return 0;
}

static int sysv_op(struct ipcx_sem *s, const struct ipcx_semop *ops, size_t nops, int timeout_ms)
{
    struct sembuf sb[64];
    struct ipcx__deadline d = ipcx__sync_deadline(timeout_ms);

    for (size_t i = 0; i < nops; i++) {
        sb[i].sem_num = ops[i].num;
        sb[i].sem_op = ops[i].op;
        sb[i].sem_flg = (short) ((s->undo || (ops[i].flags & IPCX_SEM_UNDO) ? SEM_UNDO : 0) |
                                 (d.zero ? IPC_NOWAIT : 0));
    }
    for (;;) {
        int ms = ipcx__remaining(&d);
        if (ms == 0 && !d.zero)
            return ipcx__expired(&d);
        /* No limit when waiting for ever, or never waiting (IPC_NOWAIT). */
        struct timespec rel = ipcx__ts_rel(ms < 0 ? 0 : ms);
        int r = ipcx__semtimedop(s->semid, sb, nops, d.zero || ms < 0 ? NULL : &rel);
        if (r == 0)
            return 0;
        if (r == -EAGAIN) {
            /* IPC_NOWAIT, or semtimedop's time limit. */
            if (d.zero || ipcx__remaining(&d) == 0)
                return ipcx__expired(&d);
            continue;
        }
        if (r == -EINTR) {
            if (ipcx__intr_returns())
                return -EINTR;
            continue;
        }
        if (r == -ERANGE)
            return ipcx__fail(-EOVERFLOW, "a member would pass %d (SEMVMX)", SYSV_VMX);
        if (r == -EINVAL)
            return ipcx__fail(-EIDRM, "the semaphore set is gone");
        return r;
    }
}

static int sysv_getval(struct ipcx_sem *s, unsigned num)
{
    int r = ipcx__semctl_int(s->semid, (int) num, GETVAL, 0);
    return r == -EINVAL ? ipcx__fail(-EIDRM, "the semaphore set is gone") : r;
}

static void sysv_close(struct ipcx_sem *s)
{
    (void) s; /* a set is not opened per process: nothing to release */
}

static int sysv_unlink(const struct ipcx_url *u)
{
    struct ipcx__sysv_addr a;
    if (ipcx__addr_sysv(u, IPCX_SYSV_PROJ_REQUIRED, &a) < 0)
        return -EINVAL;
    int id = ipcx__semget(a.key, 0, 0);
    if (id < 0)
        return id;
    return ipcx__semctl_int(id, 0, IPC_RMID, 0);
}

const struct ipcx__semkind ipcx__semkind_sysv = {
    .scheme = "sysvsem",
    .keys   = "n proj mode undo allow",
    .multi  = 1,
    .open   = sysv_open,
    .op     = sysv_op,
    .getval = sysv_getval,
    .close  = sysv_close,
    .unlink = sysv_unlink,
};
