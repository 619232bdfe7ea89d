/*
 * ring_bells.c - doorbells.  ipcx_fd() makes a doorbell: a FIFO (named by
 * bell.h) that its participant holds open at both ends.  A receiver hands out the read end,
 * readable while a byte is in it: when a receive may succeed.  A sender
 * hands out the write end of a one-page pipe, which one byte fills: it is
 * writable while the pipe is empty, i.e. while the sender's bell is not
 * armed, when a send may succeed.
 *
 * Receiver: finds the ring empty -> drains its FIFO, arms (bell = 1), looks
 * again; a producer that publishes takes the 1 and writes a byte.
 * Sender: finds the ring full -> writes its byte, arms, looks again (tries
 * the send once more); whoever frees room (a release, a bcast cursor that
 * moves, txlock given up, a peer that leaves or is reaped) takes the 1 and
 * reads the byte back.  On both sides the arming store and the publishing
 * or freeing store are each followed by a barrier before the other side's
 * word is read (Dekker; the armer takes the sleeper's half, the changer the
 * waker's, see ipcx__ring_wake): either the second look finds the change,
 * or the changer finds the bell armed.  Whoever takes the 1 (an exchange)
 * rings, so each arming is rung once.
 */
#include "ring_int.h"
#include "bell.h"
#include "../util/err.h"
#include "../sys/sys.h"
#include "../sys/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

/*
 * Our descriptor of the FIFO of entry i (not ours) for its owner o, opened
 * once and kept while the entry has the same owner and start time; -1 if
 * it cannot be opened.  A sender's: the read end.  A receiver's: read and
 * write (Linux allows O_RDWR on a FIFO), so that a reader is always there
 * and a write after its owner died fails neither with EPIPE nor raises
 * SIGPIPE in this process; we never read from it.
 */
static int ring_bell_fd(struct ipcx__ring *r, unsigned i, uint64_t o)
{
    uint64_t start = atomic_load_explicit(&r->h->part[i].start, memory_order_relaxed);
    struct stat st;
    char path[128];

    if (r->bellw[i] >= 0 && (r->bellowner[i] != o || r->bellstart[i] != start)) {
        (void) ipcx__close(r->bellw[i]); /* the entry changed hands: another FIFO */
        r->bellw[i] = -1;
    }
    if (r->bellw[i] >= 0)
        return r->bellw[i];
    if (ipcx__bell_path(path, sizeof path, r->fx.id, i, IPCX_PART_PID(o), start) < 0)
        return -1;
    int fd = ipcx__openat(AT_FDCWD, path, (ring_role(o) == IPCX_PART_TX ? O_RDONLY : O_RDWR) |
                                          O_NONBLOCK | O_NOFOLLOW, 0);
    /* The name comes from the segment: use nothing but a FIFO. */
    if (fd >= 0 && (ipcx__fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
        (void) ipcx__close(fd);
        fd = -1;
    }
    if (fd < 0)
        fd = -1;
    r->bellw[i] = fd;
    r->bellowner[i] = o;
    r->bellstart[i] = start;
    return fd;
}

/* Ring entry i as role: write a receiver's byte, read a sender's back. */
static void ring_bell_poke(struct ipcx__ring *r, unsigned i, uint64_t role, uint64_t o)
{
    char buf[64] = { 1 };
    ssize_t n;

    if ((int) i == r->me) {
        /* Our own: a receiver rings itself through its write end, a sender drains its read end. */
        if (r->tx && r->bellfd >= 0)
            while (ipcx__read(r->bellfd, buf, sizeof buf) > 0)
                ;
        else if (!r->tx && r->bellw[i] >= 0)
            (void) ipcx__write_all(r->bellw[i], buf, 1);
        return;
    }
    int fd = ring_bell_fd(r, i, o);
    if (fd < 0)
        return;
    if (role == IPCX_PART_TX)
        while ((n = ipcx__read(fd, buf, sizeof buf)) > 0)
            ;
    else
        n = ipcx__write_all(fd, buf, 1);
    /* Empty, full (then it is readable anyway) or no writer left: fine.  Else forget it. */
    if (n < 0 && n != -EAGAIN) {
        (void) ipcx__close(r->bellw[i]);
        r->bellw[i] = -1;
    }
}

/* We took entry i's bell (exchanged its 1 for 0): ring it. */
static void ring_bell_fire(struct ipcx__ring *r, unsigned i)
{
    /* acquire (after the acq_rel exchange): the owner and start of whoever armed it. */
    uint64_t o = atomic_load_explicit(&r->h->part[i].owner, memory_order_acquire);
    uint64_t role = (int) i == r->me ? (r->tx ? IPCX_PART_TX : IPCX_PART_RX) : ring_role(o);
    if (role == IPCX_PART_TX)
        ring_count_down(&r->h->sbells); /* an armed sender is counted; a receiver is not */
    if (role == IPCX_PART_TX || role == IPCX_PART_RX)
        ring_bell_poke(r, i, role, o);
}

void ipcx__ring_notify_data(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    ipcx__ring_wake(r, &h->data); /* its barrier also orders the loads below */
    if (!atomic_load_explicit(&h->bells, memory_order_relaxed))
        return; /* the common case: nobody asked for a descriptor, no cost */
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        if (!atomic_load_explicit(&p->bell, memory_order_relaxed))
            continue;
        /* A sender's bell waits for room, not for messages. */
        if (ring_role(atomic_load_explicit(&p->owner, memory_order_relaxed)) != IPCX_PART_RX)
            continue;
        /* Disarm and ring once: the receiver re-arms when it finds the ring empty. */
        if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
            ring_bell_fire(r, i);
    }
}

