/*
 * launch.c - the launcher of Werkstück A on one host: it forks the four
 * roles, says who is who (the banner), watches them (pidfd), stops them on
 * SIGINT or SIGTERM, and at the end says what they did (the summary).
 *
 * Each receiver makes its own end: report, then stat, then log create the
 * named object of their link (IPCX_EXCL, a name with the launcher's pid)
 * and tell the launcher its address over a control pipe; conv is forked
 * last, opens its two sending ends and waits for the launcher's "go",
 * which comes after the banner.  So every address (a tcp port 0 included)
 * is known before anyone sends, `ipcx ls` shows each reader as the
 * creator and receiver of its object and the launcher as no user at all,
 * and a receiver's close removes its object.  When a receiver dies
 * without closing, the launcher removes the object it made (it has
 * reaped it: dead for sure; the name is the launcher's own).
 *
 * Anonymous mechanisms (pipe:) are made as pairs before the first fork and
 * inherited; --via shmsem is one segment the launcher makes and removes.
 */
#include "werkstueck.h"
#include "../../common/tmpl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* Who receives on which link, and who sends on it. */
static const int recv_link[NROLES] = { -1, L_LOG, L_STAT, L_REPORT };
static const enum role receiver[NLINKS] = { LOG, STAT, REPORT };
/* Forked in this order: each receiver is up before whoever sends to it. */
static const enum role fork_order[NROLES] = { REPORT, STAT, LOG, CONV };

/* A message on a child's control pipe: ready (its address), then done (its result). */
enum { CTL_READY = 1, CTL_DONE = 2 };
struct ctl {
    int kind;
    struct result res;
};

struct kid {
    pid_t pid;
    int pidfd;       /* -1 on a kernel without pidfd_open: poll every 100 ms */
    int ctl;         /* read end of its control pipe, -1 once read to the end */
    int done, status;
    int ready, finished;
    struct result res;
};

struct plan {
    char url[NLINKS][URL_MAX];  /* what each receiver creates: the expanded template */
    ipcx_chan *rx[NLINKS];      /* pair schemes only: made before the forks */
    ipcx_chan *tx[NLINKS];
    int paired;
    struct sring *rings;        /* shmsem: one bounded buffer per link */
    char shm_name[64];
    int shm_removed;
    int unlinked[NLINKS];       /* the launcher removed the object of a dead receiver */
};

/* %p the launcher's pid, %n the link's name, %k a System V key of both. */
static void expand(char *out, size_t cap, const char *t, int link)
{
    char key[16];
    snprintf(key, sizeof key, "0x%x",
             0x57000000u | (((unsigned) getpid() & 0x3fffffu) << 2) | (unsigned) link);
    (void) ipcx_tmpl_expand(out, cap, t, (int) getpid(), link_names[link], key);
}

/* shmsem: a POSIX segment (visible in /dev/shm while it runs) with the three buffers. */
static int make_rings(const struct via *v, struct plan *p)
{
    size_t size = sizeof(struct sring) * NLINKS;
    int fd, r;

    expand(p->shm_name, sizeof p->shm_name, strchr(v->tmpl, ':') + 1, 0);
    fd = shm_open(p->shm_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        r = -errno;
        p->shm_name[0] = '\0';
        return die("werkstueck", "shm_open", r);
    }
    if (ftruncate(fd, (off_t) size) < 0) {
        r = -errno;
        close(fd);
        return die("werkstueck", "ftruncate", r);
    }
    p->rings = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p->rings == MAP_FAILED) {
        p->rings = NULL;
        return die("werkstueck", "mmap", -errno);
    }
    for (int k = 0; k < NLINKS; k++) {
        struct sring *q = &p->rings[k];
        if ((r = ipcx_semaphore_init(&q->empty, SRING_SLOTS)) < 0 ||
            (r = ipcx_semaphore_init(&q->full, 0)) < 0 || (r = ipcx_semaphore_init(&q->mutex, 1)) < 0)
            return die("werkstueck", "semaphore", r);
    }
    return 0;
}

