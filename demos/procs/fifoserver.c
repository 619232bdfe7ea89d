/*
 * fifoserver.c - seed 003, "client/server constellation with named Unix
 * pipes" and "the sender's address for the reply must be contained in the
 * message itself": one well-known server FIFO that every client writes
 * its requests to; each client makes its own reply FIFO for each request
 * and names it in the request; the server answers there.
 *
 * Everything lives in a private directory (mkdtemp, mode 0700).  The reply
 * address is untrusted input to the server: it accepts only a plain file
 * name inside that directory, opens it with O_WRONLY|O_NONBLOCK|O_NOFOLLOW
 * (a FIFO without a reader gives ENXIO at once instead of blocking the
 * server, a symbolic link gives ELOOP), and checks with fstat that what it
 * opened is a FIFO owned by its own uid before it writes; a FIFO carries
 * no credentials of its writer, so "the requester's uid" is the one uid
 * that can create files in the 0700 directory.  At start the supervisor
 * sends a handful of hostile requests (outside the directory, "..", a
 * symbolic link to a regular file, a regular file, a FIFO of another
 * user when we may chown) and the check is that every one is refused and
 * no decoy was written.
 *
 * The server's request FIFO reports end-of-file (-EPIPE) once every
 * writer has closed it; the supervisor holds a writer open until every
 * client is reaped, so the server ends exactly when all the work is done.
 */
#include "demo.h"
#include "fifo_req.h"
#include "ipcx.h"
#include "ipcx/sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "Usage: ipcx demo fifoserver [--clients C] [--requests R] [--kill-client ID]\n"
    "                            [--inject-bug]\n"
    "\n"
    "Seed 003's client/server over named pipes, with the reply address in the\n"
    "message.  A server reads requests \"req C N X PATH\" from one well-known\n"
    "FIFO; each of C clients (default 8, at most 64) sends R requests (default\n"
    "100), each time making its own reply FIFO PATH, and checks that the reply\n"
    "\"rep C N Y\" is for its own request N with the right answer Y.  Every reply\n"
    "FIFO is removed by the client that made it (those of killed clients by the\n"
    "demo).\n"
    "\n"
    "The reply address is untrusted input.  The server accepts only a plain\n"
    "file name in the demo's private 0700 directory, opens it with\n"
    "O_WRONLY|O_NONBLOCK|O_NOFOLLOW (no reader: ENXIO at once, never a blocked\n"
    "server; a symbolic link: ELOOP) and checks with fstat after the open that\n"
    "it is a FIFO owned by its own uid (a FIFO carries no credentials: the\n"
    "requester's uid is the one that may create files in that directory).\n"
    "The demo sends hostile addresses first (outside the directory, \"..\", a\n"
    "symlink to a file, a regular file, another user's FIFO): each must be\n"
    "refused and no decoy written.\n"
    "\n"
    "  --kill-client ID  client ID is SIGKILLed after it sent a request and\n"
    "                    before it read the reply; the server, which handles\n"
    "                    that request only once the client is dead, finds no\n"
    "                    reader (ENXIO), drops the reply and serves the rest\n"
    "  --inject-bug      the server answers client 1's first request with\n"
    "                    another request's number: the check must say FAILED\n";

static const struct demo_info info = {
    .name = "fifoserver",
    .summary = "FIFO client/server, the reply FIFO named in each request",
    .seed = "seed 003: client/server with named pipes, reply address in the message",
    .usage = usage,
};

struct shared {
    ipcx_barrier start;      /* server, clients, supervisor: the server FIFO exists */
    atomic_int victim_ready; /* the victim sent its request and waits to die */
    atomic_int victim_dead;  /* the supervisor reaped it */
    long served, gone, refused, bad; /* the server's tally */
    long answered[FIFO_MAXC + 1];    /* correct replies each client got */
    long wrong[FIFO_MAXC + 1];       /* replies that were not its own */
};

struct cfg {
    int clients, victim, bug;
    long requests;
    char dir[64], server_url[128];
    struct shared *sh;
};