/* Would a record of want bytes fit, padded to the wrap as bytes_try_loan pads?  Errs to yes. */
static int ring_tx_fits(const struct ipcx__ring *r, uint64_t head, uint64_t oldest,
                        uint64_t want)
{
    uint64_t cap = r->fx.data_size, pos = head & r->mask;
    if (oldest > head || head - oldest > cap || want == 0 || want > cap)
        return 1; /* nothing sensible to judge by: let it look */
    uint64_t pad = cap - pos < want ? cap - pos : 0;
    return head + pad + want <= oldest + cap;
}

void ipcx__ring_bells_tx(struct ipcx__ring *r, int fits)
{
    struct ipcx__shm_hdr *h = r->h;
    uint64_t head = 0, oldest = 0;
    int sized = 0;

    /* relaxed, after the caller's waker barrier (see ring.h and ring_tx_arm). */
    if (!atomic_load_explicit(&h->sbells, memory_order_relaxed))
        return; /* the common case: no sender waits with a descriptor, no cost */
    if (fits)
        sized = ring_kind(r)->tx_room(r, &head, &oldest);
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        /* Never our own: a sender that frees txlock is about to arm or has room. */
        if ((int) i == r->me || !atomic_load_explicit(&p->bell, memory_order_relaxed))
            continue;
        if (ring_role(atomic_load_explicit(&p->owner, memory_order_relaxed)) != IPCX_PART_TX)
            continue; /* a receiver's bell is rung by messages */
        /*
         * txlock given up: a sender that was denied it may go on if its
         * message fits; one waiting for room must not be woken for nothing
         * (two full senders would wake each other forever).
         */
        if (sized && !ring_tx_fits(r, head, oldest,
                                   atomic_load_explicit(&p->want, memory_order_relaxed)))
            continue;
        if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
            ring_bell_fire(r, i);
    }
}

/*
 * Membership changed (a leave, a reap): every armed receiver is rung (it
 * may see the end of the senders), and every sender's descriptor turns
 * writable (a receiver that held room back, or txlock, is gone, or the
 * last one: a send returns -EPIPE).  A sender's FIFO is drained whether
 * its bell is armed or not: a peer that took the 1 and died before it read
 * the byte must not leave the descriptor unwritable for good.  At worst
 * the sender looks once for nothing and arms again.
 */
void ipcx__ring_bells_all(struct ipcx__ring *r)
{
    struct ipcx__shm_hdr *h = r->h;
    /*
     * seq_cst fence: the membership change (an owner word cleared with
     * release, a count) before our loads of the bells, against a sender's
     * arming and second look (ring_tx_arm).  Rare: leaves and reaps only.
     */
    atomic_thread_fence(memory_order_seq_cst);
    if (!atomic_load_explicit(&h->bells, memory_order_relaxed) &&
        !atomic_load_explicit(&h->fifos, memory_order_relaxed))
        return;
    for (unsigned i = 0; i < IPCX_SHM_PARTS; i++) {
        struct ipcx__shm_part *p = &h->part[i];
        uint64_t o = atomic_load_explicit(&p->owner, memory_order_acquire);
        int mine = (int) i == r->me;
        uint64_t role = mine ? (r->tx ? IPCX_PART_TX : IPCX_PART_RX) : ring_role(o);
        if (role == IPCX_PART_RX) {
            if (!mine && atomic_load_explicit(&p->bell, memory_order_relaxed) &&
                atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
                ring_bell_fire(r, i);
        } else if (role == IPCX_PART_TX &&
                   (mine ? r->bellfd >= 0 : atomic_load_explicit(&p->fifo, memory_order_relaxed) != 0)) {
            if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel))
                ring_count_down(&h->sbells);
            ring_bell_poke(r, i, IPCX_PART_TX, o);
        }
    }
}

