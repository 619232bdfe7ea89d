/*
 * semserver.c - seed 003, "a semaphore can be realised with channels and a
 * central master process": N client processes and one master.  The master
 * owns the semaphore's counter and its wait queue; clients send "<id>-"
 * (P) and "<id>+" (V) on ONE request channel that they all share, and wait
 * for "!" on their own acknowledge channel.  They use the semaphore to
 * guard a plain counter in shared memory, which must end exact.
 *
 * Sharing the request channel is correct only because every message
 * arrives whole: with "1+" and "2-" written at once, the master must read
 * "1+2-" or "2-1+", never "12+-".  ipcx channels keep message boundaries
 * on every transport (pipe/fifo: one write of at most PIPE_BUF per framed
 * message, which the kernel does not interleave; mq, unix sockets, shm
 * rings: one message each).  --unframed takes that away: a raw byte pipe
 * and each two-byte request written in two write() calls, all clients
 * writing their first byte before any writes its second (a barrier
 * forces the interleaving, so it happens every run), and the master's
 * check of each request reports the torn one.
 *
 * A client that dies (--kill-client ID: SIGKILLed while it holds the
 * semaphore) would keep its token forever; the supervisor that reaps it
 * tells the master, which gives the token back and forgets the client's
 * place in the wait queue (what SEM_UNDO does for a System V semaphore),
 * so the others finish.
 */
#include "demo.h"
#include "ipcx.h"
#include "ipcx/sync.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "Usage: ipcx demo semserver [--via pipe|fifo|mq|unix|shm] [--clients N]\n"
    "                           [--iters M] [--init V] [--kill-client ID [--kill-waiting]]\n"
    "                           [--unframed]\n"
    "\n"
    "Seed 003's semaphore from channels and a master process.  The master owns\n"
    "the counter (--init V, default 1) and a wait queue.  N clients (2..9,\n"
    "default 4; ids 1..N, one digit as in the seed) each do M times (default\n"
    "200): send \"<id>-\" (P) on the one shared request channel, wait for \"!\"\n"
    "on their own acknowledge channel, add one to a plain shared counter,\n"
    "send \"<id>+\" (V), wait for \"!\".  The master answers a P at once while\n"
    "the counter is above 0, else queues the client and answers when a V\n"
    "comes.  The check: the counter ends at exactly the number of increments\n"
    "done, never more than V clients were inside at once, every client\n"
    "finished, the master read only well-formed requests.  (With V above 1,\n"
    "V clients may be inside together, so there the increment is atomic and\n"
    "the number inside is what the semaphore must bound.)\n"
    "\n"
    "Why one request channel may be shared: its messages are atomic.  When\n"
    "clients 1 and 2 send \"1+\" and \"2-\" at once, the master must read\n"
    "\"1+2-\" or \"2-1+\", never \"12+-\".  Every ipcx channel keeps message\n"
    "boundaries (pipe and fifo: one write of at most PIPE_BUF bytes per\n"
    "message, which the kernel never interleaves with another writer's; mq,\n"
    "unix sockets, shm rings: one message each).  The acknowledge channels are\n"
    "one per client: N readers on one channel would take each other's \"!\".\n"
    "\n"
    "  --via S          the channels' mechanism (default pipe)\n"
    "  --unframed       the request channel is a raw byte pipe and each request\n"
    "                   is written in two write() calls; a barrier makes all\n"
    "                   clients write their first byte before their second, so\n"
    "                   the master reads a torn request like \"12\" every run: the\n"
    "                   verdict is FAILED (that is the point)\n"
    "  --kill-client ID client ID is SIGKILLed while it holds the semaphore,\n"
    "                   half-way through; the master gives its token back (as\n"
    "                   SEM_UNDO would) and the others finish\n"
    "  --kill-waiting   with --kill-client: SIGKILL it after it sent its P and\n"
    "                   before the '!' (while another client is inside, so the\n"
    "                   P is queued): the master takes it out of the queue, or\n"
    "                   gives back the token if it was granted meanwhile\n";

