/*
 * shm_repair.c - a sender that dies inside commit, after its record's tag
 * is out but before head and the message number are: receivers take the
 * record on its tag, so whoever reaps the dead sender must move head past
 * it, or the next sender writes over it with a number the receiver has
 * already seen and that sender's message is lost without a word.
 *
 * The ring is driven through its internal API in one process (like the
 * shm_attach fuzz target), on an in-memory segment; the death is made
 * exact: a commit's head and number are rolled back, and the sender's
 * participant entry is handed to a pid that has exited.
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
    int r = ipcx__ring_peek(rx, &m, &len, &prio, 0);
    T_EQ(r, 0);
    T_EQ((long) len, 24);
    uint8_t v = *(const uint8_t *) m;
    T_EQ(ipcx__ring_release(rx), 0);
    return v;
}

int main(void)
{
    struct ipcx__ring_opts o = { IPCX_SHM_SPSC, 0, 4096, 64 };
    uint32_t ns, ss;
    size_t seg = ipcx__ring_seg_size(&o, &ns, &ss);
    T_OK(seg > 0);
    uint8_t *img = aligned_alloc(4096, (seg + 4095) & ~(size_t) 4095);
    T_OK(img != NULL);
    memset(img, 0, seg);
    ipcx__ring_format(img, seg, &o);

    struct ipcx__ring rx, tx, tx2;
    memset(&rx, 0, sizeof rx);
    T_EQ(ipcx__ring_check(&rx, img, seg), 0);
    tx = tx2 = rx;
    T_EQ(ipcx__ring_join(&rx, 0, 0, 0), 0);
    T_EQ(ipcx__ring_join(&tx, 1, 0, 0), 0);
    T_EQ(ipcx__ring_join(&tx2, 1, 0, 0), 0);
    struct ipcx__shm_hdr *h = rx.h;

    send_one(&tx, 1);
    T_EQ(recv_one(&rx), 1); /* the receiver now knows the numbers: it takes on tags */

    /* Message 2: committed, then head and seq rolled back and the lock kept: died inside. */
    uint64_t head = atomic_load(&h->head), seq = atomic_load(&h->seq);
    send_one(&tx, 2);
    atomic_store(&h->head, head);
    atomic_store(&h->seq, seq);
    atomic_store(&h->txlock, (uint32_t) tx.me + 1);
    T_EQ(recv_one(&rx), 2); /* published by its tag */

    /* The sender's entry now names a process that is gone. */
    pid_t dead = fork();
    T_OK(dead >= 0);
    if (dead == 0)
        _exit(0);
    T_EQ(waitpid(dead, NULL, 0), dead);
    uint64_t owner = atomic_load(&h->part[tx.me].owner);
    atomic_store(&h->part[tx.me].start, 0);
    atomic_store(&h->part[tx.me].owner, (owner & ~UINT64_C(0xffffffff)) | (uint32_t) dead);
    T_EQ(ipcx__ring_check_peers(&rx), 1);
    T_EQ(atomic_load(&h->txlock), 0u);

    /* The next sender's message must reach the receiver, after 2, not over it. */
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
