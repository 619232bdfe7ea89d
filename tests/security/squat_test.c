/*
 * squat_test.c - named objects made by another user are refused (issue 13
 * item 5, src/util/owner.c).  For one scheme per run (argv[1]: mq sysvmq shm
 * sysvshm sem posixsem sysvsem, or "syntax"):
 *   1. uid nobody (a forked child, setresuid) creates the object with mode
 *      0666 under the name root is about to use, and leaves it;
 *   2. root opening it (as a receiver that would create it, and as a
 *      sender or plain opener) gets -EACCES, and ipcx_errdetail() names the
 *      owner uid 65534;
 *   3. allow=uid:65534 (and allow=gid:65534) with the object's mode
 *      accepts it; allow= alone still refuses the 0666 mode;
 *   4. sysvmq: a queue nobody created and then gave to root (IPC_SET) is
 *      still refused: the creator counts too;
 *   5. root's own object with a wider mode than asked for is refused, and
 *      accepted when asked for its mode;
 *   6. nobody may use root's object (root is trusted) when asking for its mode.
 * Runs as root (the second user needs it); exit 77 otherwise.  Every object
 * is removed, also when a check fails (t_cleanup).
 */
#include "t.h"
#include "ipcx/sync.h"

#include <grp.h>
#include <stdarg.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NOBODY 65534

enum { K_CHAN, K_SEM };

struct scheme {
    const char *name;
    int kind;          /* a channel (ipcx_open) or a semaphore (ipcx_sem_open) */
    int sysv;          /* named by a key, not by /name */
    const char *perm;  /* the key of the permission bits */
    const char *extra; /* what the creator adds so that its close leaves the object */
};

static const struct scheme schemes[] = {
    { "mq",       K_CHAN, 0, "mode", NULL },
    { "sysvmq",   K_CHAN, 1, "mode", NULL },
    { "shm",      K_CHAN, 0, "perm", "unlink=never" },
    { "sysvshm",  K_CHAN, 1, "perm", "unlink=never" },
    { "sem",      K_SEM,  0, "mode", NULL },
    { "posixsem", K_SEM,  0, "mode", NULL },
    { "sysvsem",  K_SEM,  1, "mode", NULL },
};

static const struct scheme *sc;
static char base[128]; /* the URL without a query */

/* base, then '?' and the '&'-joined parts that are not NULL. */
static const char *url(const char *a, const char *b, const char *c)
{
    static char out[4][512];
    static int n;
    char *u = out[n++ % 4];
    const char *parts[3] = { a, b, c };
    int sep = '?';
    snprintf(u, 512, "%s", base);
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        size_t l = strlen(u);
        snprintf(u + l, 512 - l, "%c%s", sep, parts[i]);
        sep = '&';
    }
    return u;
}

/* "mode=0666" or "perm=0666". */
static const char *perm(const char *octal)
{
    static char out[4][32];
    static int n;
    char *p = out[n++ % 4];
    snprintf(p, 32, "%s=%s", sc->perm, octal);
    return p;
}

/* Open u with flags (channel) or create flags (semaphore); close it again on success. */
static int try_open(const char *u, int chan_flags, int sem_flags)
{
    int r;
    if (sc->kind == K_CHAN) {
        ipcx_chan *ch = NULL;
        r = ipcx_open(&ch, u, chan_flags);
        if (r == 0)
            ipcx_close(ch);
    } else {
        ipcx_sem *s = NULL;
        r = ipcx_sem_open(&s, u, sem_flags, 1);
        if (r == 0)
            ipcx_sem_close(s);
    }
    return r;
}

/* Create u exclusively and leave it (the creator's close keeps it). */
static int create(const char *u)
{
    return try_open(u, IPCX_SEND | IPCX_CREATE | IPCX_EXCL, IPCX_CREATE | IPCX_EXCL);
}

static void cleanup(void)
{
    if (sc->kind == K_CHAN)
        (void) ipcx_unlink(base);
    else
        (void) ipcx_sem_unlink(base);
}