/* The URLs of the links; the pairs or the bounded buffers, which must exist before fork. */
static int make_plan(const struct via *v, struct plan *p)
{
    memset(p, 0, sizeof *p);
    if (strncmp(v->tmpl, "shmsem:", 7) == 0)
        return make_rings(v, p);
    for (int k = 0; k < NLINKS; k++) {
        expand(p->url[k], sizeof p->url[k], v->tmpl, k);
        /* "scheme:" or "scheme:?..." is anonymous, made in pairs; anything else is named. */
        const char *rest = strchr(p->url[k], ':') + 1;
        if (*rest != '\0' && *rest != '?')
            continue;
        ipcx_chan *ends[2];
        int r = ipcx_pair(p->url[k], ends);
        if (r < 0)
            return die("werkstueck", p->url[k], r);
        p->paired = 1;
        p->rx[k] = ends[0];
        p->tx[k] = ends[1];
    }
    return 0;
}

static void drop_pairs(struct plan *p)
{
    for (int k = 0; k < NLINKS; k++) {
        ipcx_close(p->rx[k]);
        ipcx_close(p->tx[k]);
        p->rx[k] = p->tx[k] = NULL;
    }
}

static void drop_rings(struct plan *p)
{
    if (p->rings) {
        munmap(p->rings, sizeof(struct sring) * NLINKS);
        p->rings = NULL;
    }
    if (p->shm_name[0]) {
        p->shm_removed = shm_unlink(p->shm_name) == 0; /* the requirement the seed could not meet */
        if (!p->shm_removed)
            fprintf(stderr, "werkstueck: shm_unlink %s: %s\n", p->shm_name, strerror(errno));
    }
}

/* ---- in a child -------------------------------------------------------------- */

static void ctl_send(int fd, int kind, const struct result *res)
{
    struct ctl m = { .kind = kind, .res = *res };
    /* Smaller than PIPE_BUF: one write, whole or not at all. */
    (void) !write(fd, &m, sizeof m);
}

/*
 * The child's ends: its receiving end (made here, or inherited), then its
 * sending ends to receivers that are already up (their addresses in kids).
 */
static int child_ends(const struct plan *p, const struct kid *kids, enum role role, wlink *in,
                      wlink out[2], struct result *res)
{
    int mine = recv_link[role];
    int to[2] = { role == CONV ? L_LOG : role == STAT ? L_REPORT : -1, role == CONV ? L_STAT : -1 };

    for (int k = 0; k < NLINKS; k++) {
        /* Inherited pair ends this role does not use: closing a copy removes nothing. */
        if (k != mine)
            ipcx_close(p->rx[k]);
        if (k != to[0] && k != to[1])
            ipcx_close(p->tx[k]);
    }
    if (mine >= 0) {
        if (p->rings)
            in->ring = &p->rings[mine];
        else if (p->paired)
            in->ch = p->rx[mine];
        else if (open_in(role_names[role], in, p->url[mine], IPCX_EXCL, res))
            return -1;
    }
    for (int i = 0; i < 2 && to[i] >= 0; i++) {
        if (p->rings)
            out[i].ring = &p->rings[to[i]];
        else if (p->paired)
            out[i].ch = p->tx[to[i]];
        else if (open_out(role_names[role], &out[i], kids[receiver[to[i]]].res.url))
            return -1;
    }
    return 0;
}