static const struct demo_info info = {
    .name = "semserver",
    .summary = "a semaphore from channels: a master process, <id>-/<id>+ and !",
    .seed = "seed 003: semaphore with channels and a master process",
    .usage = usage,
};

#define MAXC 9

enum via { VIA_PIPE, VIA_FIFO, VIA_MQ, VIA_UNIX, VIA_SHM };
static const char *const via_names[] = { "pipe", "fifo", "mq", "unix", "shm" };

struct shared {
    ipcx_barrier start; /* master + clients: every receiving end exists */
    ipcx_barrier tear;  /* --unframed: the clients between their two writes */
    long counter;       /* the plain counter the semaphore guards */
    atomic_int inside, max_inside;
    long done[MAXC + 1];        /* increments each client completed */
    atomic_int dead[MAXC + 1];  /* the supervisor reaped this client, not cleanly */
    atomic_int stop;            /* every client is gone */
    atomic_int victim_ready;    /* the victim holds the semaphore and waits to die */
    atomic_int victim_gone;     /* the supervisor reaped it */
    atomic_int parked;          /* clients waiting for the victim's death */
    atomic_int hold_for_victim; /* --kill-waiting: 1 asked, 2 a client holds until it is dead */
    long requests, grants, queued, returned, dequeued; /* the master's tally */
    char torn[16];              /* the first malformed request the master read */
};

struct cfg {
    enum via via;
    int clients, unframed, victim, kill_waiting;
    long iters, init;
    char dir[64]; /* fifo: the private directory */
    char req_url[128], ack_url[MAXC + 1][128];
    ipcx_chan *req[2], *ack[MAXC + 1][2]; /* pipe: inherited pairs */
    int raw[2];                           /* --unframed: the byte pipe */
    struct shared *sh;
};

static void make_urls(struct cfg *c)
{
    pid_t me = getpid();
    for (int i = 0; i <= c->clients; i++) {
        char *u = i == 0 ? c->req_url : c->ack_url[i];
        char what[16];
        if (i == 0)
            snprintf(what, sizeof what, "req");
        else
            snprintf(what, sizeof what, "ack%d", i);
        switch (c->via) {
        case VIA_PIPE: u[0] = 0; break;
        case VIA_FIFO: snprintf(u, 128, "fifo:%s/%s?maxmsg=64", c->dir, what); break;
        case VIA_MQ:   snprintf(u, 128, "mq:/ipcx-semserver-%d-%s?maxmsg=64&depth=%d", (int) me, what,
                                c->clients + 1); break;
        case VIA_UNIX: snprintf(u, 128, "unix:@ipcx-semserver-%d-%s?maxmsg=64", (int) me, what); break;
        case VIA_SHM:  snprintf(u, 128, "shm:/ipcx-semserver-%d-%s?mode=%s&maxmsg=64", (int) me, what,
                                i == 0 ? "mpsc" : "spsc"); break;
        }
    }
}

static ipcx_chan *open_or_die(const char *who, const char *url, int flags)
{
    ipcx_chan *ch;
    int r = ipcx_open(&ch, url, flags);
    if (r < 0)
        demo_die("%s: cannot open %s: %s (%s)", who, url, ipcx_strerror(r), ipcx_errdetail());
    return ch;
}

/* Close the inherited pipe ends this process does not use (keep: [i][dir] or -1). */
static void close_pairs_except(struct cfg *c, int keep_req, int keep_ack_i, int keep_ack_end)
{
    if (c->via != VIA_PIPE)
        return;
    for (int e = 0; e < 2; e++)
        if (c->req[e] && e != keep_req) {
            (void) ipcx_close(c->req[e]);
            c->req[e] = NULL;
        }
    for (int i = 1; i <= c->clients; i++)
        for (int e = 0; e < 2; e++)
            if (c->ack[i][e] && !(keep_ack_i == 0 ? e == keep_ack_end : i == keep_ack_i && e == keep_ack_end)) {
                (void) ipcx_close(c->ack[i][e]);
                c->ack[i][e] = NULL;
            }
}

/* ---- the master ------------------------------------------------------ */

