/*
 * shm_repair.c - a sender that dies inside commit: after its record's tag
 * is out, but before head (and maybe the message number) are.  Receivers
 * take records on their tags, so whoever reaps the dead sender must move
 * head past them, or the next sender writes over them with a number the
 * receiver has already seen (its message is lost without a word), or
 * finds the receiver's tail past head (every send fails with -EPROTO).
 *
 * The ring is driven through its internal API in one process (like the
 * shm_attach fuzz target), on an in-memory segment; each death is made
 * exact: a commit's head (and seq) are rolled back, and the sender's
 * participant entry is handed to a pid that has exited.  Cases:
 *   both    head and seq rolled back, the receiver took the record
 *   head    only head rolled back (died between the two stores), taken
 *   untaken only head rolled back, not taken before the reap
 *   reaper  the reaper itself died holding txlock in its own name
 *   bcast   as "head", in a bcast ring, dead inside the pubver seqlock
 */
#include "shm/ring.h"
#include "t.h"

#include <stdatomic.h>
#include <sys/wait.h>

static void send_one(struct ipcx__ring *tx, uint8_t v)
{
    void *buf;
    T_EQ(ipcx__ring_loan(tx, 24, &buf, 0), 0);
    memset(buf, v, 24);
    T_EQ(ipcx__ring_commit(tx, buf, 24, 0), 0);
}

static uint8_t recv_one(struct ipcx__ring *rx)
{
    const void *m;
    size_t len;
    unsigned prio;
    T_EQ(ipcx__ring_peek(rx, &m, &len, &prio, 0), 0);
    T_EQ((long) len, 24);
    uint8_t v = *(const uint8_t *) m;
    T_EQ(ipcx__ring_release(rx), 0);
    return v;
}

/*
 * Hand participant entry idx to a process that has exited.  vfork, not
 * fork: fork runs ipcx's atfork handlers, whose copies of our open rings
 * would be participants of that child and die with it (reaped too).
 */
static void kill_entry(struct ipcx__shm_hdr *h, int idx)
{
    pid_t dead = vfork();
    T_OK(dead >= 0);
    if (dead == 0)
        _exit(0);
    T_EQ(waitpid(dead, NULL, 0), dead);
    uint64_t owner = atomic_load(&h->part[idx].owner);
    atomic_store(&h->part[idx].start, 0);
    atomic_store(&h->part[idx].owner, (owner & ~UINT64_C(0xffffffff)) | (uint32_t) dead);
}

static int run(const char *c)
{
    int bcast = !strcmp(c, "bcast");
    struct ipcx__ring_opts o = { bcast ? IPCX_SHM_BCAST : IPCX_SHM_SPSC, 0, 4096, 64 };
    uint32_t ns, ss;
    size_t seg = ipcx__ring_seg_size(&o, &ns, &ss);
    T_OK(seg > 0);
    uint8_t *img = aligned_alloc(4096, (seg + 4095) & ~(size_t) 4095);
    T_OK(img != NULL);
    memset(img, 0, seg);
    ipcx__ring_format(img, seg, &o);

    struct ipcx__ring rx, tx, tx2, rp;
    memset(&rx, 0, sizeof rx);
    T_EQ(ipcx__ring_check(&rx, img, seg), 0);
    tx = tx2 = rp = rx;
    T_EQ(ipcx__ring_join(&rx, 0, 0, 0), 0);
    T_EQ(ipcx__ring_join(&tx, 1, 0, 0), 0);
    T_EQ(ipcx__ring_join(&tx2, 1, 0, 0), 0);
    struct ipcx__shm_hdr *h = rx.h;

    send_one(&tx, 1);
    T_EQ(recv_one(&rx), 1); /* the receiver now knows the numbers: it takes on tags */

    /* Message 2: committed, then rolled back to the moment of death; the lock kept. */
    uint64_t head = atomic_load(&h->head), seq = atomic_load(&h->seq);
    uint64_t ver = atomic_load(&h->pubver);
    send_one(&tx, 2);
    atomic_store(&h->head, head);
    if (!strcmp(c, "both"))
        atomic_store(&h->seq, seq);
    if (bcast)
        atomic_store(&h->pubver, ver + 1); /* odd: inside the seqlock */
    atomic_store(&h->txlock, (uint32_t) tx.me + 1);
    int taken = strcmp(c, "untaken") != 0;
    if (taken)
        T_EQ(recv_one(&rx), 2); /* published by its tag */

    kill_entry(h, tx.me);
    if (!strcmp(c, "reaper")) {
        /* A reaper took the lock in its own name and died before it was done. */
        T_EQ(ipcx__ring_join(&rp, 0, 0, 0), 0);
        atomic_store(&h->txlock, (uint32_t) rp.me + 1);
        uint64_t o2 = atomic_load(&h->part[tx.me].owner);
        atomic_store(&h->part[tx.me].owner, o2 | IPCX_PART_REAPING);
        kill_entry(h, rp.me);
        atomic_store(&h->part[tx.me].owner, 0); /* the dead reaper had finished with it */
        atomic_fetch_sub(&h->ntx, 1);
        atomic_fetch_sub(&h->users, 1);
    }
    T_EQ(ipcx__ring_check_peers(&rx), 1);
    T_EQ(atomic_load(&h->txlock), 0u);
    T_EQ(atomic_load(&h->pubver) & 1, 0u);

    /* The next sender's messages reach the receiver, after 2, none lost or repeated. */
    if (!taken)
        T_EQ(recv_one(&rx), 2);
    send_one(&tx2, 3);
    T_EQ(recv_one(&rx), 3);
    send_one(&tx2, 4);
    T_EQ(recv_one(&rx), 4);
    {
        const void *m;
        size_t len;
        T_EQ(ipcx__ring_peek(&rx, &m, &len, NULL, 0), -EAGAIN);
    }
    (void) ipcx__ring_leave(&tx2);
    (void) ipcx__ring_leave(&rx);
    free(img);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const cases[] = { "both", "head", "untaken", "reaper", "bcast" };
    for (size_t i = 0; argc > 1 && i < sizeof cases / sizeof cases[0]; i++)
        if (!strcmp(argv[1], cases[i]))
            return run(argv[1]);
    fprintf(stderr, "shm_repair: no such case\n");
    return 1;
}
