/*
 * sem_guard.c - a named semaphore's file truncated under its users
 * (docs/security.md, "Truncation"): a waiter asleep in another process, a
 * poster and a reader each get -EIO; none is killed by SIGBUS, none sleeps
 * on for ever.  sem_guard SCHEME WHO:
 *   SCHEME  sem (/dev/shm/NAME) or posixsem (glibc's /dev/shm/sem.NAME)
 *   WHO     owner: the owner (root here) truncates the file;
 *           other: another user whom the mode admits (?mode=0666)
 *           truncates it: uid 65534, needs root to set up
 * Exit 0 pass, 1 fail, 77 skip.
 */
#include "t.h"
#include "ipcx/sync.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>

static char url[96], path[96];

static void cleanup(void)
{
    (void) ipcx_sem_unlink(url);
    (void) unlink(path); /* a truncated file the checked unlink refused */
}

/* Truncate path to 0, as this user or (other) as uid/gid 65534. */
static void truncate_as(int other)
{
    pid_t p = fork();
    T_OK(p >= 0);
    if (p == 0) {
        if (other && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                      setresuid(65534, 65534, 65534) < 0))
            _exit(3);
        _exit(truncate(path, 0) == 0 ? 0 : 4);
    }
    int st;
    T_EQ(waitpid(p, &st, 0), p);
    T_OK(WIFEXITED(st));
    T_EQ(WEXITSTATUS(st), 0);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "sem") != 0 && strcmp(argv[1], "posixsem") != 0) ||
        (strcmp(argv[2], "owner") != 0 && strcmp(argv[2], "other") != 0)) {
        fprintf(stderr, "usage: sem_guard sem|posixsem owner|other\n");
        return 2;
    }
    const char *scheme = argv[1];
    int other = strcmp(argv[2], "other") == 0;
    if (other && geteuid() != 0) {
        printf("SKIP: needs root to act as a second user\n");
        return T_SKIP;
    }
    snprintf(url, sizeof url, "%s:/ipcx-t-semguard-%d%s", scheme, (int) getpid(),
             other ? "?mode=0666" : "");
    snprintf(path, sizeof path, "/dev/shm/%sipcx-t-semguard-%d",
             strcmp(scheme, "posixsem") == 0 ? "sem." : "", (int) getpid());
    t_cleanup = cleanup;

    ipcx_sem *s;
    T_EQ(ipcx_sem_open(&s, url, IPCX_CREATE | IPCX_EXCL, 0), 0);
    if (other)
        T_EQ(chmod(path, 0666), 0); /* past the umask: the mode admits everybody */

    /* A waiter in another process, asleep on the empty semaphore. */
    int ready[2];
    T_EQ(pipe(ready), 0);
    pid_t w = fork();
    T_OK(w >= 0);
    if (w == 0) {
        ipcx_sem *ws;
        if (ipcx_sem_open(&ws, url, 0, 0) != 0)
            _exit(10);
        (void) write(ready[1], "r", 1);
        int r = ipcx_sem_wait(ws, -1);
        _exit(r == -EIO ? 0 : 11);
    }
    char c;
    T_EQ(read(ready[0], &c, 1), 1);
    struct timespec nap = { 0, 50 * 1000 * 1000 };
    (void) nanosleep(&nap, NULL); /* most likely asleep now; either way it must see -EIO */

    truncate_as(other);

    /* The poster and the reader: -EIO, not SIGBUS (which would end this process). */
    T_EQ(ipcx_sem_post(s), -EIO);
    T_EQ(ipcx_sem_value(s), -EIO);
    T_EQ(ipcx_sem_wait(s, 0), -EIO);

    int st;
    T_EQ(waitpid(w, &st, 0), w);
    if (WIFSIGNALED(st))
        T_FAIL("the waiter was killed by signal %d", WTERMSIG(st));
    T_EQ(WEXITSTATUS(st), 0);

    T_EQ(ipcx_sem_close(s), 0);
    cleanup();
    printf("PASS: %s: truncated by %s: waiter, poster and reader got -EIO\n", scheme,
           other ? "another user" : "its owner");
    return 0;
}