struct master {
    struct cfg *c;
    ipcx_chan *req, *ack[MAXC + 1];
    long count;
    int waiters[MAXC], nwait;
    long held[MAXC + 1];
    int gone[MAXC + 1]; /* a dead client already accounted for */
};

static void ack(struct master *m, int id)
{
    /* One "!" at most is ever outstanding per client, so this send never
     * waits on a full channel; to a dead client it may fail (-EPIPE). */
    int r = ipcx_send(m->ack[id], "!", 1, 0, m->gone[id] ? 0 : IPCX_FOREVER);
    if (r < 0 && !atomic_load(&m->c->sh->dead[id]))
        fprintf(stderr, "semserver: master: ack to %d: %s\n", id, ipcx_strerror(r));
}

/* V: a token back to the semaphore, to the first live waiter if any. */
static void give_back(struct master *m)
{
    while (m->nwait > 0) {
        int next = m->waiters[0];
        memmove(m->waiters, m->waiters + 1, (size_t) --m->nwait * sizeof m->waiters[0]);
        if (m->gone[next])
            continue;
        m->held[next]++;
        m->c->sh->grants++;
        ack(m, next);
        return;
    }
    m->count++;
}

/* Tokens held by clients that died go back; their place in the queue goes. */
static void forget_dead(struct master *m)
{
    for (int id = 1; id <= m->c->clients; id++) {
        if (m->gone[id] || !atomic_load(&m->c->sh->dead[id]))
            continue;
        m->gone[id] = 1;
        for (int w = 0; w < m->nwait; w++)
            if (m->waiters[w] == id) {
                m->c->sh->dequeued++;
                printf("semserver: master: client %d died waiting: out of the queue\n", id);
                memmove(m->waiters + w, m->waiters + w + 1, (size_t) (m->nwait - w - 1) * sizeof m->waiters[0]);
                m->nwait--;
                w--;
            }
        while (m->held[id] > 0) {
            m->held[id]--;
            m->c->sh->returned++;
            printf("semserver: master: client %d died holding a token: given back\n", id);
            give_back(m);
        }
    }
}

/* One request; 0, or -1 for a malformed one (recorded in sh->torn). */
static int handle(struct master *m, const char *msg, long len)
{
    struct shared *sh = m->c->sh;
    int id = len == 2 ? msg[0] - '0' : -1;
    if (len != 2 || id < 1 || id > m->c->clients || (msg[1] != '+' && msg[1] != '-')) {
        size_t n = len < 0 ? 0 : (size_t) len < sizeof sh->torn - 1 ? (size_t) len : sizeof sh->torn - 1;
        memcpy(sh->torn, msg, n);
        sh->torn[n] = 0;
        return -1;
    }
    sh->requests++;
    if (m->gone[id]) {
        /* Sent just before it died, read after: nobody waits for the answer. */
        if (msg[1] == '-') {
            sh->dequeued++;
            printf("semserver: master: a P of client %d, dead: dropped\n", id);
        }
        return 0;
    }
    if (msg[1] == '+') {
        if (m->held[id] > 0)
            m->held[id]--;
        give_back(m);
        ack(m, id);
    } else if (m->count > 0) {
        m->count--;
        m->held[id]++;
        sh->grants++;
        ack(m, id);
    } else {
        m->waiters[m->nwait++] = id;
        sh->queued++;
    }
    return 0;
}

/* --unframed: read exactly two bytes from the raw pipe; 2, 0 (timeout), -1 EOF. */
static long read_two(int fd, char *buf)
{
    size_t got = 0;
    while (got < 2) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, got ? -1 : 50);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        ssize_t n = read(fd, buf + got, 2 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    return 2;
}

