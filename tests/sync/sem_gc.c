/*
 * sem_gc.c - `ipcx gc` and the named semaphores (sem:, posixsem:, sysvsem:):
 * ipcx_sem_open notes its process in the registry, so gc removes a
 * semaphore whose creator and users all died, and leaves one that anybody
 * alive may still use:
 *   live       the creator runs: left
 *   dead       the creator was SIGKILLed: removed
 *   inherited  the creator forked a child that posted on the inherited
 *              handle, then the creator was SIGKILLed: left while the
 *              child lives (it was noted at its first call), removed after
 *   waiter     (sysvsem) a process that never opened it through ipcx sleeps
 *              in semop(2) on it: left, "left ... wait" said
 *   stranger   uid 65534 runs gc on root's dead semaphore: left (gc
 *              believes only the owner's registry)
 * Usage: sem_gc PATH/TO/ipcx.  Exit 0 pass, 1 fail.
 */
#include "t.h"
#include "ipcx/sync.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/wait.h>

static const char *ipcx_cmd;
static char urls[3][96], paths[3][96];
static key_t key;
static pid_t kids[32]; /* every child ever made (reaped ones are 0) */
static int nkids;

static void cleanup(void)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            (void) kill(kids[i], SIGKILL);
    for (int i = 0; i < 3; i++)
        (void) ipcx_sem_unlink(urls[i]);
}

static void reap(pid_t p)
{
    (void) kill(p, SIGKILL);
    (void) waitpid(p, NULL, 0);
    for (int i = 0; i < nkids; i++)
        if (kids[i] == p)
            kids[i] = 0;
}

static int exists(int i)
{
    if (i == 2)
        return semget(key, 0, 0) >= 0;
    return access(paths[i], F_OK) == 0;
}

/* Run ipcx gc (as uid 65534 if stranger); its standard output into out. */
static void gc(int stranger, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s%s gc 2>&1", stranger ? "setpriv --reuid=65534 --regid=65534 "
                                                          "--clear-groups " : "", ipcx_cmd);
    FILE *p = popen(cmd, "r");
    T_OK(p != NULL);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    (void) pclose(p);
}

/*
 * A creator of urls[i] in a child, who (fork_user) forks a grandchild that
 * posts once on the inherited handle and then sleeps, or (raw_waiter,
 * sysvsem) one that waits in a raw semop.  Returns the creator's pid;
 * *user the grandchild's (0 if none).  Both are ready when it returns.
 */
static pid_t creator(int i, int fork_user, int raw_waiter, pid_t *user)
{
    int fd[2];
    T_EQ(pipe(fd), 0);
    pid_t c = fork();
    T_OK(c >= 0);
    if (c == 0) {
        ipcx_sem *s;
        if (ipcx_sem_open(&s, urls[i], IPCX_CREATE | IPCX_EXCL, 0) != 0)
            _exit(10);
        pid_t g = 0;
        if (fork_user || raw_waiter) {
            g = fork();
            if (g == 0) {
                if (raw_waiter) {
                    int id = semget(key, 0, 0);
                    struct sembuf op = { 0, -1, 0 };
                    pid_t me = getpid();
                    (void) write(fd[1], &me, sizeof me);
                    (void) semop(id, &op, 1); /* asleep until killed */
                    _exit(0);
                }
                if (ipcx_sem_post(s) != 0)
                    _exit(11);
                pid_t me = getpid();
                (void) write(fd[1], &me, sizeof me);
                pause();
                _exit(0);
            }
        }
        if (!g) {
            pid_t none = 0;
            (void) write(fd[1], &none, sizeof none);
        }
        pause();
        _exit(0);
    }
    T_OK(nkids + 2 <= (int) (sizeof kids / sizeof kids[0]));
    kids[nkids++] = c;
    T_EQ(read(fd[0], user, sizeof *user), (ssize_t) sizeof *user);
    if (*user)
        kids[nkids++] = *user;
    close(fd[0]);
    close(fd[1]);
    if (raw_waiter) { /* until it sleeps in semop */
        int id = semget(key, 0, 0);
        while (semctl(id, 0, GETNCNT) < 1)
            (void) usleep(1000);
    }
    return c;
}

int main(int argc, char **argv)
{
    static const char *const schemes[] = { "sem", "posixsem", "sysvsem" };
    char out[8192];
    if (argc != 2) {
        fprintf(stderr, "usage: sem_gc PATH/TO/ipcx\n");
        return 2;
    }
    ipcx_cmd = argv[1];
    int pid = (int) getpid();
    key = (key_t) (0x5e000000 | (pid & 0xffffff));
    snprintf(urls[0], sizeof urls[0], "sem:/ipcx-t-%d-semgc", pid);
    snprintf(urls[1], sizeof urls[1], "posixsem:/ipcx-t-%d-semgc", pid);
    snprintf(urls[2], sizeof urls[2], "sysvsem:0x%08x", (unsigned) key);
    snprintf(paths[0], sizeof paths[0], "/dev/shm/ipcx-t-%d-semgc", pid);
    snprintf(paths[1], sizeof paths[1], "/dev/shm/sem.ipcx-t-%d-semgc", pid);
    t_cleanup = cleanup;
    int root = geteuid() == 0;
    /* Orphaned grandchildren come to us, so reap() can wait for them to be
     * gone (a zombie still counts as a live user for gc). */
    T_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);

    for (int i = 0; i < 3; i++) {
        pid_t user;
        /* live, then dead */
        pid_t c = creator(i, 0, 0, &user);
        gc(0, out, sizeof out);
        if (!exists(i))
            T_FAIL("%s: gc removed it while its creator runs: %s", urls[i], out);
        reap(c);
        if (root) { /* stranger: another user's gc leaves root's dead semaphore */
            gc(1, out, sizeof out);
            if (!exists(i))
                T_FAIL("%s: uid 65534's gc removed root's semaphore: %s", urls[i], out);
        }
        gc(0, out, sizeof out);
        if (exists(i))
            T_FAIL("%s: gc left it, its creator dead: %s", urls[i], out);

        /* inherited */
        c = creator(i, 1, 0, &user);
        reap(c);
        gc(0, out, sizeof out);
        if (!exists(i))
            T_FAIL("%s: gc removed it while a child that inherited it runs: %s", urls[i], out);
        reap(user);
        gc(0, out, sizeof out);
        if (exists(i))
            T_FAIL("%s: gc left it, creator and child dead: %s", urls[i], out);

        /* waiter */
        if (strcmp(schemes[i], "sysvsem") == 0) {
            c = creator(i, 0, 1, &user);
            reap(c);
            gc(0, out, sizeof out);
            if (!exists(i))
                T_FAIL("%s: gc removed it while a process waits on it: %s", urls[i], out);
            if (!strstr(out, "left") || !strstr(out, urls[i]))
                T_FAIL("%s: gc did not say why it left it: %s", urls[i], out);
            reap(user);
            gc(0, out, sizeof out);
            if (exists(i))
                T_FAIL("%s: gc left it, nobody waiting: %s", urls[i], out);
        }
        printf("ok %s\n", schemes[i]);
    }
    cleanup();
    printf("PASS: sem_gc\n");
    return 0;
}
