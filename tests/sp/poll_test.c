/*
 * poll_test.c - ipcx_poll on SP ends, whose descriptor is an epoll set
 * (readable only): a push0 sending end is IPCX_POLLOUT while a send can go
 * on, not once its peer's socket is full, and again after the receiver
 * drained it; a pull0 receiving end is IPCX_POLLIN when a message came.
 * Both carriers, one process (an SP end is one process's).
 */
#include "t.h"
#include "ipcx/poll.h"

static void one(const char *listen)
{
    ipcx_chan *rx, *tx;
    char url[256], buf[128];
    T_SUCCESS(ipcx_open(&rx, listen, IPCX_RECV | IPCX_CREATE));
    T_SUCCESS(ipcx_addr(rx, url, sizeof url));
    T_SUCCESS(ipcx_open(&tx, url, IPCX_SEND));
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 0), -EAGAIN); /* accepts, shakes hands */

    struct ipcx_pollitem w = { tx, IPCX_POLLOUT, 0 }, r = { rx, IPCX_POLLIN, 0 };
    T_ERR(ipcx_poll(&w, 1, 10000), 1);
    T_EQ(w.revents, IPCX_POLLOUT);
    T_SUCCESS(ipcx_send(tx, "ping", 4, 0, 10000));
    T_ERR(ipcx_poll(&r, 1, 10000), 1);
    T_EQ(r.revents, IPCX_POLLIN);
    T_ERR(ipcx_recv(rx, buf, sizeof buf, NULL, 0), 4);

    /* Fill the peer's socket: then not writable. */
    memset(buf, 'w', 100);
    long sent = 0;
    for (;;) {
        int s = ipcx_send(tx, buf, 100, 0, 0);
        if (s == -EAGAIN)
            break;
        T_SUCCESS(s);
        T_OK(++sent < 10000000);
    }
    T_OK(sent > 10);
    T_ERR(ipcx_poll(&w, 1, 0), 0);
    /* Drained: writable again (the rest of the last message goes with the next send). */
    for (;;) {
        long n = ipcx_recv(rx, buf, sizeof buf, NULL, 0);
        if (n == -EAGAIN)
            break;
        T_ERR(n, 100);
    }
    T_ERR(ipcx_poll(&w, 1, 10000), 1);
    T_EQ(w.revents & IPCX_POLLOUT, IPCX_POLLOUT);
    T_SUCCESS(ipcx_close(tx));
    T_SUCCESS(ipcx_close(rx));
}

int main(void)
{
    char u[128];
    snprintf(u, sizeof u, "sp+unix:@ipcx-t-%d-poll?proto=pull0", (int) getpid());
    one(u);
    one("sp+tcp://127.0.0.1:0?proto=pull0");
    printf("PASS: ipcx_poll on SP ends\n");
    return 0;
}