static int open_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        demo_die("open %s: %s", dir, strerror(errno));
    return fd;
}

/* ---- the server ------------------------------------------------------ */

/* Open the reply FIFO a request names, checked; a channel, or NULL (counted). */
static ipcx_chan *open_reply(struct cfg *c, int dirfd, const struct fifo_req *q)
{
    int fd = openat(dirfd, q->name, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO || errno == ENOENT) {
            printf("fifoserver: server: %s/%s: %s: the client is gone, reply dropped\n", c->dir, q->name,
                   errno == ENXIO ? "no reader" : "no such FIFO");
            c->sh->gone++;
        } else {
            printf("fifoserver: server: refused %s/%s: %s\n", c->dir, q->name, strerror(errno));
            c->sh->refused++;
        }
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
        printf("fifoserver: server: refused %s/%s: %s\n", c->dir, q->name,
               !S_ISFIFO(st.st_mode) ? "not a FIFO" : "owned by another user");
        c->sh->refused++;
        (void) close(fd);
        return NULL;
    }
    char url[32];
    snprintf(url, sizeof url, "pipe:?fd=%d", fd);
    ipcx_chan *ch;
    int r = ipcx_open(&ch, url, IPCX_SEND); /* the channel takes the descriptor over */
    if (r < 0) {
        printf("fifoserver: server: %s: %s\n", q->name, ipcx_strerror(r));
        c->sh->refused++;
        (void) close(fd);
        return NULL;
    }
    return ch;
}

static void serve(struct cfg *c, int dirfd, const char *msg, long len)
{
    struct fifo_req q;
    int r = fifo_req_parse(msg, (size_t) len, c->dir, &q);
    if (r < 0) {
        printf("fifoserver: server: refused a request: %s: '%.*s'\n",
               r == -EPERM ? "reply address outside the directory" : "malformed", (int) (len > 80 ? 80 : len), msg);
        r == -EPERM ? c->sh->refused++ : c->sh->bad++;
        return;
    }
    if (q.client == c->victim && q.n == c->requests / 2)
        while (!atomic_load(&c->sh->victim_dead))
            usleep(1000); /* the choreography of --kill-client: answer a dead client */
    ipcx_chan *rep = open_reply(c, dirfd, &q);
    if (!rep)
        return;
    char buf[FIFO_MSGMAX];
    long n = c->bug && q.client == 1 && q.n == 0 ? 1 : q.n;
    int k = fifo_reply_format(buf, sizeof buf, q.client, n, q.x);
    /* Timeout 0: a fresh FIFO has room for one reply; a reader that died
     * since the open is -EPIPE.  The server never waits for a client. */
    r = ipcx_send(rep, buf, (size_t) k, 0, IPCX_NOWAIT);
    if (r < 0) {
        printf("fifoserver: server: reply to %s: %s: dropped\n", q.name, ipcx_strerror(r));
        c->sh->gone++;
    } else {
        c->sh->served++;
    }
    (void) ipcx_close(rep);
}

static int server_main(void *arg, int unused)
{
    (void) unused;
    struct cfg *c = arg;
    ipcx_chan *in;
    /* Every party joins the start barrier first: one that dies before
     * its wait then breaks it (-EPIPE) for the others. */
    int r = ipcx_barrier_join(&c->sh->start);
    if (r < 0)
        demo_die("server: barrier: %s", ipcx_strerror(r));
    r = ipcx_open(&in, c->server_url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL);
    if (r < 0)
        demo_die("server: %s: %s (%s)", c->server_url, ipcx_strerror(r), ipcx_errdetail());
    int dirfd = open_dir(c->dir);
    if ((r = ipcx_barrier_wait(&c->sh->start, IPCX_FOREVER)) < 0)
        demo_die("server: start barrier: %s", ipcx_strerror(r));
    for (;;) {
        char msg[FIFO_MSGMAX];
        long n = ipcx_recv(in, msg, sizeof msg, NULL, IPCX_FOREVER);
        if (n == -EPIPE)
            break; /* every writer has closed: all done */
        if (n == -EBADMSG) { /* a writer sent a bad frame: it is dropped, we go on */
            c->sh->bad++;
            continue;
        }
        if (n < 0)
            demo_die("server: receive: %s", ipcx_strerror((int) n));
        serve(c, dirfd, msg, n);
    }
    (void) close(dirfd);
    (void) ipcx_close(in); /* removes the server FIFO */
    return 0;
}

