/*
 * cand_iox.c - iceoryx (Eclipse iceoryx 2.0, its C binding) as the
 * shared-memory peer of `ipcx bench`: two rows in group "shm", beside
 * ipcx shm spsc, a subscriber that busy-polls and one that sleeps in a
 * WaitSet.  A link is two topics, "ping" (parent to child) and "pong"
 * (back); each side publishes on one and subscribes to the other, with
 * the lossless policies (the publisher waits for a full subscriber queue)
 * so that the floods lose nothing.  Every message is copied into a loaned
 * chunk and out of the received one, as ipcx_send and ipcx_recv copy: the
 * rows compare the same work, not iceoryx's zero-copy loan with a copy.
 * The length travels in the chunk's user header (the C binding of 2.0 has
 * no call that tells a received chunk's payload size).
 *
 * iceoryx needs its daemon, iox-roudi, and version 2.0 names everything
 * the daemon makes with fixed names: /dev/shm/iceoryx_mgmt, /dev/shm/USER,
 * /tmp/roudi, /tmp/roudi.lock, /tmp/iox-unique-roudi.lock (-u only changes
 * an id inside them).  A second daemon beside a user's would take the
 * user's names.  So the measuring process of a row (run.c forks one per
 * row) moves into a mount namespace of its own with its own tmpfs on
 * /dev/shm and /tmp (a user namespace too when it is not root), writes
 * its own configuration there, and starts a private iox-roudi in it; the
 * two bench processes inherit the namespace.  Everything the daemon makes
 * lives in that tmpfs, which nobody else sees and which the kernel frees
 * when the last process of the namespace ends, however it ends.  fini
 * stops the daemon by its pid (iox_roudi_stop says why with SIGKILL) and
 * unmounts the tmpfs.
 * Nothing may outlive ipcx bench: the measuring process, the daemon and
 * the echo process each get PR_SET_PDEATHSIG(SIGKILL) towards the process
 * that made them.
 *
 * Compiled in when the C binding's headers and iox-roudi were found at
 * configure time (IPCX_HAVE_IOX, IPCX_IOX_SONAME, IPCX_IOX_ROUDI); the
 * library is opened with dlopen() as the other peers (peer_dl.h).
 */
#include "bench.h"

#include <errno.h>
#include <string.h>

#ifdef IPCX_HAVE_IOX
#include "peer_dl.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <iceoryx_binding_c/chunk.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/wait_set.h>

#define IOX_FUNCS(X) X(iox_set_loglevel) X(iox_runtime_init) X(iox_runtime_shutdown) \
    X(iox_pub_options_init) X(iox_pub_init) X(iox_pub_deinit) X(iox_pub_has_subscribers) \
    X(iox_pub_loan_aligned_chunk_with_user_header) X(iox_pub_publish_chunk) \
    X(iox_sub_options_init) X(iox_sub_init) X(iox_sub_deinit) X(iox_sub_take_chunk) \
    X(iox_sub_release_chunk) X(iox_chunk_header_from_user_payload) \
    X(iox_chunk_header_from_user_payload_const) X(iox_chunk_header_to_user_header) \
    X(iox_chunk_header_to_user_header_const) X(iox_ws_init) X(iox_ws_deinit) \
    X(iox_ws_attach_subscriber_state) X(iox_ws_timed_wait)
static struct { IOX_FUNCS(PEER_FN) } iox_lib;

/* Inside the namespace: our tmpfs. */
#define IOX_CONF "/tmp/ipcx-bench-roudi.toml"
#define IOX_LOG  "/tmp/ipcx-bench-roudi.log"
#define IOX_READY "RouDi is ready for clients" /* what iox-roudi prints when it is */

/* The largest message: the bench's large size; the pools below hold it. */
#define IOX_MAXMSG 65536
#define IOX_QUEUE  256 /* a subscriber's queue (iceoryx 2.0's largest) */

/*
 * The daemon's memory: per size, enough chunks for two full queues, the
 * chunk each side holds and one each publisher has on loan (2 * (256 + 2)).
 * The sizes leave room for the chunk header and our 4-byte user header.
 */
static const char iox_config[] =
    "[general]\nversion = 1\n\n[[segment]]\n\n"
    "[[segment.mempool]]\nsize = 1024\ncount = 600\n\n"
    "[[segment.mempool]]\nsize = 9216\ncount = 600\n\n"
    "[[segment.mempool]]\nsize = 66560\ncount = 600\n";