/* A reaped participant (o, start: the dead owner): take its bell, remove its FIFO. */
void ipcx__ring_bell_reaped(struct ipcx__ring *r, unsigned i, uint64_t o, uint64_t start)
{
    struct ipcx__shm_hdr *h = r->h;
    struct ipcx__shm_part *p = &h->part[i];
    uint64_t role = ring_role(o);
    char path[128];

    if (atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel) && role == IPCX_PART_TX)
        ring_count_down(&h->sbells);
    if (!atomic_exchange_explicit(&p->fifo, 0, memory_order_acq_rel))
        return; /* it never made a doorbell */
    if (ipcx__bell_path(path, sizeof path, r->fx.id, i, IPCX_PART_PID(o), start) == 0)
        (void) ipcx__unlinkat(AT_FDCWD, path, 0);
    if (role == IPCX_PART_RX)
        ring_count_down(&h->bells);
    if (r->bellw[i] >= 0 && (int) i != r->me) {
        (void) ipcx__close(r->bellw[i]);
        r->bellw[i] = -1;
    }
}

void ipcx__ring_bells_sweep(const struct ipcx__ring *r)
{
    /* relaxed: a hint; a FIFO made after we looked has a live owner, which the sweep spares. */
    if (r->h && atomic_load_explicit(&r->h->fifos, memory_order_relaxed))
        (void) ipcx__bell_sweep(&r->fx.id, 0, NULL, NULL);
}

/* Has a receiver something to take? Used only to re-check after arming a doorbell. */
int ipcx__ring_has_data(struct ipcx__ring *r)
{
    return ring_kind(r)->has_data(r) || ipcx__ring_peer_gone(r);
}

/* The receiver found nothing: empty the FIFO and arm the bell. */
void ipcx__ring_bell_rearm(struct ipcx__ring *r)
{
    char buf[64];
    while (ipcx__read(r->bellfd, buf, sizeof buf) > 0)
        ;
    /* Arm, then look again: store-load against notify_data, as a sleeper. */
    atomic_store_explicit(&r->h->part[r->me].bell, 1, memory_order_seq_cst);
    ipcx__ring_sleeper_barrier(r);
    if (ipcx__ring_has_data(r) &&
        atomic_exchange_explicit(&r->h->part[r->me].bell, 0, memory_order_seq_cst)) {
        char c = 1;
        (void) ipcx__write_all(r->bellw[r->me], &c, 1); /* our own write end: readable again */
    }
}

/* Take our own armed bell back and read our byte: the descriptor is writable again. */
static void ring_tx_disarm(struct ipcx__ring *r, int drain)
{
    struct ipcx__shm_part *p = &r->h->part[r->me];
    char buf[64];
    if (atomic_load_explicit(&p->bell, memory_order_relaxed) &&
        atomic_exchange_explicit(&p->bell, 0, memory_order_acq_rel)) {
        ring_count_down(&r->h->sbells);
        drain = 1;
    }
    /* Else whoever took the 1 reads the byte; drain: read it now anyway. */
    if (drain)
        while (ipcx__read(r->bellfd, buf, sizeof buf) > 0)
            ;
}

/* A send found no room: arm our doorbell (the descriptor turns unwritable). */
static void ring_tx_arm(struct ipcx__ring *r, size_t len)
{
    struct ipcx__shm_hdr *h = r->h;
    struct ipcx__shm_part *p = &h->part[r->me];
    char c = 1;

    /* What the send needs: a txlock holder rings us only if it fits (ipcx__ring_bells_tx). */
    atomic_store_explicit(&p->want, (uint32_t) ipcx__rec_max(len), memory_order_relaxed);
    /*
     * Count, then the byte, then the flag.  Counted before armed: a
     * counted bell that is not armed costs a freer a look, an armed one not
     * counted would be missed.  The byte before the flag: whoever takes the
     * 1 finds the byte to read (EAGAIN here: it is full already).
     */
    atomic_fetch_add_explicit(&h->sbells, 1, memory_order_seq_cst);
    (void) ipcx__write_all(r->bellw[r->me], &c, 1);
    if (atomic_exchange_explicit(&p->bell, 1, memory_order_seq_cst))
        ring_count_down(&h->sbells); /* armed already and not rung since: counted once */
    /*
     * Arm, then look again (store-load), as a sleeper: it pairs with the
     * waker's barrier between a freeing store and the freer's loads of
     * sbells and bell (ipcx__ring_wake, before ipcx__ring_bells_tx): either
     * our second try sees the room, or the freer sees us armed.
     */
    ipcx__ring_sleeper_barrier(r);
}