/* ---- a client -------------------------------------------------------- */

static int client_main(void *arg, int id)
{
    struct cfg *c = arg;
    int r;
    if ((r = ipcx_barrier_join(&c->sh->start)) < 0 || (r = ipcx_barrier_wait(&c->sh->start, IPCX_FOREVER)) < 0)
        demo_die("client %d: start barrier: %s", id, ipcx_strerror(r));
    ipcx_chan *out;
    if ((r = ipcx_open(&out, c->server_url, IPCX_SEND)) < 0)
        demo_die("client %d: %s: %s", id, c->server_url, ipcx_strerror(r));
    for (long n = 0; n < c->requests; n++) {
        char path[128], url[160], msg[FIFO_MSGMAX], rep[FIFO_MSGMAX];
        long x = (long) id * 7919 + n * 13;
        snprintf(path, sizeof path, "%s/reply-%d-%ld", c->dir, id, n);
        snprintf(url, sizeof url, "fifo:%s?maxmsg=%d", path, FIFO_MSGMAX);
        ipcx_chan *in;
        if ((r = ipcx_open(&in, url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL)) < 0)
            demo_die("client %d: %s: %s", id, url, ipcx_strerror(r));
        int k = snprintf(msg, sizeof msg, "req %d %ld %ld %s", id, n, x, path);
        if ((r = ipcx_send(out, msg, (size_t) k, 0, IPCX_FOREVER)) < 0)
            demo_die("client %d: send: %s", id, ipcx_strerror(r));
        if (id == c->victim && n == c->requests / 2) {
            atomic_store(&c->sh->victim_ready, 1);
            for (;;)
                pause(); /* SIGKILLed here, its reply FIFO still there */
        }
        long got = ipcx_recv(in, rep, sizeof rep, NULL, IPCX_FOREVER);
        if (got < 0)
            demo_die("client %d: reply to request %ld: %s", id, n, ipcx_strerror((int) got));
        if (fifo_reply_check(rep, (size_t) got, id, n, x) == 0) {
            c->sh->answered[id]++;
        } else {
            c->sh->wrong[id]++;
            printf("fifoserver: client %d: request %ld got '%.*s': not its own reply\n", id, n,
                   (int) got, rep);
        }
        (void) ipcx_close(in); /* removes the reply FIFO */
    }
    (void) ipcx_close(out);
    return c->sh->wrong[id] ? 1 : 0;
}

/* ---- the supervisor -------------------------------------------------- */

/* The hostile requests: each must be refused, no decoy written. */
struct decoys {
    char file[128], link[128], other[128];
    int other_rd; /* a reader of the other user's FIFO, so the open does not just ENXIO */
};