static int master_main(void *arg, int unused)
{
    (void) unused;
    struct cfg *c = arg;
    struct master m = { .c = c, .count = c->init };
    int r = ipcx_barrier_join(&c->sh->start);
    if (r < 0)
        demo_die("master: barrier: %s", ipcx_strerror(r));

    if (c->unframed) {
        (void) close(c->raw[1]);
        close_pairs_except(c, -1, 0, 1); /* keep every ack's sending end */
    } else if (c->via == VIA_PIPE) {
        close_pairs_except(c, 0, 0, 1);
        m.req = c->req[0];
    } else {
        m.req = open_or_die("master", c->req_url, IPCX_RECV | IPCX_CREATE);
    }
    if ((r = ipcx_barrier_wait(&c->sh->start, IPCX_FOREVER)) < 0)
        demo_die("master: start barrier: %s", ipcx_strerror(r));
    for (int i = 1; i <= c->clients; i++)
        m.ack[i] = c->via == VIA_PIPE ? c->ack[i][1] : open_or_die("master", c->ack_url[i], IPCX_SEND);

    int bad = 0;
    for (;;) {
        char buf[64];
        long n;
        forget_dead(&m);
        if (c->unframed)
            n = read_two(c->raw[0], buf);
        else
            n = ipcx_recv(m.req, buf, sizeof buf, NULL, 50);
        if (n == 0 || n == -ETIMEDOUT || n == -EAGAIN) {
            if (atomic_load(&c->sh->stop))
                break;
            continue;
        }
        if (n == -EPIPE || (c->unframed && n < 0))
            break; /* every client has closed its end */
        if (n < 0) {
            fprintf(stderr, "semserver: master: receive: %s\n", ipcx_strerror((int) n));
            bad = 1;
            break;
        }
        if (handle(&m, buf, n) < 0) {
            printf("semserver: master: torn request '%s' (%ld bytes): not \"<id>+\" or \"<id>-\"\n",
                   c->sh->torn, n);
            bad = 1;
            break;
        }
    }
    for (int i = 1; i <= c->clients; i++)
        (void) ipcx_close(m.ack[i]);
    (void) ipcx_close(m.req);
    return bad;
}

/* ---- a client -------------------------------------------------------- */

static void request_send(struct cfg *c, ipcx_chan *req, int id, char op, int first)
{
    char msg[2] = { (char) ('0' + id), op };
    if (c->unframed) {
        /* Two writes: another client's bytes can come between them. */
        if (write(c->raw[1], msg, 1) != 1)
            demo_die("client %d: write: %s", id, strerror(errno));
        if (first) {
            int r = ipcx_barrier_wait(&c->sh->tear, IPCX_FOREVER);
            if (r < 0)
                demo_die("client %d: barrier: %s", id, ipcx_strerror(r));
        }
        if (write(c->raw[1], msg + 1, 1) != 1)
            demo_die("client %d: write: %s", id, strerror(errno));
    } else {
        int r = ipcx_send(req, msg, 2, 0, IPCX_FOREVER);
        if (r < 0)
            demo_die("client %d: send %.2s: %s", id, msg, ipcx_strerror(r));
    }
}

static void request_wait(ipcx_chan *ackch, int id)
{
    char bang[8];
    long n = ipcx_recv(ackch, bang, sizeof bang, NULL, IPCX_FOREVER);
    if (n != 1 || bang[0] != '!')
        demo_die("client %d: waited for '!', got %s", id, n < 0 ? ipcx_strerror((int) n) : "something else");
}

static void request(struct cfg *c, ipcx_chan *req, ipcx_chan *ackch, int id, char op, int first)
{
    request_send(c, req, id, op, first);
    request_wait(ackch, id);
}