/* A sender with a descriptor after a loan attempt (ring_int.h). */
int ipcx__ring_tx_bell(struct ipcx__ring *r, size_t len, void **buf, int rc)
{
    if (rc == 0) {
        /* One relaxed load per send: room came without a ring (a race, txlock). */
        if (atomic_load_explicit(&r->h->part[r->me].bell, memory_order_relaxed))
            ring_tx_disarm(r, 0);
        return 0;
    }
    if (rc != -EAGAIN && rc != -ETIMEDOUT && rc != -EINTR) {
        ring_tx_disarm(r, 1); /* -EPIPE, -EPROTO: a send does not block now */
        return rc;
    }
    ring_tx_arm(r, len);
    int again = ring_kind(r)->loan(r, len, buf, 0);
    if (again == -EAGAIN && ring_shrunk(r))
        again = ipcx__ring_gone(r); /* nobody would ring: the segment shrank */
    if (again == -EAGAIN)
        return rc; /* armed: whoever frees room rings */
    ring_tx_disarm(r, again < 0);
    return again;
}

/* Make our FIFO and open both ends: bellfd (read) and bellw[me] (write). */
static int ring_bell_make(struct ipcx__ring *r)
{
    struct ipcx__shm_part *p = &r->h->part[r->me];
    int fd = -1, wfd = -1, rc;

    rc = ipcx__bell_path(r->bellpath, sizeof r->bellpath, r->fx.id, (unsigned) r->me, r->pid,
                         r->start);
    if (rc < 0)
        return ipcx__fail(rc, "the doorbell's name is too long");
    /* Flags first: a reaper and the last one out look for FIFOs where they say so. */
    atomic_store_explicit(&r->h->fifos, 1, memory_order_seq_cst);
    atomic_store_explicit(&p->fifo, 1, memory_order_seq_cst);
    if ((rc = ipcx__mkfifo(r->bellpath, 0600)) < 0) {
        /* Ours from before (same segment, entry, pid and start time) is taken over. */
        if (rc != -EEXIST || (rc = ipcx__fs_reusable(r->bellpath, S_IFIFO)) < 0) {
            rc = ipcx__fail(rc, "cannot make the doorbell %s", r->bellpath);
            goto fail;
        }
    }
    fd = ipcx__openat(AT_FDCWD, r->bellpath, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, 0);
    /* Both ends held: no POLLHUP or POLLERR, and we can ring (or drain) ourselves. */
    if (fd >= 0)
        wfd = ipcx__openat(AT_FDCWD, r->bellpath, O_WRONLY | O_NONBLOCK | O_NOFOLLOW, 0);
    if (fd < 0 || wfd < 0) {
        rc = ipcx__fail(fd < 0 ? fd : wfd, "cannot open the doorbell %s", r->bellpath);
        goto fail_unlink;
    }
    if (r->tx) {
        /* One page: one byte makes it full, and only an empty pipe is writable. */
        long page = sysconf(_SC_PAGESIZE);
        int sz = ipcx__pipe_resize(wfd, (int) (page > 0 ? page : RING_PAGE));
        if (sz < 0) {
            rc = ipcx__fail(sz, "cannot make the doorbell %s one page", r->bellpath);
            goto fail_unlink;
        }
        if (page > 0 && sz > page) {
            rc = ipcx__fail(-ENOTSUP, "the doorbell %s is %d bytes, not one page: one byte "
                                      "would not make it unwritable", r->bellpath, sz);
            goto fail_unlink;
        }
    }
    r->bellfd = fd;
    r->bellw[r->me] = wfd;
    r->bellowner[r->me] = r->mine;
    r->bellstart[r->me] = r->start;
    return 0;
fail_unlink:
    (void) ipcx__close(fd);
    (void) ipcx__close(wfd);
    (void) ipcx__unlinkat(AT_FDCWD, r->bellpath, 0);
fail:
    atomic_store_explicit(&p->fifo, 0, memory_order_relaxed);
    return rc;
}

int ipcx__ring_fd(struct ipcx__ring *r)
{
    if (r->me < 0)
        return ipcx__fail(-EPIPE, "this end is no longer registered in the ring");
    if (r->bellfd >= 0)
        return r->tx ? r->bellw[r->me] : r->bellfd;
    int rc = ring_bell_make(r);
    if (rc < 0)
        return rc;
    /* A sender's starts empty, writable: a send may succeed; the first that finds no room arms it. */
    if (r->tx)
        return r->bellw[r->me];
    atomic_fetch_add_explicit(&r->h->bells, 1, memory_order_seq_cst);
    ipcx__ring_bell_rearm(r);
    return r->bellfd;
}
