/*
 * codec.c - the line decoder of framing=lines (codec.h).  The ipcx frame
 * decoder is frame.c; framing=none needs none (a read is a message).
 * Everything here reads a peer's bytes: no length is used before it is
 * compared with maxmsg, and nothing is allocated.
 */
#include "codec.h"

#include <errno.h>
#include <string.h>

const char *ipcx__framing_name(enum ipcx__framing f)
{
    /* The words of IPCX_FRAMING_WORDS, in its order. */
    static const char *const names[] = { "ipcx", "lines", "none" };
    return (unsigned) f < sizeof names / sizeof names[0] ? names[f] : "ipcx";
}

int ipcx__line_find(const uint8_t *p, size_t n, size_t maxmsg, int eof,
                    size_t *len, size_t *used)
{
    /* A line of maxmsg bytes takes maxmsg + 1 with its newline: look no further. */
    size_t look = maxmsg < n ? maxmsg + 1 : n;
    const uint8_t *nl = look ? memchr(p, '\n', look) : NULL;

    if (nl) {
        *len = (size_t) (nl - p);
        *used = *len + 1;
        return 1;
    }
    if (n > maxmsg)
        return -EMSGSIZE;
    if (eof && n > 0) {
        *len = *used = n; /* the last line, without its newline */
        return 1;
    }
    return 0;
}

int ipcx__line_skip(const uint8_t *p, size_t n, size_t *skip)
{
    const uint8_t *nl = n ? memchr(p, '\n', n) : NULL;
    *skip = nl ? (size_t) (nl - p) + 1 : n;
    return nl != NULL;
}
