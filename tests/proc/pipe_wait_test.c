/*
 * pipe_wait_test.c - the pipe receiver's wait without a poll
 * (src/transport/stream_src.c, src_read): a receive without a deadline
 * sleeps in read(2) and the pipe stays out of the receiver's epoll set (a
 * polled pipe taxes every later write of its senders); a receive with a
 * deadline or ipcx_fd() puts it in.  Across real processes:
 *
 *   - after receives with timeout -1 and 0 no epoll set of this process
 *     watches anything (/proc/self/fdinfo), and a receive with timeout 0
 *     after one with -1 returns -EAGAIN at once (the descriptor is
 *     non-blocking again; a blocking one would hang until the alarm);
 *   - a forked copy of the receiver that closes while the receiver sleeps
 *     in read(2) turns O_NONBLOCK back on: the sleeping receive gets the
 *     next message, and the next wait still sleeps in read(2) (no
 *     -EAGAIN, no spin, no poll);
 *   - a deadline, then ipcx_fd(): the pipe is in the set and poll says
 *     readable while a message waits in the receiver's buffer;
 *   - a sender SIGKILLed while the receiver sleeps in read(2): -EPIPE;
 *   - a FIFO receiver that waits before any writer came gets the first
 *     writer's message, then -EPIPE when it closes.
 *
 * The helpers wait until the receiver is asleep in its system call
 * (/proc/PID/syscall), a condition, not a time.
 */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define WAIT_MS 10000

static char fifo_path[96];
static pid_t kids[16];
static int nkids;

static void cleanup(void)
{
    for (int i = 0; i < nkids; i++)
        if (kids[i] > 0)
            (void) kill(kids[i], SIGKILL);
    if (fifo_path[0])
        (void) unlink(fifo_path); /* ours: the name has our pid */
}

static pid_t spawn(void)
{
    T_OK(nkids < (int) (sizeof kids / sizeof kids[0]));
    fflush(NULL);
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        t_cleanup = NULL;
        nkids = 0;
        alarm(30);
    } else {
        kids[nkids++] = pid;
    }
    return pid;
}

static void reap(pid_t pid, int want_sig)
{
    int st;
    T_OK(waitpid(pid, &st, 0) == pid);
    for (int i = 0; i < nkids; i++)
        if (kids[i] == pid)
            kids[i] = 0;
    if (want_sig)
        T_OK(WIFSIGNALED(st) && WTERMSIG(st) == want_sig);
    else
        T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Descriptors that the epoll sets of this process watch, over all of them. */
static int epoll_watched(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    T_OK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        char link[300], target[64], info[300], line[256];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k <= 0)
            continue;
        target[k] = '\0';
        if (strcmp(target, "anon_inode:[eventpoll]") != 0)
            continue;
        snprintf(info, sizeof info, "/proc/self/fdinfo/%s", e->d_name);
        FILE *f = fopen(info, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f))
            n += strncmp(line, "tfd:", 4) == 0;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Is pid asleep in read(2) or an epoll wait?  /proc/PID/syscall names the call. */
static int asleep_in(pid_t pid, long nr)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long got = -1;
    int ok = fgets(buf, sizeof buf, f) != NULL && sscanf(buf, "%ld", &got) == 1;
    fclose(f);
    if (!ok || got != nr)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    ok = fgets(buf, sizeof buf, f) != NULL;
    fclose(f);
    const char *p = strrchr(buf, ')');
    return ok && p && p[1] == ' ' && p[2] == 'S';
}

/* A helper: wait until pid sleeps in call nr (at most ~10 s), else fail. */
static void await_asleep(pid_t pid, long nr)
{
    for (int i = 0; i < 10000; i++) {
        if (asleep_in(pid, nr))
            return;
        usleep(1000);
    }
    T_FAIL("pid %d never slept in system call %ld", (int) pid, nr);
}

static void put(int fd, char c)
{
    T_OK(write(fd, &c, 1) == 1);
}

static void expect_msg(ipcx_chan *rx, int timeout_ms, const char *want)
{
    char b[64];
    T_ERR(ipcx_recv(rx, b, sizeof b, NULL, timeout_ms), (long) strlen(want));
    T_OK(memcmp(b, want, strlen(want)) == 0);
}

/* The sender: sends message "mN" each time it reads N from go. */
static void sender(ipcx_chan *tx, int go)
{
    char c, m[3] = { 'm', 0, 0 };
    while (read(go, &c, 1) == 1) {
        if (c == 'k')
            pause(); /* wait to be killed */
        m[1] = c;
        T_SUCCESS(ipcx_send(tx, m, 2, 0, WAIT_MS));
    }
    T_SUCCESS(ipcx_close(tx));
    _exit(0);
}

/* A fresh pair with its sender in a child; e[0] receives here, go[1] drives the sender. */
static pid_t start_pair(ipcx_chan *e[2], int go[2])
{
    T_OK(pipe(go) == 0);
    T_SUCCESS(ipcx_pair("pipe:", e));
    pid_t tx = spawn();
    if (tx == 0) {
        T_SUCCESS(ipcx_close(e[0]));
        close(go[1]);
        sender(e[1], go[0]);
    }
    close(go[0]);
    T_SUCCESS(ipcx_close(e[1]));
    return tx;
}