static void child(const struct opts *o, const struct plan *p, struct kid *kids, enum role role,
                  pid_t launcher, int ctl, int go)
{
    wlink in = { 0 }, out[2] = { { 0 }, { 0 } };
    struct result res = { 0 };
    char c;

    /* If the launcher itself is killed, stop too rather than run on orphaned. */
    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    if (getppid() != launcher)
        _exit(EXIT_RUNTIME);
    set_name(role_names[role]);
    for (int r = 0; r < NROLES; r++) {
        /* The launcher's read ends of the others' pipes and its pidfds of them. */
        if (kids[r].ctl >= 0)
            close(kids[r].ctl);
        if (kids[r].pidfd >= 0)
            close(kids[r].pidfd);
    }
    if (child_ends(p, kids, role, &in, out, &res))
        _exit(EXIT_RUNTIME);
    ctl_send(ctl, CTL_READY, &res);
    /* conv waits for "go": every process is up and the banner is out. */
    if (go >= 0) {
        ssize_t n;
        while ((n = read(go, &c, 1)) < 0 && errno == EINTR && !stop_sig)
            ;
        if (n != 1)
            _exit(stop_sig ? 0 : EXIT_RUNTIME);
        close(go);
    }
    int x = run_role(o, role, &in, out, &res);
    close_ends(&in, out, &res);
    ctl_send(ctl, CTL_DONE, &res);
    _exit(x);
}

/* ---- the launcher ------------------------------------------------------------ */

