/*
 * admin_test.c - the admin API (ipcx/admin.h) as a program outside the
 * library sees it: linked against libipcx.so with the installed headers
 * only, no src/ on the include path.
 *
 *  - the registry walk reports our entry (pid, start, roles, a relative
 *    FIFO path made absolute), a bad entry as skipped with its name, and a
 *    symbolic link in place of a user's registry as refused;
 *  - ipcx_reg_remove removes the entry named, and refuses a name with a
 *    slash or a leading dot;
 *  - ipcx_reg_object makes relative filesystem paths absolute, keeps
 *    kernel names as they are, and refuses unnamed and unknown schemes;
 *    System V URLs in every form (decimal key, 0x key, an ftok path with
 *    each scheme's proj= default, ?id=) come back as `ipcx ls` spells
 *    them (SCHEME:0x + 8 hex digits, SCHEME:?id=N), "010" as decimal 10;
 *  - a System V segment opened by ftok path and proj= is registered by
 *    its key (the entry consistent, as ls names the segment); an entry
 *    whose url gives a decimal key is consistent, one whose url is an
 *    ftok path is not (readers never ftok a path from an entry);
 *  - process identity: our own (pid, start) is alive, the same pid with
 *    another start time is not, and a dead child is not;
 *  - the checked removals: a file swapped under the name (another inode),
 *    of another type or reached through a symbolic link is refused and
 *    left alone; a System V queue is refused for another owner, kept by a
 *    dry run, removed by its id, and then -ENOENT.
 */
#include <ipcx.h>
#include <ipcx/admin.h>
#include <ipcx/sync.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "t.h"

static char dir[128];
static int qid = -1;

static void cleanup(void)
{
    char cmd[300];
    if (qid >= 0)
        (void) msgctl(qid, IPC_RMID, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0])
        (void) system(cmd);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    T_OK(f);
    fputs(text, f);
    T_OK(fclose(f) == 0);
}

static void test_registry(void)
{
    char reg[300], p[600], want[600], cwd[PATH_MAX];
    ipcx_chan *rx;
    ipcx_reg_iter *it;
    const struct ipcx_reg_entry *e;
    struct ipcx_proc_info me;
    int mine = 0, skipped = 0, refused = 0;

    T_SUCCESS(ipcx_proc_read(getpid(), &me, sizeof me));
    snprintf(reg, sizeof reg, "%s/.ipcx-registry-%u", dir, (unsigned) geteuid());
    /* A relative FIFO: the entry names it absolutely. */
    T_OK(getcwd(cwd, sizeof cwd));
    T_OK(chdir(dir) == 0);
    T_SUCCESS(ipcx_open(&rx, "fifo:f", IPCX_RECV | IPCX_CREATE | IPCX_NONBLOCK));
    T_OK(chdir(cwd) == 0);
    snprintf(want, sizeof want, "fifo:%s/f", dir);
    /* A bad entry, and a symbolic link in place of uid 4242's registry. */
    snprintf(p, sizeof p, "%s/9-9-bad", reg);
    put(p, "ipcx-reg 1\nobj fifo:/x\n");
    snprintf(p, sizeof p, "%s/.ipcx-registry-4242", dir);
    T_OK(symlink("/tmp", p) == 0);

    T_SUCCESS(ipcx_reg_open(&it, geteuid() == 0 ? IPCX_REG_ALL : 0));
    while (ipcx_reg_next(it, &e) == 1) {
        T_OK(e->size >= sizeof *e);
        if (e->verdict == IPCX_REG_ENTRY && e->pid == getpid()) {
            T_OK(strcmp(e->obj, want) == 0);
            T_OK(e->recv == 1 && e->created == 1 && e->consistent == 1);
            T_EQ(e->start, me.start);
            T_EQ(e->uid, geteuid());
            T_OK(strcmp(e->dir, reg) == 0);
            mine++;
        } else if (e->verdict == IPCX_REG_SKIPPED) {
            T_OK(strcmp(e->name, "9-9-bad") == 0);
            T_EQ(e->err, -EBADMSG);
            T_OK(strstr(e->why, "'url'") || strstr(e->why, "no '"));
            skipped++;
        } else if (e->verdict == IPCX_REG_REFUSED) {
            T_OK(strstr(e->why, "registry-4242 is not a directory"));
            T_EQ(e->uid, 4242);
            refused++;
        }
    }
    T_ERR(ipcx_reg_next(it, &e), 0);
    T_SUCCESS(ipcx_reg_close(it));
    T_EQ(mine, 1);
    T_EQ(skipped, 1);
    T_EQ(refused, geteuid() == 0 ? 1 : 0);

    T_ERR(ipcx_reg_remove(geteuid(), "../x"), -EINVAL);
    T_ERR(ipcx_reg_remove(geteuid(), ".tmp-1-1"), -EINVAL);
    T_SUCCESS(ipcx_reg_remove(geteuid(), "9-9-bad"));
    T_ERR(ipcx_reg_remove(geteuid(), "9-9-bad"), -ENOENT);
    T_OK(access(p, F_OK) == 0); /* the link is still there: nothing followed */
    T_SUCCESS(ipcx_close(rx));

    char base[300];
    T_EQ(ipcx_reg_base(base, sizeof base), (long) strlen(dir));
    T_OK(strcmp(base, dir) == 0);
}

