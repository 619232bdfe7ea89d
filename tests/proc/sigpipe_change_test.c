/*
 * sigpipe_change_test.c - a pipe or FIFO sender without sigpipe= whose
 * process changes SIGPIPE's disposition and mask between sends: every send
 * after the receiver was SIGKILLed gives -EPIPE, the process lives, a
 * handler never runs and no SIGPIPE is left pending.  A sender that cached
 * "SIGPIPE is ignored" from an earlier send and wrote plainly after the
 * disposition went back to SIG_DFL would die of the signal here.  The
 * receiver is a real process; the sends before its death go through under
 * two dispositions, so the sender has seen both before the changes.
 */
#include "t.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char fifo_path[96];
static pid_t receiver;

static void cleanup(void)
{
    if (receiver > 0)
        (void) kill(receiver, SIGKILL);
    if (fifo_path[0])
        (void) unlink(fifo_path); /* ours: the name has our pid */
}

static volatile sig_atomic_t handled;
static void on_pipe(int sig)
{
    (void) sig;
    handled++;
}

static void set_handler(void (*h)(int))
{
    struct sigaction sa = { 0 };
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    T_SUCCESS(sigaction(SIGPIPE, &sa, NULL));
}

static void set_blocked(int how)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    T_SUCCESS(sigprocmask(how, &set, NULL));
}

static int pipe_pending(void)
{
    sigset_t p;
    sigemptyset(&p);
    return sigpending(&p) == 0 && sigismember(&p, SIGPIPE) == 1;
}

/* The receiver: reads two messages, says so, then waits to be killed. */
static void run_receiver(ipcx_chan *rx, int ctl)
{
    char b[16];
    for (int i = 0; i < 2; i++)
        T_ERR(ipcx_recv(rx, b, sizeof b, NULL, 10000), 2);
    T_OK(write(ctl, "r", 1) == 1);
    for (;;)
        pause();
}

static void check(const char *what, ipcx_chan *tx, int ctl)
{
    /* Alive: sends go through under SIG_DFL and SIG_IGN. */
    set_handler(SIG_DFL);
    T_SUCCESS(ipcx_send(tx, "m0", 2, 0, 10000));
    set_handler(SIG_IGN);
    T_SUCCESS(ipcx_send(tx, "m1", 2, 0, 10000));
    int st;
    char c;
    T_OK(read(ctl, &c, 1) == 1 && c == 'r'); /* it had both messages */

    T_OK(kill(receiver, SIGKILL) == 0);
    T_OK(waitpid(receiver, &st, 0) == receiver);
    receiver = 0;
    T_OK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* Gone: under every disposition in turn, -EPIPE and nothing else. */
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);        /* ignored */
    set_handler(SIG_DFL);
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);        /* default: would kill */
    set_handler(on_pipe);
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);        /* a handler: must not run */
    T_EQ(handled, 0);
    set_handler(SIG_IGN);
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);
    set_handler(SIG_DFL);
    set_blocked(SIG_BLOCK);
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);        /* blocked: none left pending */
    T_OK(!pipe_pending());
    set_blocked(SIG_UNBLOCK);
    T_ERR(ipcx_send(tx, "x", 1, 0, 1000), -EPIPE);        /* default again */
    T_EQ(handled, 0);
    printf("sigpipe_change %s: ok\n", what);
}

static void run(const char *what, int named)
{
    ipcx_chan *rx, *tx, *e[2];
    int ctl[2];
    char url[128];

    T_OK(pipe(ctl) == 0);
    if (named) {
        snprintf(fifo_path, sizeof fifo_path, "/tmp/ipcx-t-%d-sigchange", (int) getpid());
        snprintf(url, sizeof url, "fifo:%s", fifo_path);
        T_SUCCESS(ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE));
        T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
    } else {
        T_SUCCESS(ipcx_pair("pipe:", e));
        rx = e[0];
        tx = e[1];
    }
    fflush(NULL);
    receiver = fork();
    T_OK(receiver >= 0);
    if (receiver == 0) {
        t_cleanup = NULL;
        alarm(30);
        T_SUCCESS(ipcx_close(tx));
        run_receiver(rx, ctl[1]);
    }
    /* Our copy of the receiving end goes (the FIFO stays: its receiver lives). */
    if (named)
        T_SUCCESS(ipcx_keep(rx));
    T_SUCCESS(ipcx_close(rx));
    check(what, tx, ctl[0]);
    T_SUCCESS(ipcx_close(tx));
    close(ctl[0]);
    close(ctl[1]);
    if (named) {
        T_OK(unlink(fifo_path) == 0);
        fifo_path[0] = '\0';
    }
}

int main(void)
{
    t_cleanup = cleanup;
    alarm(60);
    run("pipe", 0);
    run("fifo", 1);
    return 0;
}