static int make_decoys(struct cfg *c, struct decoys *d)
{
    snprintf(d->file, sizeof d->file, "%s/decoy", c->dir);
    snprintf(d->link, sizeof d->link, "%s/decoylink", c->dir);
    snprintf(d->other, sizeof d->other, "%s/othersfifo", c->dir);
    int fd = open(d->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || close(fd) < 0 || symlink(d->file, d->link) < 0)
        demo_die("decoys in %s: %s", c->dir, strerror(errno));
    d->other_rd = -1;
    if (mkfifo(d->other, 0666) < 0)
        demo_die("mkfifo %s: %s", d->other, strerror(errno));
    /* Only root can give a file away; as anyone else the case is left out
     * (a chown to oneself would succeed and prove nothing). */
    if (geteuid() != 0 || chown(d->other, 65534, 65534) < 0) {
        printf("fifoserver: (not root: no FIFO of another user to offer)\n");
        (void) unlink(d->other);
        return 4;
    }
    d->other_rd = open(d->other, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (d->other_rd < 0)
        demo_die("open %s: %s", d->other, strerror(errno));
    return 5;
}

static void send_hostile(struct cfg *c, ipcx_chan *out, const struct decoys *d)
{
    const char *addr[] = { "/etc/passwd", NULL, d->link, d->file, d->other_rd >= 0 ? d->other : NULL };
    char dotdot[128];
    snprintf(dotdot, sizeof dotdot, "%s/../decoy", c->dir);
    addr[1] = dotdot;
    for (size_t i = 0; i < sizeof addr / sizeof addr[0]; i++) {
        if (!addr[i])
            continue;
        char msg[FIFO_MSGMAX];
        int k = snprintf(msg, sizeof msg, "req 1 999999 0 %s", addr[i]);
        int r = ipcx_send(out, msg, (size_t) k, 0, IPCX_FOREVER);
        if (r < 0)
            demo_die("hostile request: %s", ipcx_strerror(r));
    }
}

/* 1 if no decoy was written; removes them. */
static int check_decoys(struct decoys *d)
{
    struct stat st;
    int clean = stat(d->file, &st) == 0 && st.st_size == 0;
    if (d->other_rd >= 0) {
        char b;
        if (read(d->other_rd, &b, 1) > 0)
            clean = 0;
        (void) close(d->other_rd);
        (void) unlink(d->other);
    }
    (void) unlink(d->link);
    (void) unlink(d->file);
    return clean;
}

/* Remove what is left in the private directory (reply FIFOs of dead clients); the count. */
static int sweep_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    int n = 0;
    if (!dp)
        return -1;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        printf("fifoserver: left in the directory: %s (removed)\n", e->d_name);
        (void) unlinkat(dirfd(dp), e->d_name, 0);
        n++;
    }
    (void) closedir(dp);
    return n;
}

struct watch {
    struct cfg *c;
    pid_t *pids; /* [0] server, [1..C] clients */
    int *status;
    ipcx_chan **hold; /* the supervisor's writer: closed when every client is gone */
    int killed;
};

