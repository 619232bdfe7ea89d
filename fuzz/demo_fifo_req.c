/*
 * demo_fifo_req.c - libFuzzer target: the request and reply lines of the
 * fifoserver demo (demos/procs/fifo_req.c), whose server takes requests
 * from any process that can write its FIFO, reply address included.
 *
 * Checks: fifo_req_parse returns 0, -EBADMSG or -EPERM; on 0 the client
 * is in 1..FIFO_MAXC and the reply name is a plain file name (letters,
 * digits, '-', '_'; 1..FIFO_NAMEMAX bytes), so the address cannot leave
 * the directory, and the request written out again parses the same;
 * fifo_reply_check accepts the input only if it is exactly the reply
 * fifo_reply_format writes for the (client, n, x) it names.
 */
#include "fuzz.h"
#include "../demos/procs/fifo_req.c" /* one translation unit: the demo's parser as it is built */

#include <errno.h>
#include <string.h>

#define FZ_DIR "/tmp/ipcx-fz-demo"

static int plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FIFO_NAMEMAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *msg = (const char *) data;
    struct fifo_req q, again;
    int r = fifo_req_parse(msg, size, FZ_DIR, &q);
    FZ_CHECK(r == 0 || r == -EBADMSG || r == -EPERM);
    if (r == 0) {
        FZ_CHECK(q.client >= 1 && q.client <= FIFO_MAXC);
        FZ_CHECK(q.n >= 0);
        FZ_CHECK(plain_name(q.name));
        char line[FIFO_MSGMAX + 1];
        int k = snprintf(line, sizeof line, "req %d %ld %ld %s/%s", q.client, q.n, q.x, FZ_DIR, q.name);
        FZ_CHECK(k > 0 && (size_t) k < sizeof line);
        FZ_CHECK(fifo_req_parse(line, (size_t) k, FZ_DIR, &again) == 0);
        FZ_CHECK(again.client == q.client && again.n == q.n && again.x == q.x &&
                 strcmp(again.name, q.name) == 0);
        /* A reply to it checks out; the same reply for another n does not. */
        char rep[FIFO_MSGMAX];
        int rl = fifo_reply_format(rep, sizeof rep, q.client, q.n, q.x);
        FZ_CHECK(rl > 0);
        FZ_CHECK(fifo_reply_check(rep, (size_t) rl, q.client, q.n, q.x) == 0);
        if (q.n < LONG_MAX)
            FZ_CHECK(fifo_reply_check(rep, (size_t) rl, q.client, q.n + 1, q.x) == -EBADMSG);
    }
    /* The input as a reply: accepted only if it is the exact canonical reply. */
    int c = size > 0 ? data[0] % (FIFO_MAXC + 1) : 1;
    long n = size > 1 ? data[1] : 0, x = size > 2 ? data[2] : 0;
    r = fifo_reply_check(msg, size, c, n, x);
    FZ_CHECK(r == 0 || r == -EBADMSG);
    if (r == 0) {
        char rep[FIFO_MSGMAX];
        int rl = fifo_reply_format(rep, sizeof rep, c, n, x);
        FZ_CHECK(rl > 0 && (size_t) rl == size && memcmp(rep, msg, size) == 0);
    }
    return 0;
}
