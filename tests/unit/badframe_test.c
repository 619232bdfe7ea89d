/*
 * badframe_test.c - garbage written into a pipe between two valid frames:
 * the receiver reports -EBADMSG once and then delivers the next message
 * whole, both when nobody asked for a descriptor and when ipcx_fd() is in
 * use (its doorbell check parses ahead and must not swallow the error).
 */
#include "t.h"
#include "transport/frame.h"

#include <poll.h>

static void frame(uint8_t *out, const char *msg)
{
    struct ipcx__frame f = { IPCX_FRAME_WHOLE, 0, 0, (uint32_t) strlen(msg), (uint32_t) strlen(msg) };
    ipcx__frame_encode(out, &f);
    memcpy(out + IPCX_FRAME_HDR, msg, strlen(msg));
}

static void run(int use_fd)
{
    ipcx_chan *ends[2];
    uint8_t buf[256];
    char got[64];
    size_t n = 0;

    T_SUCCESS(ipcx_pipe(ends));
    frame(buf, "first");
    n += IPCX_FRAME_HDR + 5;
    memcpy(buf + n, "\xde\xad\xbe\xef garbage that is no header at all", 38);
    n += 38;
    frame(buf + n, "second");
    n += IPCX_FRAME_HDR + 6;
    int wfd = ipcx_fd(ends[1]);
    T_OK(wfd >= 0);
    T_EQ(write(wfd, buf, n), (long) n);

    if (use_fd) {
        struct pollfd p = { .fd = ipcx_fd(ends[0]), .events = POLLIN };
        T_OK(p.fd >= 0);
        T_EQ(poll(&p, 1, 5000), 1);
    }
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 1000), 5);
    T_OK(memcmp(got, "first", 5) == 0);
    if (use_fd) {
        /* The doorbell says more is there, so a poll loop comes back for it. */
        struct pollfd p = { .fd = ipcx_fd(ends[0]), .events = POLLIN };
        T_EQ(poll(&p, 1, 0), 1);
    }
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 1000), -EBADMSG);
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 1000), 6);
    T_OK(memcmp(got, "second", 6) == 0);
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 0), -EAGAIN);
    ipcx_close(ends[1]);
    T_ERR(ipcx_recv(ends[0], got, sizeof got, NULL, 1000), -EPIPE);
    ipcx_close(ends[0]);
}

int main(void)
{
    run(0);
    run(1);
    printf("badframe: ok\n");
    return 0;
}
