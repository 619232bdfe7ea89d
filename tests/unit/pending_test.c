/*
 * pending_test.c - a send that runs out of time after part of a message is
 * already in a pipe keeps the rest and reports the message accepted; the
 * next send writes the rest first, so the receiver gets both messages whole
 * and in order.  The receiver is a real process that reads only later.
 */
#include "t.h"

#include <sys/wait.h>

#define BIG (200 * 1024) /* more than a pipe holds: the send must stop midway */

static void fill(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char) (seed + i * 7);
}

int main(void)
{
    ipcx_chan *ends[2];
    static char big[BIG], got[BIG];
    int status;

    T_SUCCESS(ipcx_pair("pipe:", ends));
    fill(big, sizeof big, 3);
    pid_t pid = fork();
    T_OK(pid >= 0);
    if (pid == 0) {
        ipcx_close(ends[0]);
        /* Nobody reads yet: part goes in, then the time is up.  Accepted. */
        int r = ipcx_send(ends[1], big, sizeof big, 0, 50);
        if (r != 0)
            _exit(10);
        /* This send first writes the rest of the big one, then itself. */
        if (ipcx_send(ends[1], "after", 5, 0, 10000) != 0)
            _exit(11);
        ipcx_close(ends[1]);
        _exit(0);
    }
    ipcx_close(ends[1]);
    usleep(300 * 1000); /* let the child's first send time out */
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 10000), BIG);
    T_OK(memcmp(got, big, sizeof big) == 0);
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 10000), 5);
    T_OK(memcmp(got, "after", 5) == 0);
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 10000), -EPIPE);
    T_EQ(waitpid(pid, &status, 0), pid);
    T_OK(WIFEXITED(status));
    T_EQ(WEXITSTATUS(status), 0);
    ipcx_close(ends[0]);
    printf("pending: ok\n");
    return 0;
}