static int supervise(void *arg)
{
    struct watch *w = arg;
    struct cfg *c = w->c;
    int left = 0;
    if (demo_interrupted())
        return 1; /* SIGINT/SIGTERM/SIGHUP: kill, clean up, die by it */
    for (int i = 1; i <= c->clients; i++)
        left += w->pids[i] > 0;
    if (c->victim && !w->killed && atomic_load(&c->sh->victim_ready) && w->pids[c->victim] > 0) {
        printf("fifoserver: SIGKILL to client %d before it reads its reply\n", c->victim);
        (void) kill(w->pids[c->victim], SIGKILL);
        w->killed = 1;
    }
    if (w->killed && w->pids[c->victim] == 0)
        atomic_store(&c->sh->victim_dead, 1);
    if (left == 0 && *w->hold) {
        (void) ipcx_close(*w->hold); /* the last writer: the server sees the end */
        *w->hold = NULL;
    }
    if (w->pids[0] == 0 && left > 0)
        return 1; /* the server died: the clients would wait for ever */
    return 0;
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    static struct cfg c = { .clients = 8, .requests = 100 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--clients") == 0 && i + 1 < argc)
            c.clients = (int) demo_num(a, argv[++i], 1, FIFO_MAXC);
        else if (strcmp(a, "--requests") == 0 && i + 1 < argc)
            c.requests = demo_num(a, argv[++i], 1, 100000);
        else if (strcmp(a, "--kill-client") == 0 && i + 1 < argc)
            c.victim = (int) demo_num(a, argv[++i], 1, FIFO_MAXC);
        else if (strcmp(a, "--inject-bug") == 0)
            c.bug = 1;
        else
            demo_unknown_arg(a, i + 1 == argc);
    }
    if (c.victim > c.clients)
        demo_usage_error("--kill-client %d: there are only %d clients", c.victim, c.clients);
    (void) signal(SIGPIPE, SIG_IGN);

    snprintf(c.dir, sizeof c.dir, "/tmp/ipcx-fifoserver-%d-XXXXXX", (int) getpid());
    if (!mkdtemp(c.dir))
        demo_die("mkdtemp %s: %s", c.dir, strerror(errno));
    snprintf(c.server_url, sizeof c.server_url, "fifo:%s/server?maxmsg=%d", c.dir, FIFO_MSGMAX);
    c.sh = demo_shared(sizeof *c.sh);
    int r = ipcx_barrier_init(&c.sh->start, (unsigned) c.clients + 2);
    if (r < 0)
        demo_die("ipcx_barrier_init: %s", ipcx_strerror(r));
    struct decoys d;
    int hostile = make_decoys(&c, &d);
    printf("fifoserver: %d clients x %ld requests, server FIFO %s/server\n", c.clients, c.requests, c.dir);

    pid_t pids[FIFO_MAXC + 1];
    int status[FIFO_MAXC + 1];
    if ((r = ipcx_barrier_join(&c.sh->start)) < 0)
        demo_die("ipcx_barrier_join: %s", ipcx_strerror(r));
    pids[0] = demo_fork(server_main, &c, 0);
    for (int i = 1; i <= c.clients; i++)
        pids[i] = demo_fork(client_main, &c, i);
    demo_catch_signals();
    ipcx_chan *hold = NULL;
    if ((r = ipcx_barrier_wait(&c.sh->start, IPCX_FOREVER)) < 0) {
        printf("fifoserver: the start barrier broke: %s\n", ipcx_strerror(r));
    } else if ((r = ipcx_open(&hold, c.server_url, IPCX_SEND)) < 0) {
        printf("fifoserver: %s: %s\n", c.server_url, ipcx_strerror(r));
    } else {
        send_hostile(&c, hold, &d);
    }
    struct watch w = { .c = &c, .pids = pids, .status = status, .hold = &hold };
    demo_wait(pids, c.clients + 1, status, supervise, &w, 2);
    demo_kill_all(pids, c.clients + 1);
    if (hold)
        (void) ipcx_close(hold);
    int clean = check_decoys(&d);
    int left = sweep_dir(c.dir);
    if (rmdir(c.dir) < 0)
        fprintf(stderr, "fifoserver: cannot remove %s: %s\n", c.dir, strerror(errno));
    if (demo_interrupted())
        demo_die_by_signal();

    struct shared *sh = c.sh;
    long answered = 0, wrong = 0, want = (long) c.clients * c.requests - (c.victim ? c.requests - c.requests / 2 : 0);
    int clients_ok = 1;
    for (int i = 1; i <= c.clients; i++) {
        answered += sh->answered[i];
        wrong += sh->wrong[i];
        if (i != c.victim && !demo_exited_ok(status[i]))
            clients_ok = 0;
    }
    int victim_ok = !c.victim || (status[c.victim] != -1 && WIFSIGNALED(status[c.victim]) && sh->gone == 1);
    printf("fifoserver: server: %ld served, %ld to clients gone, %ld refused, %ld malformed\n", sh->served,
           sh->gone, sh->refused, sh->bad);
    printf("fifoserver: clients: %ld replies their own, %ld not; %d FIFO(s) left by dead clients\n", answered,
           wrong, left);
    int ok = demo_exited_ok(status[0]) && clients_ok && wrong == 0 && answered == want && victim_ok &&
             sh->refused == hostile && sh->bad == 0 && clean && left == (c.victim ? 1 : 0);
    long refused = sh->refused, gone = sh->gone;
    demo_unshare(sh, sizeof *sh);
    if (!ok)
        return demo_verdict(0, "%ld of %ld replies reached their client, %ld went astray, %ld of %d hostile "
                               "addresses refused%s%s, server %s",
                            answered, want, wrong, refused, hostile, clean ? "" : ", a decoy was written",
                            victim_ok ? "" : ", the killed client's reply not seen undeliverable",
                            demo_exited_ok(status[0]) ? "ok" : "failed");
    return demo_verdict(1, "all %ld replies reached the client that asked, %d hostile reply addresses "
                           "refused%s, every reply FIFO removed",
                        answered, hostile, gone ? "; the server survived a client that died before its reply" : "");
}