static int client_main(void *arg, int id)
{
    struct cfg *c = arg;
    struct shared *sh = c->sh;
    ipcx_chan *req = NULL, *ackch;
    int r;

    /* Join the barriers first: a client that dies before it reaches one
     * then breaks it (-EPIPE) instead of leaving the others waiting. */
    if ((r = ipcx_barrier_join(&sh->start)) < 0 ||
        (c->unframed && (r = ipcx_barrier_join(&sh->tear)) < 0))
        demo_die("client %d: barrier: %s", id, ipcx_strerror(r));
    if (c->unframed)
        (void) close(c->raw[0]);
    if (c->via == VIA_PIPE) {
        close_pairs_except(c, c->unframed ? -1 : 1, id, 0);
        req = c->req[1];
        ackch = c->ack[id][0];
    } else {
        ackch = open_or_die("client", c->ack_url[id], IPCX_RECV | IPCX_CREATE);
    }
    if ((r = ipcx_barrier_wait(&sh->start, IPCX_FOREVER)) < 0)
        demo_die("client %d: start barrier: %s", id, ipcx_strerror(r));
    if (c->via != VIA_PIPE && !c->unframed)
        req = open_or_die("client", c->req_url, IPCX_SEND);

    for (long it = 0; it < c->iters; it++) {
        /* With --kill-client the others keep their last P until the victim
         * is dead, so that the master's give-back is what lets them finish
         * (not that they happened to be done before it died). */
        if (c->victim && id != c->victim && it == c->iters - 1) {
            atomic_fetch_add(&sh->parked, 1);
            while (!atomic_load(&sh->victim_gone))
                usleep(1000);
        }
        if (id == c->victim && it == c->iters / 2 && c->kill_waiting) {
            /* Killed between its P and the '!', while another client holds
             * the semaphore and stays inside until the victim is dead, so
             * the P is queued at the master when the victim dies.  (If the
             * others are all parked already, nobody can hold: the P is then
             * granted, and the token given back.) */
            atomic_store(&sh->hold_for_victim, 1);
            while (atomic_load(&sh->hold_for_victim) != 2 && atomic_load(&sh->parked) < c->clients - 1)
                usleep(100);
            request_send(c, req, id, '-', it == 0);
            atomic_store(&sh->victim_ready, 1);
            for (;;)
                pause();
        }
        request(c, req, ackch, id, '-', it == 0);
        int in = atomic_fetch_add(&sh->inside, 1) + 1, mx = atomic_load(&sh->max_inside);
        while (in > mx && !atomic_compare_exchange_weak(&sh->max_inside, &mx, in))
            ;
        int asked = 1;
        if (atomic_compare_exchange_strong(&sh->hold_for_victim, &asked, 2))
            while (!atomic_load(&sh->victim_gone))
                usleep(1000); /* --kill-waiting: the holder while the victim dies */
        if (id == c->victim && it == c->iters / 2) {
            /* Not counted inside: it touches the counter no more, but its
             * token stays taken until the master learns of its death. */
            atomic_fetch_sub(&sh->inside, 1);
            atomic_store(&sh->victim_ready, 1);
            for (;;)
                pause(); /* the supervisor's SIGKILL comes here */
        }
        if (c->init == 1) {
            long v = sh->counter; /* a plain read-modify-write: only the semaphore protects it */
            if (it % 8 == 0)
                sched_yield();
            sh->counter = v + 1;
        } else {
            /* Up to V clients inside at once: a plain counter would lose
             * updates by design, so here the increment is atomic. */
            __atomic_fetch_add(&sh->counter, 1, __ATOMIC_RELAXED);
            if (it % 8 == 0)
                sched_yield();
        }
        sh->done[id]++;
        atomic_fetch_sub(&sh->inside, 1);
        request(c, req, ackch, id, '+', 0);
    }
    (void) ipcx_close(req);
    (void) ipcx_close(ackch);
    return 0;
}

/* ---- the supervisor -------------------------------------------------- */

struct watch {
    struct cfg *c;
    pid_t *pids; /* [0] master, [1..N] clients */
    int *status;
    int killed, master_early;
};