/* Run f(arg) in a child as uid/gid nobody without supplementary groups; its exit status. */
static int as_nobody(int (*f)(const char *), const char *arg)
{
    pid_t pid = fork();
    if (pid < 0)
        T_FAIL("fork");
    if (pid == 0) {
        t_cleanup = NULL; /* the parent cleans up */
        if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
            setresuid(NOBODY, NOBODY, NOBODY) < 0)
            _exit(2);
        _exit(f(arg) == 0 ? 0 : 1);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        T_FAIL("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int child_create(const char *u)
{
    int r = create(u);
    if (r < 0)
        fprintf(stderr, "nobody: create %s: %s [%s]\n", u, ipcx_strerror(r), ipcx_errdetail());
    return r;
}

/* As nobody: open u (which must succeed), or with want -EACCES, fail. */
static int child_open(const char *u)
{
    int r = try_open(u, IPCX_SEND, 0);
    if (r < 0)
        fprintf(stderr, "nobody: open %s: %s [%s]\n", u, ipcx_strerror(r), ipcx_errdetail());
    return r;
}

static int child_refused(const char *u)
{
    int r = try_open(u, IPCX_SEND, 0);
    return r == -EACCES ? 0 : 1;
}

/* sysvmq: nobody creates the queue 0666, then hands its ownership to root. */
static int child_give_to_root(const char *u)
{
    int r = create(u);
    if (r < 0)
        return r;
    key_t key = (key_t) strtol(base + strlen("sysvmq:"), NULL, 10);
    int id = msgget(key, 0);
    struct msqid_ds ds;
    if (id < 0 || msgctl(id, IPC_STAT, &ds) < 0)
        return -1;
    ds.msg_perm.uid = 0;
    ds.msg_perm.gid = 0;
    return msgctl(id, IPC_SET, &ds) < 0 ? -1 : 0;
}

/* root's open of the squatted object: refused, the detail names the owner. */
static void expect_refused(const char *u, int chan_flags, int sem_flags, const char *needle)
{
    T_ERR(try_open(u, chan_flags, sem_flags), -EACCES);
    if (!strstr(ipcx_errdetail(), needle))
        T_FAIL("%s: the detail '%s' does not name '%s'", u, ipcx_errdetail(), needle);
}

static int t_squat(void)
{
    char gid[32], uid[32];
    snprintf(uid, sizeof uid, "allow=uid:%d", NOBODY);
    snprintf(gid, sizeof gid, "allow=gid:%d", NOBODY);

    /* 1, 2: nobody's object, 0666. */
    cleanup();
    T_EQ(as_nobody(child_create, url(perm("0666"), sc->extra, NULL)), 0);
    /* The receiver that would create it, and the sender (or plain opener). */
    expect_refused(url(NULL, NULL, NULL), IPCX_RECV | IPCX_CREATE, IPCX_CREATE, "uid 65534");
    expect_refused(url(NULL, NULL, NULL), IPCX_SEND, 0, "uid 65534");
    /* Asking for its mode does not make another user's object ours. */
    expect_refused(url(perm("0666"), NULL, NULL), IPCX_SEND, 0, "uid 65534");
    /* 3: allowed owner, but a mode wider than asked: refused for the mode. */
    expect_refused(url(uid, NULL, NULL), IPCX_SEND, 0, "mode 0666");
    /* Allowed owner (by uid, by gid) and its mode: accepted. */
    T_SUCCESS(try_open(url(uid, perm("0666"), NULL), IPCX_SEND, 0));
    T_SUCCESS(try_open(url(gid, perm("0666"), NULL), IPCX_RECV, 0));
    /* Another uid allowed is not this one. */
    T_ERR(try_open(url("allow=uid:12345,gid:54321", perm("0666"), NULL), IPCX_SEND, 0),
          -EACCES);
    cleanup();

    /* 4: sysvmq created by nobody, given to root: the creator is checked too. */
    if (strcmp(sc->name, "sysvmq") == 0) {
        T_EQ(as_nobody(child_give_to_root, url("mode=0600", NULL, NULL)), 0);
        expect_refused(url(NULL, NULL, NULL), IPCX_RECV | IPCX_CREATE, 0, "created by uid 65534");
        T_SUCCESS(try_open(url(uid, NULL, NULL), IPCX_SEND, 0));
        cleanup();
    }

    /* 5: root's own object, 0644: an opener asking for 0600 is refused, for 0644 not. */
    T_SUCCESS(create(url(perm("0644"), sc->extra, NULL)));
    expect_refused(url(NULL, NULL, NULL), IPCX_SEND, 0, "mode 0644");
    T_SUCCESS(try_open(url(perm("0644"), NULL, NULL), IPCX_SEND, 0));
    cleanup();

    /* 6: nobody uses root's 0666 object when it asks for that mode (root is trusted). */
    T_SUCCESS(create(url(perm("0666"), sc->extra, NULL)));
    T_EQ(as_nobody(child_open, url(perm("0666"), NULL, NULL)), 0);
    T_EQ(as_nobody(child_refused, url(NULL, NULL, NULL)), 0);
    cleanup();
    printf("%s: squatted objects refused, allow= and own reuse work\n", sc->name);
    return 0;
}

/* allow= syntax: every bad value is -EINVAL and creates nothing. */
static int t_syntax(void)
{
    static const char *bad[] = {
        "allow=", "allow=uid:", "allow=uid:x", "allow=uid:-1", "allow=uid:1,",
        "allow=,uid:1", "allow=user:root", "allow=uid:4294967295", "allow=uid: 1",
        "allow=uid:99999999999999999999", "allow=gid:1,,gid:2",
    };
    char u[256];
    ipcx_chan *ch;
    ipcx_sem *s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(u, sizeof u, "mq:/ipcx-t-%d-syntax?%s", (int) getpid(), bad[i]);
        T_ERR(ipcx_open(&ch, u, IPCX_RECV | IPCX_CREATE), -EINVAL);
        snprintf(u, sizeof u, "sem:/ipcx-t-%d-syntax?%s", (int) getpid(), bad[i]);
        T_ERR(ipcx_sem_open(&s, u, IPCX_CREATE, 1), -EINVAL);
    }
    /* Good lists parse (and name nobody's object: none exists, so ENOENT). */
    snprintf(u, sizeof u, "mq:/ipcx-t-%d-syntax?allow=uid:0,gid:4294967294,uid:1000",
             (int) getpid());
    T_ERR(ipcx_open(&ch, u, IPCX_SEND), -ENOENT);
    /* Schemes without a named owner take no allow=. */
    T_ERR(ipcx_open(&ch, "tcp://127.0.0.1:1?allow=uid:1", IPCX_SEND), -EINVAL);
    T_ERR(ipcx_open(&ch, "unix:@x?allow=uid:1", IPCX_SEND), -EINVAL);
    ipcx_chan *ends[2];
    T_ERR(ipcx_pair("shm:?allow=uid:1", ends), -EINVAL);
    printf("syntax: bad allow= lists are -EINVAL\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s mq|sysvmq|shm|sysvshm|sem|posixsem|sysvsem|syntax\n", argv[0]);
        return 1;
    }
    if (strcmp(argv[1], "syntax") == 0)
        return t_syntax();
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strcmp(argv[1], schemes[i].name) == 0)
            sc = &schemes[i];
    if (!sc) {
        fprintf(stderr, "unknown scheme %s\n", argv[1]);
        return 1;
    }
    if (geteuid() != 0) {
        printf("skip: the squatter (uid nobody) needs a test run as root\n");
        return T_SKIP;
    }
    umask(0);
    /* System V keys 78<pid> (decimal), which leftovers.sh checks; queues,
     * segments and semaphore sets have separate key spaces. */
    if (sc->sysv)
        snprintf(base, sizeof base, "%s:78%d", sc->name, (int) getpid());
    else
        snprintf(base, sizeof base, "%s:/ipcx-t-%d-squat", sc->name, (int) getpid());
    t_cleanup = cleanup;
    t_squat();
    t_cleanup = NULL;
    return 0;
}