/* 0 when every function was found (the library stays open for good). */
static int iox_load(char *why, size_t cap)
{
    __typeof__(iox_lib) *lib = &iox_lib;
    void *h = peer_open(IPCX_IOX_SONAME, why, cap);
    if (!h)
        return -ENOENT;
    IOX_FUNCS(PEER_SYM)
    return 0;
}

/* Write text to path (flags: how to open it); 0 or -errno. */
static int iox_put_file(const char *path, int flags, const char *text)
{
    int fd = open(path, flags | O_WRONLY | O_CLOEXEC, 0600), e;
    if (fd < 0)
        return -errno;
    size_t n = strlen(text);
    e = write(fd, text, n) == (ssize_t) n ? 0 : -EIO;
    return close(fd) < 0 && e == 0 ? -errno : e;
}

/*
 * This process into a mount namespace of its own (and a user namespace
 * when it lacks the right for that alone), with empty tmpfs on /dev/shm
 * and /tmp that nobody outside sees.  0 or -errno.
 */
static int iox_isolate(void)
{
    unsigned uid = (unsigned) getuid(), gid = (unsigned) getgid();
    char map[64];
    int r;

    if (unshare(CLONE_NEWNS) < 0) {
        if (errno != EPERM)
            return -errno;
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            return -errno;
        /* Ourselves only, as we were: the daemon's files are ours outside too. */
        snprintf(map, sizeof map, "%u %u 1\n", uid, uid);
        if ((r = iox_put_file("/proc/self/uid_map", 0, map)) < 0 ||
            (r = iox_put_file("/proc/self/setgroups", 0, "deny")) < 0)
            return r;
        snprintf(map, sizeof map, "%u %u 1\n", gid, gid);
        if ((r = iox_put_file("/proc/self/gid_map", 0, map)) < 0)
            return r;
    }
    /* Our mounts must not reach the namespace we came from. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("ipcx-bench-iox", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=512m") < 0 ||
        mount("ipcx-bench-iox", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=16m") < 0)
        return -errno;
    return 0;
}

/* ---- the private daemon: state of a row, in the measuring process ---- */

struct iox_state {
    pid_t roudi;
};

/* The start of the daemon's log, as a string in buf (empty when there is none). */
static const char *iox_roudi_log(char *buf, size_t cap)
{
    int fd = open(IOX_LOG, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, cap - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Start iox-roudi with our configuration and wait (at most 10 s) until it is ready. */
static int iox_roudi_start(struct iox_state *s)
{
    pid_t self = getpid();
    char log[4096];
    int r = iox_put_file(IOX_CONF, O_CREAT | O_TRUNC, iox_config), st;
    if (r < 0)
        return r;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        int out = open(IOX_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int null = open("/dev/null", O_RDONLY);
        if (bench_die_with(self, SIGKILL) < 0 || out < 0 || null < 0 || dup2(null, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        execl(IPCX_IOX_ROUDI, "iox-roudi", "-c", IOX_CONF, "-l", "warning", (char *) NULL);
        _exit(127);
    }
    s->roudi = pid;
    r = -ETIMEDOUT;
    for (int t = 0; t < 1000; t++) {
        if (strstr(iox_roudi_log(log, sizeof log), IOX_READY))
            return 0;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->roudi = -1;
            r = -ECHILD;
            break;
        }
        usleep(10 * 1000);
    }
    fprintf(stderr, "ipcx bench: iox-roudi did not get ready; it said:\n%s\n",
            iox_roudi_log(log, sizeof log));
    return r;
}

/*
 * Stop the daemon by its pid, with SIGKILL: on SIGTERM it would send
 * SIGTERM to every process still registered, and an iceoryx runtime
 * deregisters only in a C++ destructor at exit(), which the bench's
 * processes never reach (they _exit).  Killing it leaves its segments
 * and sockets behind, in our tmpfs alone: iox_fini unmounts it.
 */
static void iox_roudi_stop(struct iox_state *s)
{
    if (s->roudi <= 0)
        return;
    kill(s->roudi, SIGKILL);
    while (waitpid(s->roudi, NULL, 0) < 0 && errno == EINTR)
        ;
    s->roudi = -1;
}

static int iox_prepare(struct bench_cand *c, void **state)
{
    struct iox_state *s = calloc(1, sizeof *s);
    int r;
    (void) c;
    if (!s)
        return -ENOMEM;
    *state = s;
    s->roudi = -1;
    /* This measuring process is the row's alone: it dies with ipcx bench. */
    if ((r = bench_die_with(getppid(), SIGKILL)) < 0 || (r = iox_isolate()) < 0)
        return r;
    return iox_roudi_start(s);
}

static void iox_fini(struct bench_cand *c, void *state)
{
    (void) c;
    iox_roudi_stop(state);
    /* What the daemon left is in our tmpfs only: unmounting frees it now. */
    (void) umount2("/dev/shm", MNT_DETACH);
    (void) umount2("/tmp", MNT_DETACH);
}

/* ---- one side of a link ---- */

struct iox_link {
    iox_pub_storage_t pub_mem;
    iox_sub_storage_t sub_mem;
    iox_ws_storage_t ws_mem;
    iox_pub_t pub;
    iox_sub_t sub;
    iox_ws_t ws;          /* NULL: the subscriber busy-polls */
    pid_t peer;           /* the other process, watched while we wait for it */
    int peer_is_parent;
    int runtime;          /* registered with the daemon */
};

/* 1 while the other side lives (a child that exited counts as gone, reaped or not). */
static int iox_peer_alive(const struct iox_link *l)
{
    if (l->peer_is_parent)
        return getppid() == l->peer;
    siginfo_t si = { 0 };
    return waitid(P_PID, (id_t) l->peer, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

static int iox_ep_send(struct bench_ep *ep, const void *b, size_t n)
{
    struct iox_link *l = ep->a;
    void *p;
    uint32_t len = (uint32_t) n;

    if (n > IOX_MAXMSG)
        return -EMSGSIZE;
    for (;;) {
        enum iox_AllocationResult r = iox_lib.iox_pub_loan_aligned_chunk_with_user_header(
            l->pub, &p, len, alignof(max_align_t), sizeof len, alignof(uint32_t));
        if (r == AllocationResult_SUCCESS)
            break;
        if (r != AllocationResult_RUNNING_OUT_OF_CHUNKS)
            return -ENOBUFS;
        if (!iox_peer_alive(l))
            return -EPIPE;
        sched_yield(); /* the pools are sized not to run out: see iox_config */
    }
    memcpy(iox_lib.iox_chunk_header_to_user_header(iox_lib.iox_chunk_header_from_user_payload(p)),
           &len, sizeof len);
    memcpy(p, b, n);
    iox_lib.iox_pub_publish_chunk(l->pub, p);
    return 0;
}

static long iox_ep_recv(struct bench_ep *ep, void *b, size_t cap)
{
    struct iox_link *l = ep->a;
    const void *p;
    uint32_t len;

    for (unsigned spins = 1;; spins++) {
        enum iox_ChunkReceiveResult r = iox_lib.iox_sub_take_chunk(l->sub, &p);
        if (r == ChunkReceiveResult_SUCCESS)
            break;
        if (r != ChunkReceiveResult_NO_CHUNK_AVAILABLE)
            return -EIO;
        if (l->ws) {
            iox_notification_info_t info[1];
            uint64_t missed = 0;
            struct timespec ts = { 0, 100 * 1000 * 1000 };
            if (iox_lib.iox_ws_timed_wait(l->ws, ts, info, 1, &missed) == 0 && !iox_peer_alive(l))
                return -EPIPE;
        } else if (spins % 65536 == 0 && !iox_peer_alive(l)) {
            return -EPIPE;
        }
    }
    /* The other side's length: checked before it is used. */
    memcpy(&len, iox_lib.iox_chunk_header_to_user_header_const(
                     iox_lib.iox_chunk_header_from_user_payload_const(p)), sizeof len);
    long n = len <= cap && len <= IOX_MAXMSG ? (long) len : -EMSGSIZE;
    if (n > 0)
        memcpy(b, p, len);
    iox_lib.iox_sub_release_chunk(l->sub, p);
    return n;
}

static void iox_ep_close(struct bench_ep *ep)
{
    struct iox_link *l = ep->a;
    if (!l)
        return;
    if (l->ws)
        iox_lib.iox_ws_deinit(l->ws);
    if (l->sub)
        iox_lib.iox_sub_deinit(l->sub);
    if (l->pub)
        iox_lib.iox_pub_deinit(l->pub);
    if (l->runtime)
        iox_lib.iox_runtime_shutdown();
    free(l);
    ep->a = NULL;
}

static const struct bench_ep_ops iox_ops = { iox_ep_send, iox_ep_recv, iox_ep_close };

/*
 * Register with the daemon, publish on one topic, subscribe to the other,
 * and wait (at most 10 s) until the other side subscribes to ours: a
 * message published before would reach nobody.  The child tells the
 * parent its pid over ctl, so that each side can watch the other.
 */
static int iox_side(struct bench_cand *c, int ctl, struct bench_ep *ep, int child)
{
    struct iox_link *l = calloc(1, sizeof *l);
    char name[64];
    int r;

    if (!l)
        return -ENOMEM;
    ep->ops = &iox_ops;
    ep->a = l;
    if (child) {
        l->peer = getppid();
        l->peer_is_parent = 1;
        snprintf(name, sizeof name, "%d", (int) getpid());
        if ((r = bench_die_with(l->peer, SIGKILL)) < 0 || (r = bench_ctl_put(ctl, name)) < 0)
            return r;
    } else {
        if (bench_ctl_get(ctl, name, sizeof name) < 0 || (l->peer = (pid_t) atoi(name)) <= 0)
            return -EIO;
    }
    snprintf(name, sizeof name, "ipcx-b-%d", (int) getpid());
    iox_lib.iox_set_loglevel(Iceoryx_LogLevel_Warn); /* its default tells of every registration */
    iox_lib.iox_runtime_init(name);
    l->runtime = 1;

    iox_pub_options_t po;
    iox_lib.iox_pub_options_init(&po);
    po.historyCapacity = 0;
    po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
    iox_sub_options_t so;
    iox_lib.iox_sub_options_init(&so);
    so.queueCapacity = IOX_QUEUE;
    so.historyRequest = 0;
    so.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
    l->sub = iox_lib.iox_sub_init(&l->sub_mem, "ipcx-bench", "link", child ? "ping" : "pong", &so);
    l->pub = iox_lib.iox_pub_init(&l->pub_mem, "ipcx-bench", "link", child ? "pong" : "ping", &po);
    if (!l->sub || !l->pub)
        return -ENOMEM;
    if (strcmp(c->url, "iox:waitset") == 0) {
        if (!(l->ws = iox_lib.iox_ws_init(&l->ws_mem)))
            return -ENOMEM;
        if (iox_lib.iox_ws_attach_subscriber_state(l->ws, l->sub, SubscriberState_HAS_DATA, 0, NULL) !=
            WaitSetResult_SUCCESS)
            return -EIO;
    }
    for (int t = 0; !iox_lib.iox_pub_has_subscribers(l->pub); t++) {
        if (t == 10000 || !iox_peer_alive(l))
            return -ETIMEDOUT;
        usleep(1000);
    }
    return 0;
}

static int iox_child(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return iox_side(c, ctl, ep, 1);
}

static int iox_parent(struct bench_cand *c, void *s, int ctl, struct bench_ep *ep)
{
    (void) s;
    return iox_side(c, ctl, ep, 0);
}

/* 1 if this process may make the namespace iox_isolate makes (tried in a child, which ends). */
static int iox_can_isolate(void)
{
    int st;
    pid_t pid = fork();
    if (pid == 0)
        _exit(iox_isolate() < 0);
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
#endif

int bench_iox_cands(struct bench_cand *out, int max, char *why, size_t why_cap)
{
    int n = 0;
    (void) out;
    (void) max;
    (void) why;
    (void) why_cap;
#ifdef IPCX_HAVE_IOX
    if (n + 2 > max)
        return n;
    if (access(IPCX_IOX_ROUDI, X_OK) < 0) {
        peer_note(why, why_cap, IPCX_IOX_ROUDI ": not found (iceoryx)");
        return n;
    }
    if (iox_load(why, why_cap) < 0)
        return n;
    if (!iox_can_isolate()) {
        peer_note(why, why_cap, "iceoryx: no mount namespace of our own for a private iox-roudi");
        return n;
    }
    out[n++] = (struct bench_cand) { "iceoryx busy-poll", "peer", "shm", "iox:busy", iox_prepare,
                                     iox_child, iox_parent, iox_fini, IOX_MAXMSG };
    out[n++] = (struct bench_cand) { "iceoryx waitset", "peer", "shm", "iox:waitset", iox_prepare,
                                     iox_child, iox_parent, iox_fini, IOX_MAXMSG };
#endif
    return n;
}