static int supervise(void *arg)
{
    struct watch *w = arg;
    struct cfg *c = w->c;
    int left = 0, failed = 0;
    if (demo_interrupted())
        return 1; /* SIGINT/SIGTERM/SIGHUP: kill, clean up, die by it */
    for (int i = 1; i <= c->clients; i++) {
        if (w->pids[i] > 0)
            left++;
        else if (w->status[i] != -1 && !demo_exited_ok(w->status[i])) {
            atomic_store(&c->sh->dead[i], 1);
            if (i == c->victim)
                atomic_store(&c->sh->victim_gone, 1);
            else
                failed = 1;
        }
    }
    /* A client that failed while the master runs: nothing good can follow
     * (the others may wait on a barrier it broke, or for ever). */
    if (failed && w->pids[0] > 0 && !c->unframed) {
        w->master_early = 1;
        return 1;
    }
    if (c->victim && !w->killed && atomic_load(&c->sh->victim_ready) && w->pids[c->victim] > 0) {
        printf("semserver: SIGKILL to client %d %s\n", c->victim,
               c->kill_waiting ? "after its P, before the '!'" : "while it holds the semaphore");
        (void) kill(w->pids[c->victim], SIGKILL);
        w->killed = 1;
    }
    if (left == 0)
        atomic_store(&c->sh->stop, 1);
    /* A master that ended well saw every client close its end (they are
     * exiting now).  One that failed leaves the clients waiting for ever on
     * an mq, unix or shm channel; on a pipe or FIFO they see it gone
     * (-EPIPE) and end by themselves, so they are left to do that. */
    if (w->pids[0] == 0 && left > 0 && !demo_exited_ok(w->status[0]) &&
        c->via != VIA_PIPE && c->via != VIA_FIFO) {
        w->master_early = 1;
        return 1;
    }
    return 0;
}

static void remove_objects(struct cfg *c)
{
    if (c->via == VIA_PIPE || c->via == VIA_UNIX)
        return; /* anonymous pipes, abstract sockets: nothing named */
    for (int i = 0; i <= c->clients; i++) {
        int r = ipcx_unlink(i == 0 ? c->req_url : c->ack_url[i]);
        if (r < 0 && r != -ENOENT)
            fprintf(stderr, "semserver: cannot remove %s: %s\n", i == 0 ? c->req_url : c->ack_url[i],
                    ipcx_strerror(r));
    }
    if (c->dir[0] && rmdir(c->dir) < 0)
        fprintf(stderr, "semserver: cannot remove %s: %s\n", c->dir, strerror(errno));
}