static void check_pair(void)
{
    ipcx_chan *e[2];
    int go[2];
    pid_t me = getpid();

    pid_t tx = start_pair(e, go);

    /* Timeouts 0 and -1: no poll. */
    T_ERR(ipcx_recv(e[0], (char[4]){ 0 }, 4, NULL, 0), -EAGAIN);
    put(go[1], '0');
    expect_msg(e[0], -1, "m0"); /* the descriptor is in blocking mode now */
    T_EQ(epoll_watched(), 0);

    /* A copy of the receiver closes while we sleep in read(2). */
    pid_t copy = spawn();
    if (copy == 0) {
        await_asleep(me, SYS_read);
        T_SUCCESS(ipcx_close(e[0])); /* turns O_NONBLOCK back on */
        put(go[1], '1');
        _exit(0);
    }
    expect_msg(e[0], -1, "m1");
    reap(copy, 0);
    T_EQ(epoll_watched(), 0);
    /* The next wait finds the descriptor non-blocking: it sleeps in read(2) all the same. */
    pid_t poke = spawn();
    if (poke == 0) {
        for (int i = 0; i < 10000 && !asleep_in(me, SYS_read) && !asleep_in(me, SYS_epoll_wait) &&
                        !asleep_in(me, SYS_epoll_pwait); i++)
            usleep(1000);
        put(go[1], 'x');
        _exit(0);
    }
    expect_msg(e[0], -1, "mx");
    reap(poke, 0);
    T_EQ(epoll_watched(), 0);
    /* Timeout 0 after a wait in read(2): at once, not blocked. */
    T_ERR(ipcx_recv(e[0], (char[4]){ 0 }, 4, NULL, 0), -EAGAIN);

    /* A deadline polls: from now on the pipe is in the set. */
    T_ERR(ipcx_recv(e[0], (char[4]){ 0 }, 4, NULL, 20), -ETIMEDOUT);
    T_OK(epoll_watched() >= 1);
    put(go[1], '2');
    put(go[1], '3');
    expect_msg(e[0], -1, "m2"); /* maybe m3 came in the same read */
    int fd = ipcx_fd(e[0]);
    T_OK(fd >= 0);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    T_OK(poll(&p, 1, WAIT_MS) == 1);
    expect_msg(e[0], 0, "m3");

    /* The sender killed while we sleep: -EPIPE (fresh pair, nothing polled). */
    close(go[1]);
    reap(tx, 0);
    T_ERR(ipcx_recv(e[0], (char[4]){ 0 }, 4, NULL, -1), -EPIPE);
    T_SUCCESS(ipcx_close(e[0]));

    tx = start_pair(e, go);
    pid_t killer = spawn();
    if (killer == 0) {
        put(go[1], 'k');
        await_asleep(me, SYS_read);
        T_OK(kill(tx, SIGKILL) == 0);
        _exit(0);
    }
    T_ERR(ipcx_recv(e[0], (char[4]){ 0 }, 4, NULL, -1), -EPIPE);
    reap(killer, 0);
    reap(tx, SIGKILL);
    T_EQ(epoll_watched(), 0);
    close(go[1]);
    T_SUCCESS(ipcx_close(e[0]));
}

/* A FIFO receiver waits before any writer came. */
static void check_fifo(void)
{
    char url[128];
    ipcx_chan *rx;
    pid_t me = getpid();

    snprintf(fifo_path, sizeof fifo_path, "/tmp/ipcx-t-%d-wait", (int) me);
    snprintf(url, sizeof url, "fifo:%s", fifo_path);
    T_SUCCESS(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE));
    pid_t w = spawn();
    if (w == 0) {
        ipcx_chan *tx;
        /* In read(2) (it returned 0: no writer) or already in the epoll
         * wait that follows; either way, asleep before we open. */
        for (int i = 0; i < 10000 && !asleep_in(me, SYS_epoll_wait) &&
                        !asleep_in(me, SYS_epoll_pwait) && !asleep_in(me, SYS_read); i++)
            usleep(1000);
        T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
        T_SUCCESS(ipcx_send(tx, "first", 5, 0, WAIT_MS));
        T_SUCCESS(ipcx_close(tx));
        _exit(0);
    }
    expect_msg(rx, -1, "first");
    reap(w, 0);
    T_ERR(ipcx_recv(rx, (char[4]){ 0 }, 4, NULL, -1), -EPIPE);
    T_SUCCESS(ipcx_close(rx));
    fifo_path[0] = '\0'; /* the receiver removed it */
}

int main(void)
{
    t_cleanup = cleanup;
    alarm(60); /* a receive that blocks where it must not ends the test */
    check_pair();
    check_fifo();
    printf("pipe_wait: ok\n");
    return 0;
}
