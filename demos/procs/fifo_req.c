/* fifo_req.c - the fifoserver demo's request and reply lines (fifo_req.h). */
#include "fifo_req.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The answer: something the server computes, that a mix-up would not give. */
static long fifo_answer(int c, long x)
{
    return (long) ((unsigned long) x * 31u + (unsigned long) c * 1000003u) & 0x7fffffffL;
}

/* A decimal number at *p up to the next space or the end; advances *p. */
static int take_num(const char **p, const char *end, long min, long max, long *out)
{
    const char *s = *p;
    long v = 0;
    int neg = 0;
    if (s < end && *s == '-') {
        neg = 1;
        s++;
    }
    if (s == end || *s < '0' || *s > '9')
        return -EBADMSG;
    while (s < end && *s >= '0' && *s <= '9') {
        if (v > (LONG_MAX - 9) / 10)
            return -EBADMSG;
        v = v * 10 + (*s++ - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return -EBADMSG;
    *out = v;
    *p = s;
    return 0;
}

static int take_space(const char **p, const char *end)
{
    if (*p == end || **p != ' ')
        return -EBADMSG;
    (*p)++;
    return 0;
}

static int take_word(const char **p, const char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t) (end - *p) < n || memcmp(*p, w, n) != 0)
        return -EBADMSG;
    *p += n;
    return 0;
}

int fifo_req_parse(const char *msg, size_t len, const char *dir, struct fifo_req *r)
{
    const char *p = msg, *end = msg + len;
    long c, n, x;
    if (len > FIFO_MSGMAX || take_word(&p, end, "req ") < 0 ||
        take_num(&p, end, 1, FIFO_MAXC, &c) < 0 || take_space(&p, end) < 0 ||
        take_num(&p, end, 0, LONG_MAX, &n) < 0 || take_space(&p, end) < 0 ||
        take_num(&p, end, -1000000000L, 1000000000L, &x) < 0 || take_space(&p, end) < 0)
        return -EBADMSG;
    /* The reply address: dir "/" name, nothing else. */
    size_t dl = strlen(dir);
    if ((size_t) (end - p) <= dl + 1 || memcmp(p, dir, dl) != 0 || p[dl] != '/')
        return -EPERM;
    p += dl + 1;
    size_t nl = (size_t) (end - p);
    if (nl == 0 || nl > FIFO_NAMEMAX)
        return -EPERM;
    for (size_t i = 0; i < nl; i++) {
        char ch = p[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_';
        if (!ok)
            return -EPERM; /* '/', '.', a NUL, a space: not a plain name */
    }
    r->client = (int) c;
    r->n = n;
    r->x = x;
    memcpy(r->name, p, nl);
    r->name[nl] = 0;
    return 0;
}

int fifo_reply_format(char *buf, size_t cap, int c, long n, long x)
{
    int k = snprintf(buf, cap, "rep %d %ld %ld", c, n, fifo_answer(c, x));
    return k < 0 || (size_t) k >= cap ? -ENOSPC : k;
}

int fifo_reply_check(const char *msg, size_t len, int c, long n, long x)
{
    const char *p = msg, *end = msg + len;
    long gc, gn, gy;
    if (take_word(&p, end, "rep ") < 0 || take_num(&p, end, 0, FIFO_MAXC, &gc) < 0 ||
        take_space(&p, end) < 0 || take_num(&p, end, 0, LONG_MAX, &gn) < 0 ||
        take_space(&p, end) < 0 || take_num(&p, end, 0, LONG_MAX, &gy) < 0 || p != end)
        return -EBADMSG;
    return gc == c && gn == n && gy == fifo_answer(c, x) ? 0 : -EBADMSG;
}