static void parse(struct cfg *c, int argc, char **argv)
{
    c->via = VIA_PIPE;
    c->clients = 4;
    c->iters = 200;
    c->init = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--via") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            int k = -1;
            for (int j = 0; j < 5; j++)
                if (strcmp(v, via_names[j]) == 0)
                    k = j;
            if (k < 0)
                demo_usage_error("--via is pipe, fifo, mq, unix or shm, not '%s'", v);
            c->via = (enum via) k;
        } else if (strcmp(a, "--clients") == 0 && i + 1 < argc)
            c->clients = (int) demo_num(a, argv[++i], 2, MAXC);
        else if (strcmp(a, "--iters") == 0 && i + 1 < argc)
            c->iters = demo_num(a, argv[++i], 1, 1000000);
        else if (strcmp(a, "--init") == 0 && i + 1 < argc)
            c->init = demo_num(a, argv[++i], 1, MAXC);
        else if (strcmp(a, "--kill-client") == 0 && i + 1 < argc)
            c->victim = (int) demo_num(a, argv[++i], 1, MAXC);
        else if (strcmp(a, "--kill-waiting") == 0)
            c->kill_waiting = 1;
        else if (strcmp(a, "--unframed") == 0)
            c->unframed = 1;
        else
            demo_unknown_arg(a, i + 1 == argc);
    }
    if (c->victim > c->clients)
        demo_usage_error("--kill-client %d: there are only %d clients", c->victim, c->clients);
    if (c->unframed && c->via != VIA_PIPE)
        demo_usage_error("--unframed is a raw byte pipe: it goes with --via pipe only");
    if (c->kill_waiting && !c->victim)
        demo_usage_error("--kill-waiting goes with --kill-client ID");
    if (c->unframed && c->victim)
        demo_usage_error("--unframed and --kill-client: one demonstration at a time");
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    static struct cfg c;
    parse(&c, argc, argv);
    (void) signal(SIGPIPE, SIG_IGN); /* a dead reader is an -EPIPE, not a death */

    c.sh = demo_shared(sizeof *c.sh);
    int r;
    if ((r = ipcx_barrier_init(&c.sh->start, (unsigned) c.clients + 1)) < 0 ||
        (r = ipcx_barrier_init(&c.sh->tear, (unsigned) c.clients)) < 0)
        demo_die("ipcx_barrier_init: %s", ipcx_strerror(r));
    if (c.via == VIA_FIFO) {
        snprintf(c.dir, sizeof c.dir, "/tmp/ipcx-semserver-%d-XXXXXX", (int) getpid());
        if (!mkdtemp(c.dir))
            demo_die("mkdtemp %s: %s", c.dir, strerror(errno));
    }
    make_urls(&c);
    if (c.unframed && pipe(c.raw) < 0)
        demo_die("pipe: %s", strerror(errno));
    if (c.via == VIA_PIPE) {
        if (!c.unframed && (r = ipcx_pair("pipe:", c.req)) < 0)
            demo_die("ipcx_pair: %s", ipcx_strerror(r));
        for (int i = 1; i <= c.clients; i++)
            if ((r = ipcx_pair("pipe:", c.ack[i])) < 0)
                demo_die("ipcx_pair: %s", ipcx_strerror(r));
    }
    printf("semserver: %d clients x %ld P/V pairs, semaphore %ld, via %s%s%s\n", c.clients, c.iters,
           c.init, c.unframed ? "a raw byte pipe, two writes per request" : via_names[c.via],
           c.req_url[0] ? ": " : "", c.req_url);

    pid_t pids[MAXC + 1];
    int status[MAXC + 1];
    pids[0] = demo_fork(master_main, &c, 0);
    for (int i = 1; i <= c.clients; i++)
        pids[i] = demo_fork(client_main, &c, i);
    demo_catch_signals();
    close_pairs_except(&c, -1, -1, -1); /* the supervisor uses none */
    if (c.unframed) {
        (void) close(c.raw[0]);
        (void) close(c.raw[1]);
    }
    struct watch w = { .c = &c, .pids = pids, .status = status };
    demo_wait(pids, c.clients + 1, status, supervise, &w, 2);
    if (w.master_early)
        printf("semserver: the master or a client failed: the others are stopped\n");
    demo_kill_all(pids, c.clients + 1);
    remove_objects(&c);
    if (demo_interrupted())
        demo_die_by_signal();

    struct shared *sh = c.sh;
    long sum = 0;
    int clients_ok = 1;
    for (int i = 1; i <= c.clients; i++) {
        sum += sh->done[i];
        if (i == c.victim)
            continue;
        if (!demo_exited_ok(status[i]) || sh->done[i] != c.iters)
            clients_ok = 0;
    }
    int victim_ok = !c.victim || (status[c.victim] != -1 && WIFSIGNALED(status[c.victim]) &&
                                  WTERMSIG(status[c.victim]) == SIGKILL &&
                                  sh->returned + sh->dequeued >= 1);
    printf("semserver: master: %ld requests, %ld granted, %ld had to wait, %ld given back and %ld taken "
           "out of the queue for the dead\n", sh->requests, sh->grants, sh->queued, sh->returned, sh->dequeued);
    printf("semserver: counter %ld, increments done %ld, at most %d inside at once (semaphore %ld)\n",
           sh->counter, sum, atomic_load(&sh->max_inside), c.init);
    long counter = sh->counter;
    int max_inside = atomic_load(&sh->max_inside), master_ok = demo_exited_ok(status[0]);
    char torn[sizeof sh->torn];
    memcpy(torn, sh->torn, sizeof torn);
    demo_unshare(sh, sizeof *sh);
    if (torn[0])
        return demo_verdict(0, "the master read a torn request '%s': two clients' bytes interleaved "
                               "on the unframed request channel", torn);
    if (!(master_ok && clients_ok && victim_ok && counter == sum && max_inside <= c.init))
        return demo_verdict(0, "counter %ld for %ld increments, at most %d inside, clients %s, master %s%s",
                            counter, sum, max_inside, clients_ok ? "finished" : "did not finish",
                            master_ok ? "ok" : "failed",
                            victim_ok ? "" : ", the killed client's P was not undone");
    return demo_verdict(1, "counter %ld = increments done, never more than %ld inside%s", sum, c.init,
                        c.victim ? "; the killed client's P was undone and the others finished" : "");
}