static void test_object(void)
{
    char out[PATH_MAX + 64], cwd[PATH_MAX], want[PATH_MAX + 64];
    T_OK(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "unix:%s/a/s", cwd);
    T_EQ(ipcx_reg_object("unix:a/s?type=dgram", out, sizeof out), (long) strlen(want));
    T_OK(strcmp(out, want) == 0);
    T_SUCCESS(ipcx_reg_object("unix:///tmp/s", out, sizeof out));
    T_OK(strcmp(out, "unix:/tmp/s") == 0); /* the empty authority of unix:///path */
    T_SUCCESS(ipcx_reg_object("unix:@name", out, sizeof out));
    T_OK(strcmp(out, "unix:@name") == 0);
    T_SUCCESS(ipcx_reg_object("mq:/q?maxmsg=10", out, sizeof out));
    T_OK(strcmp(out, "mq:/q") == 0);
    T_SUCCESS(ipcx_reg_object("sysvmq:?id=7", out, sizeof out));
    T_OK(strcmp(out, "sysvmq:?id=7") == 0);
    T_ERR(ipcx_reg_object("tcp://127.0.0.1:1", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("nosuch:/x", out, sizeof out), -EPROTONOSUPPORT);
    T_ERR(ipcx_reg_object("mq:/q", out, 3), -ENAMETOOLONG);
}

/* url names the System V object want (as ls spells it). */
static void sysv_is(const char *url, const char *want)
{
    char out[128];
    int n = ipcx_reg_object(url, out, sizeof out);
    if (n < 0 || strcmp(out, want) != 0)
        fprintf(stderr, "%s: got %d [%s], want [%s]\n", url, n, n < 0 ? "" : out, want);
    T_EQ(n, (long) strlen(want));
    T_OK(strcmp(out, want) == 0);
}

static void test_object_sysv(void)
{
    char url[300], want[64], file[200], out[128];
    sysv_is("sysvmq:010", "sysvmq:0x0000000a"); /* decimal, as the opens read it */
    sysv_is("sysvmq:4660", "sysvmq:0x00001234");
    sysv_is("sysvmq:0x4d2", "sysvmq:0x000004d2");
    sysv_is("sysvmq:0XABCDEF01", "sysvmq:0xabcdef01");
    sysv_is("sysvmq:4294967295", "sysvmq:0xffffffff");
    sysv_is("sysvmq:0x1234?maxmsg=100&mode=0600", "sysvmq:0x00001234");
    sysv_is("sysvmq:?id=7&maxmsg=100", "sysvmq:?id=7");
    sysv_is("sysvshm:1234", "sysvshm:0x000004d2");
    sysv_is("sysvshm:?id=3", "sysvshm:?id=3");
    sysv_is("sysvsem:0x1", "sysvsem:0x00000001");
    T_ERR(ipcx_reg_object("sysvmq:0", out, sizeof out), -EINVAL); /* IPC_PRIVATE */
    T_ERR(ipcx_reg_object("sysvmq:0x100000000", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvmq:12x", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvmq:", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvmq:?id=-1", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvmq:?id=1&proj=2", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvmq:7?proj=2", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvshm://h/x", out, sizeof out), -EINVAL);
    T_ERR(ipcx_reg_object("sysvmq:0x1234", out, 10), -ENAMETOOLONG);

    /* ftok paths: proj= 1 by default for sysvmq: and sysvshm:, required for sysvsem:. */
    snprintf(file, sizeof file, "%s/key", dir);
    put(file, "");
    const struct { const char *scheme, *query; int proj; } f[] = {
        { "sysvmq", "", 1 }, { "sysvmq", "?proj=9", 9 }, { "sysvshm", "", 1 },
        { "sysvshm", "?proj=3&size=65536", 3 }, { "sysvsem", "?proj=2", 2 },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        key_t k = ftok(file, f[i].proj);
        T_OK(k != (key_t) -1);
        snprintf(url, sizeof url, "%s:%s%s", f[i].scheme, file, f[i].query);
        snprintf(want, sizeof want, "%s:0x%08x", f[i].scheme, (unsigned) k);
        sysv_is(url, want);
    }
    snprintf(url, sizeof url, "sysvsem:%s", file);
    T_ERR(ipcx_reg_object(url, out, sizeof out), -EINVAL);
    /* The proj= defaults are the opens': the object opened is the one named. */
    ipcx_sem *sem;
    T_ERR(ipcx_sem_open(&sem, url, IPCX_CREATE, 0), -EINVAL);
    const char *chans[] = { "sysvmq", "sysvshm" };
    for (size_t i = 0; i < 2; i++) {
        ipcx_chan *rx;
        char addr[128];
        snprintf(url, sizeof url, "%s:%s", chans[i], file);
        T_SUCCESS(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
        T_OK(ipcx_addr(rx, addr, sizeof addr) > 0);
        T_OK(ipcx_reg_object(url, out, sizeof out) > 0);
        T_OK(strcmp(addr, out) == 0);
        T_SUCCESS(ipcx_close(rx)); /* the creating receiver removes it */
    }
    snprintf(url, sizeof url, "sysvmq:%s/none", dir);
    T_ERR(ipcx_reg_object(url, out, sizeof out), -ENOENT);
    T_OK(strstr(ipcx_errdetail(), "ftok") != NULL);
}

/*
 * A segment opened as sysvshm:/path?proj=3: its address and its registry
 * entry name it by key (ftok(path, 3)), the name ls gives the segment,
 * and the entry is consistent (its url names the same object).
 */
static void test_registry_sysv(void)
{
    char file[200], url[300], want[64], addr[128];
    ipcx_chan *rx;
    ipcx_reg_iter *it;
    const struct ipcx_reg_entry *e;
    int found = 0;

    snprintf(file, sizeof file, "%s/seg", dir);
    put(file, "");
    key_t k = ftok(file, 3);
    T_OK(k != (key_t) -1);
    snprintf(url, sizeof url, "sysvshm:%s?proj=3&maxmsg=1024&size=65536", file);
    snprintf(want, sizeof want, "sysvshm:0x%08x", (unsigned) k);
    T_SUCCESS(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE | IPCX_EXCL));
    T_OK(ipcx_addr(rx, addr, sizeof addr) > 0);
    T_OK(strcmp(addr, want) == 0);
    /*
     * Entries written by hand: a url by decimal key names the object of
     * its obj; one by ftok path is never consistent (a reader does not ask
     * its own files what a path named when the entry was written).
     */
    char reg[300], p[600], text[600];
    snprintf(reg, sizeof reg, "%s/.ipcx-registry-%u", dir, (unsigned) geteuid());
    snprintf(p, sizeof p, "%s/9-9-key", reg);
    put(p, "ipcx-reg 1\nobj sysvshm:0x000004d2\nurl sysvshm:1234\npid 999999\nstart 0\n"
           "role recv\ncreated 1\n");
    snprintf(p, sizeof p, "%s/9-9-path", reg);
    snprintf(text, sizeof text, "ipcx-reg 1\nobj %s\nurl %s\npid 999999\nstart 0\n"
             "role recv\ncreated 1\n", want, url);
    put(p, text);
    int hand = 0;

    T_SUCCESS(ipcx_reg_open(&it, 0));
    while (ipcx_reg_next(it, &e) == 1)
        if (e->verdict == IPCX_REG_ENTRY && strcmp(e->name, "9-9-key") == 0) {
            T_OK(e->consistent);
            hand++;
        } else if (e->verdict == IPCX_REG_ENTRY && strcmp(e->name, "9-9-path") == 0) {
            T_OK(!e->consistent);
            hand++;
        } else if (e->verdict == IPCX_REG_ENTRY && e->pid == getpid() &&
            strncmp(e->obj, "sysvshm:", 8) == 0) {
            if (strcmp(e->obj, want) != 0)
                fprintf(stderr, "entry obj [%s] url [%s], want [%s]\n", e->obj, e->url, want);
            T_OK(strcmp(e->obj, want) == 0);
            T_OK(e->consistent);
            T_OK(e->recv && e->created);
            found++;
        }
    T_SUCCESS(ipcx_reg_close(it));
    T_EQ(found, 1);
    T_EQ(hand, 2);
    T_SUCCESS(ipcx_reg_remove(geteuid(), "9-9-key"));
    T_SUCCESS(ipcx_reg_remove(geteuid(), "9-9-path"));
    T_SUCCESS(ipcx_close(rx)); /* the creating receiver removes the segment */
}

static void test_proc(void)
{
    struct ipcx_proc_info me;
    int64_t secs;
    T_ERR(ipcx_proc_read(getpid(), &me, sizeof me - 1), -EINVAL);
    T_SUCCESS(ipcx_proc_read(getpid(), &me, sizeof me));
    T_OK(me.start > 0);
    T_EQ(ipcx_proc_alive(getpid(), me.start), 1);
    T_EQ(ipcx_proc_alive(getpid(), me.start + 1), 0);
    T_SUCCESS(ipcx_proc_epoch(me.start, &secs));
    T_OK(secs > 1000000000);
    pid_t c = fork();
    T_OK(c >= 0);
    if (c == 0)
        _exit(0);
    T_OK(waitpid(c, NULL, 0) == c);
    T_EQ(ipcx_proc_alive(c, 0), 0);
    T_ERR(ipcx_proc_read(c, &me, sizeof me), -ESRCH);
}

static void test_unlink(void)
{
    char f[300], g[300], l[300];
    struct stat st;
    snprintf(f, sizeof f, "%s/file", dir);
    snprintf(g, sizeof g, "%s/other", dir);
    snprintf(l, sizeof l, "%s/link", dir);
    put(f, "x");
    T_OK(stat(f, &st) == 0);
    struct ipcx_file_check want = { S_IFREG, st.st_uid, st.st_dev, st.st_ino };

    T_ERR(ipcx_unlink_checked(f, &want, sizeof want - 1, 0), -EINVAL);
    T_ERR(ipcx_unlink_checked("rel/file", &want, sizeof want, 0), -EINVAL);
    /* Another type than looked at. */
    want.type = S_IFIFO;
    T_ERR(ipcx_unlink_checked(f, &want, sizeof want, 0), -EPERM);
    want.type = S_IFREG;
    /* Another owner than looked at. */
    want.uid = st.st_uid + 1;
    T_ERR(ipcx_unlink_checked(f, &want, sizeof want, 0), -EPERM);
    want.uid = st.st_uid;
    /* A symbolic link to the file: never followed. */
    T_OK(symlink(f, l) == 0);
    T_ERR(ipcx_unlink_checked(l, &want, sizeof want, 0), -EPERM);
    T_OK(lstat(l, &st) == 0 && S_ISLNK(st.st_mode));
    /* Another file renamed over the name: another inode. */
    put(g, "y");
    T_OK(rename(g, f) == 0);
    T_ERR(ipcx_unlink_checked(f, &want, sizeof want, 0), -EPERM);
    T_OK(strstr(ipcx_errdetail(), "no longer"));
    T_OK(access(f, F_OK) == 0);
    /* The file that is there now: a dry run keeps it, then it goes. */
    T_OK(stat(f, &st) == 0);
    want.ino = st.st_ino;
    T_SUCCESS(ipcx_unlink_checked(f, &want, sizeof want, IPCX_ADMIN_DRY));
    T_OK(access(f, F_OK) == 0);
    T_SUCCESS(ipcx_unlink_checked(f, &want, sizeof want, 0));
    T_OK(access(f, F_OK) < 0);
    T_ERR(ipcx_unlink_checked(f, &want, sizeof want, 0), -ENOENT);
}

static void test_sysv(void)
{
    qid = msgget(IPC_PRIVATE, 0600);
    T_OK(qid >= 0);
    T_ERR(ipcx_sysv_remove(IPCX_SYSV_MSG, qid, geteuid() + 1, 0), -EPERM);
    T_OK(strstr(ipcx_errdetail(), "owner"));
    T_ERR(ipcx_sysv_remove(IPCX_SYSV_SHM, qid, geteuid(), 0), -ENOENT); /* not a segment id */
    T_ERR(ipcx_sysv_remove(9, qid, geteuid(), 0), -EINVAL);
    T_SUCCESS(ipcx_sysv_remove(IPCX_SYSV_MSG, qid, geteuid(), IPCX_ADMIN_DRY));
    struct msqid_ds ds;
    T_OK(msgctl(qid, IPC_STAT, &ds) == 0);
    T_SUCCESS(ipcx_sysv_remove(IPCX_SYSV_MSG, qid, geteuid(), 0));
    T_OK(msgctl(qid, IPC_STAT, &ds) < 0);
    T_ERR(ipcx_sysv_remove(IPCX_SYSV_MSG, qid, geteuid(), 0), -ENOENT);
    qid = -1;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ipcx-t-%d-admin", (int) getpid());
    T_OK(mkdir(dir, 0700) == 0);
    t_cleanup = cleanup;
    T_OK(setenv("IPCX_REGISTRY", dir, 1) == 0);
    test_registry();
    test_object();
    test_object_sysv();
    test_registry_sysv();
    test_proc();
    test_unlink();
    test_sysv();
    cleanup();
    printf("admin: ok\n");
    return 0;
}