static int pidfd_open_(pid_t pid)
{
    return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* Read one control message of k: 1 read, 0 the pipe ended (the child is gone), -1 interrupted. */
static int ctl_read(struct kid *k, struct ctl *m)
{
    ssize_t n;
    while ((n = read(k->ctl, m, sizeof *m)) < 0 && errno == EINTR)
        if (stop_sig)
            return -1;
    if (n != (ssize_t) sizeof *m) {
        close(k->ctl);
        k->ctl = -1;
        return 0;
    }
    m->res.url[sizeof m->res.url - 1] = '\0';
    return 1;
}

/* After k exited: take its result, if it sent one. */
static void ctl_drain(struct kid *k)
{
    struct ctl m;
    while (k->ctl >= 0 && ctl_read(k, &m) == 1) {
        if (m.kind == CTL_DONE) {
            k->res = m.res;
            k->finished = 1;
        }
    }
}

static int start_kid(const struct opts *o, const struct plan *p, struct kid *kids, enum role r,
                     int *go_w)
{
    int c[2], g[2] = { -1, -1 };
    pid_t launcher = getpid();

    if (pipe2(c, O_CLOEXEC) < 0 || (r == CONV && pipe2(g, O_CLOEXEC) < 0))
        return die("werkstueck", "pipe", -errno);
    fflush(stdout); /* nothing buffered may be printed twice */
    pid_t pid = fork();
    if (pid < 0)
        return die("werkstueck", "fork", -errno);
    if (pid == 0) {
        close(c[0]);
        if (g[1] >= 0)
            close(g[1]);
        child(o, p, kids, r, launcher, c[1], g[0]);
    }
    close(c[1]);
    if (g[0] >= 0)
        close(g[0]);
    *go_w = g[1];
    kids[r].pid = pid;
    kids[r].pidfd = pidfd_open_(pid);
    kids[r].ctl = c[0];
    /* Wait for its ready message: its receiving end exists, its sending ends are open. */
    struct ctl m;
    int got = ctl_read(&kids[r], &m);
    if (got == 1 && m.kind == CTL_READY) {
        kids[r].res = m.res;
        kids[r].ready = 1;
        return 0;
    }
    if (got == 0)
        fprintf(stderr, "werkstueck: %s (pid %d) did not start\n", role_names[r], (int) pid);
    return EXIT_RUNTIME;
}

static void link_text(char *out, size_t cap, const struct opts *o, const struct plan *p,
                      const struct kid *kids, int k)
{
    if (p->rings)
        snprintf(out, cap, "bounded buffer %d of /dev/shm%s", k, p->shm_name);
    else if (p->paired)
        snprintf(out, cap, "%s (an anonymous pair made before fork)", o->via->tmpl);
    else
        snprintf(out, cap, "%s", kids[receiver[k]].res.url);
}

static void banner(const struct opts *o, const struct plan *p, const struct kid *kids)
{
    char in[NLINKS][URL_MAX + 64];
    for (int k = 0; k < NLINKS; k++)
        link_text(in[k], sizeof in[k], o, p, kids, k);
    printf("Werkstück A over %s: %s\n", o->via->name, o->via->what);
    printf("  launcher pid %-7d forked the four, watches them, cleans up after any that dies"
           " (Ctrl-C stops all)\n", (int) getpid());
    printf("  conv     pid %-7d makes a value 0..100 ", (int) kids[CONV].pid);
    if (o->interval_ms > 0)
        printf("every %ld ms", o->interval_ms);
    else
        printf("flat out");
    if (o->count >= 0)
        printf(", %ld in all", o->count);
    printf(" (seed %llu), sends \"seq value\" to log and stat\n", (unsigned long long) o->seed);
    printf("  log      pid %-7d receives on %s, appends \"seq value\" to %s\n", (int) kids[LOG].pid,
           in[L_LOG], o->log_path);
    printf("  stat     pid %-7d receives on %s, sends \"count sum min max seq value\" to report\n",
           (int) kids[STAT].pid, in[L_STAT]);
    printf("  report   pid %-7d receives on %s, prints each value and the statistics of all so far\n",
           (int) kids[REPORT].pid, in[L_REPORT]);
    fflush(stdout);
}

static void summary(const struct opts *o, const struct plan *p, const struct kid *kids)
{
    const struct result *rep = &kids[REPORT].res;
    printf("summary of Werkstück A over %s:\n", o->via->name);
    if (kids[REPORT].finished && rep->values > 0) {
        printf("  values      ");
        print_stats(stdout, rep);
        printf("\n  throughput  ");
        print_throughput(stdout, o->interval_ms, rep);
        putchar('\n');
    } else {
        printf("  values      none reported%s\n", kids[REPORT].finished ? "" : " (report did not finish)");
    }
    if (kids[LOG].finished)
        printf("  log         %ld line%s appended to %s\n", kids[LOG].res.lines,
               kids[LOG].res.lines == 1 ? "" : "s", o->log_path);
    printf("  removed     ");
    int any = 0;
    if (p->shm_removed)
        printf("/dev/shm%s (the segment of the three bounded buffers)", p->shm_name), any = 1;
    for (int k = 0; k < NLINKS; k++) {
        const struct kid *rk = &kids[receiver[k]];
        if (p->unlinked[k]) {
            printf("%s%s (by the launcher: %s had died)", any ? ", " : "", p->url[k],
                   role_names[receiver[k]]);
            any = 1;
        } else if (rk->finished && rk->res.removed) {
            printf("%s", any ? ", " : "");
            print_removed(stdout, &rk->res);
            any = 1;
        }
    }
    if (!any)
        printf("nothing: %s", p->paired ? "the pipes went with the processes"
                                        : "no named object (a connection goes with its processes)");
    putchar('\n');
    fflush(stdout);
}

/*
 * After every child is reaped: the object of a receiver that died without
 * closing it is removed here.  Dead for sure (reaped), and the name is
 * this launcher's (its pid in it, created with IPCX_EXCL by its child).
 */
static void remove_orphans(struct plan *p, const struct kid *kids)
{
    if (p->paired || p->rings)
        return;
    for (int k = 0; k < NLINKS; k++) {
        const struct kid *rk = &kids[receiver[k]];
        if (rk->finished)
            continue;
        const char *url = rk->ready ? rk->res.url : p->url[k];
        p->unlinked[k] = ipcx_unlink(url) == 0;
        if (p->unlinked[k])
            snprintf(p->url[k], sizeof p->url[k], "%s", url);
    }
}

static void watch(struct kid *kids, int *rc)
{
    int alive = 0, stopping = 0, escalated = 0;
    int64_t kill_at = 0;
    const char *dead = NULL;

    for (int r = 0; r < NROLES; r++)
        alive += kids[r].pid > 0 && !kids[r].done;
    while (alive > 0) {
        struct pollfd pf[NROLES];
        int np = 0;
        for (int r = 0; r < NROLES; r++)
            if (kids[r].pid > 0 && !kids[r].done && kids[r].pidfd >= 0)
                pf[np++] = (struct pollfd) { .fd = kids[r].pidfd, .events = POLLIN };
        if (stop_sig && !stopping) {
            /* Ctrl-C reached the whole group, or a signal reached only us:
             * either way conv ends the stream and the others drain it. */
            stopping = 1;
            if (kids[CONV].pid > 0)
                kill(kids[CONV].pid, SIGTERM);
            kill_at = now_us() / 1000 + 3 * STOP_GRACE_MS;
        }
        int left = kill_at ? (int) (kill_at - now_us() / 1000) : -1;
        if (np < alive && (left < 0 || left > 100))
            left = 100; /* no pidfd for some child (an old kernel): look every 100 ms */
        if (kill_at && left <= 0) {
            escalated = 1; /* what dies from here on, we killed */
            for (int r = 0; r < NROLES; r++)
                if (kids[r].pid > 0 && !kids[r].done)
                    kill(kids[r].pid, SIGKILL);
            left = -1;
            kill_at = 0;
        }
        int n = poll(pf, (nfds_t) np, left);
        if (n < 0 && errno != EINTR)
            break;
        for (int r = 0; r < NROLES; r++) {
            struct kid *k = &kids[r];
            if (k->done || k->pid <= 0 || waitpid(k->pid, &k->status, WNOHANG) != k->pid)
                continue;
            k->done = 1;
            alive--;
            ctl_drain(k);
            int ok = WIFEXITED(k->status) && WEXITSTATUS(k->status) == 0;
            if (ok || escalated)
                continue;
            /*
             * Name every process that died on its own, not only the first
             * one reaped: when log is killed, conv's next send fails and
             * conv may exit before log is even a zombie.
             */
            if (WIFSIGNALED(k->status))
                fprintf(stderr, "werkstueck: %s (pid %d) was killed by signal %d%s\n", role_names[r],
                        (int) k->pid, WTERMSIG(k->status), dead ? "" : "; stopping the others");
            else
                fprintf(stderr, "werkstueck: %s (pid %d) failed with status %d%s\n", role_names[r],
                        (int) k->pid, WEXITSTATUS(k->status), dead ? "" : "; stopping the others");
            if (!dead) {
                dead = role_names[r];
                *rc = EXIT_RUNTIME;
                for (int x = 0; x < NROLES; x++)
                    if (kids[x].pid > 0 && !kids[x].done)
                        kill(kids[x].pid, SIGTERM);
                stopping = 1;
                kill_at = now_us() / 1000 + 2 * STOP_GRACE_MS; /* theirs, and a little more */
            }
        }
    }
}

int launch(const struct opts *o)
{
    struct plan p;
    struct kid kids[NROLES];
    int rc = 0, go = -1;

    for (int r = 0; r < NROLES; r++)
        kids[r] = (struct kid) { .pidfd = -1, .ctl = -1 };
    catch_stop();
    signal(SIGPIPE, SIG_IGN);
    if (make_plan(o->via, &p) == 0) {
        for (int i = 0; i < NROLES && rc == 0; i++)
            rc = start_kid(o, &p, kids, fork_order[i], &go);
    } else {
        rc = EXIT_RUNTIME;
    }
    /* No pipe end stays here: EOF must reach the readers. */
    drop_pairs(&p);
    if (rc == 0 && !stop_sig) {
        banner(o, &p, kids);
        (void) !write(go, "g", 1);
    } else {
        rc = stop_sig ? 0 : EXIT_RUNTIME;
        for (int r = 0; r < NROLES; r++)
            if (kids[r].pid > 0)
                kill(kids[r].pid, SIGTERM);
    }
    if (go >= 0)
        close(go);
    watch(kids, &rc);
    for (int r = 0; r < NROLES; r++) {
        if (kids[r].pidfd >= 0)
            close(kids[r].pidfd);
        if (kids[r].ctl >= 0)
            close(kids[r].ctl);
    }
    remove_orphans(&p, kids);
    drop_rings(&p);
    if (kids[CONV].ready)
        summary(o, &p, kids);
    return rc;
}
