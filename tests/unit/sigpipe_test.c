/*
 * sigpipe_test.c - a pipe or FIFO sender whose receiver was SIGKILLed gets
 * -EPIPE and no signal, under every SIGPIPE disposition a program may have:
 * the default (the writer would die of it), ignored, a handler (which must
 * not run), and blocked, both with a SIGPIPE already pending from before
 * (it must stay pending: it is the application's) and without (none may be
 * left behind).  Each case runs with the signal-mask dance (no key) and,
 * where the process ignores SIGPIPE, with sigpipe=ignored (a plain write);
 * sigpipe=ignored is refused at open when SIGPIPE is not ignored.  The
 * receiver is a real process, killed with SIGKILL; the sender is a forked
 * process so each case starts from its own disposition and mask.
 */
#include "t.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static char fifo_path[96];
static void rm_fifo(void)
{
    (void) unlink(fifo_path); /* ours: the name has our pid */
}

enum disp { D_DEFAULT, D_IGNORED, D_HANDLED, D_BLOCKED, D_BLOCKED_PENDING, D_IGN_BLOCKED_PENDING };
static const char *const disp_name[] = { "default", "ignored", "handled", "blocked",
                                         "blocked, one pending", "ignored, blocked, one pending" };

static volatile sig_atomic_t handled;
static void on_pipe(int sig)
{
    (void) sig;
    handled++;
}

static int pipe_pending(void)
{
    sigset_t p;
    sigemptyset(&p);
    return sigpending(&p) == 0 && sigismember(&p, SIGPIPE) == 1;
}

static int pipe_blocked(void)
{
    sigset_t m;
    return pthread_sigmask(SIG_BLOCK, NULL, &m) == 0 && sigismember(&m, SIGPIPE) == 1;
}

static void set_disp(enum disp d)
{
    struct sigaction sa = { 0 };
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sa.sa_handler = d == D_HANDLED ? on_pipe
                  : d == D_IGNORED || d == D_IGN_BLOCKED_PENDING ? SIG_IGN : SIG_DFL;
    T_SUCCESS(sigaction(SIGPIPE, &sa, NULL));
    if (d >= D_BLOCKED)
        T_SUCCESS(sigprocmask(SIG_BLOCK, &set, NULL));
    if (d == D_BLOCKED_PENDING || d == D_IGN_BLOCKED_PENDING) {
        T_SUCCESS(raise(SIGPIPE)); /* blocked: it stays pending, even when ignored */
        T_OK(pipe_pending());
    }
}

/* The receiver: open (named) or take its end, say 'o', take one message, say 'r', wait. */
static void reader(const char *url, ipcx_chan *rx, int ctl)
{
    char b[16];
    if (!rx && ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE) < 0)
        _exit(20);
    if (write(ctl, "o", 1) != 1)
        _exit(21);
    if (ipcx_recv(rx, b, sizeof b, NULL, 30000) != 5)
        _exit(22);
    if (write(ctl, "r", 1) != 1)
        _exit(23);
    for (;;)
        pause(); /* until SIGKILL */
}

static void await_byte(int fd, char want)
{
    char c = 0;
    T_EQ(read(fd, &c, 1), 1);
    T_EQ(c, want);
}

/* The sender's process: one case, exits 0 if all held. */
static void writer(const char *url, int named, enum disp d)
{
    ipcx_chan *ends[2] = { NULL, NULL }, *tx = NULL;
    int ctl[2], status;

    set_disp(d);
    T_SUCCESS(pipe(ctl));
    if (!named)
        T_SUCCESS(ipcx_pair(url, ends));
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        close(ctl[0]);
        if (ends[1])
            ipcx_close(ends[1]);
        reader(url, ends[0], ctl[1]);
    }
    close(ctl[1]);
    if (ends[0])
        ipcx_close(ends[0]);
    await_byte(ctl[0], 'o');
    if (named)
        T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
    else
        tx = ends[1];
    T_SUCCESS(ipcx_send(tx, "hello", 5, 0, 30000));
    await_byte(ctl[0], 'r');
    T_SUCCESS(kill(pid, SIGKILL));
    T_EQ(waitpid(pid, &status, 0), pid);
    T_OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    if (named)
        (void) ipcx_unlink(url); /* the dead receiver made it */

    /* The reader is gone: no write can succeed now. */
    T_ERR(ipcx_send(tx, "x", 1, 0, 0), -EPIPE);
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);
    T_EQ(handled, 0);
    T_EQ(pipe_blocked(), d >= D_BLOCKED);
    /* The application's own SIGPIPE stays; ours is never left behind. */
    T_EQ(pipe_pending(), d == D_BLOCKED_PENDING || d == D_IGN_BLOCKED_PENDING);
    T_SUCCESS(ipcx_close(tx));
    close(ctl[0]);
    _exit(0);
}

static void run(const char *url, int named, enum disp d)
{
    int status;
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0)
        writer(url, named, d);
    T_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        T_FAIL("%s, SIGPIPE %s: the sender %s %d", url, disp_name[d],
               WIFSIGNALED(status) ? "died of signal" : "exited with",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    rm_fifo();
}

/* sigpipe=ignored is a promise checked at open. */
static void refused(const char *url, enum disp d)
{
    int status;
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        ipcx_chan *ends[2];
        set_disp(d);
        T_ERR(ipcx_pair(url, ends), -EINVAL);
        _exit(0);
    }
    T_EQ(waitpid(pid, &status, 0), pid);
    T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    char fifo[128], fifo_ign[160];
    snprintf(fifo_path, sizeof fifo_path, "/tmp/ipcx-t-%d-sigpipe", (int) getpid());
    snprintf(fifo, sizeof fifo, "fifo:%s", fifo_path);
    t_cleanup = rm_fifo;
    snprintf(fifo_ign, sizeof fifo_ign, "%s?sigpipe=ignored", fifo);

    for (enum disp d = D_DEFAULT; d <= D_IGN_BLOCKED_PENDING; d++) {
        run("pipe:", 0, d);
        run(fifo, 1, d);
    }
    run("pipe:?sigpipe=ignored", 0, D_IGNORED);
    run(fifo_ign, 1, D_IGNORED);
    run("pipe:?sigpipe=ignored", 0, D_IGN_BLOCKED_PENDING);
    refused("pipe:?sigpipe=ignored", D_DEFAULT);
    refused("pipe:?sigpipe=ignored", D_HANDLED);
    refused("pipe:?sigpipe=ignored", D_BLOCKED);
    refused("pipe:?sigpipe=yes", D_IGNORED);
    printf("sigpipe: ok\n");
    return 0;
}
