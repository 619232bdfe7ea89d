/*
 * url_test.c - unit tests of the URL parser (src/url.c): every accepted
 * form, every rejection, and the typed getters.  It calls the internal
 * ipcx__url_* functions directly; opening channels is conformance's job.
 */
#include "t.h"
#include "util/url.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

static struct ipcx_url u;

/* s must parse; returns the parsed URL (in u). */
static struct ipcx_url *ok(const char *s)
{
    ipcx__clear_detail();
    int r = ipcx__url_parse(s, &u);
    if (r != 0)
        T_FAIL("parse(\"%s\") == %d (%s) [%s], want 0", s, r, ipcx_strerror(r),
               ipcx_errdetail());
    return &u;
}

/* s must be rejected with -EINVAL and a detail that contains want. */
static void bad(const char *s, const char *want)
{
    ipcx__clear_detail();
    int r = ipcx__url_parse(s, &u);
    if (r != -EINVAL)
        T_FAIL("parse(\"%s\") == %d (%s), want -EINVAL", s ? s : "(null)", r,
               ipcx_strerror(r));
    if (!strstr(ipcx_errdetail(), want))
        T_FAIL("parse(\"%s\"): detail \"%s\" does not say \"%s\"", s ? s : "(null)",
               ipcx_errdetail(), want);
}

#define T_STR(a, b)                                                          \
    do {                                                                     \
        const char *t_a_ = (a), *t_b_ = (b);                                 \
        if (!t_a_ || strcmp(t_a_, t_b_) != 0)                                \
            T_FAIL("%s == \"%s\", want \"%s\"", #a, t_a_ ? t_a_ : "(null)", t_b_); \
    } while (0)

/* A string of n copies of c (n < sizeof buf), in one of a few static buffers. */
static const char *rep(char c, size_t n)
{
    static char bufs[4][IPCX_URL_MAX * 3 + 16];
    static int k;
    char *b = bufs[k++ % 4];
    T_OK(n < sizeof bufs[0]);
    memset(b, c, n);
    b[n] = '\0';
    return b;
}

/* printf into one of a few static buffers. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    static char bufs[4][IPCX_URL_MAX * 3 + 64];
    static int k;
    char *b = bufs[k++ % 4];
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(b, sizeof bufs[0], f, ap);
    va_end(ap);
    T_OK(n >= 0 && (size_t) n < sizeof bufs[0]);
    return b;
}

static void test_forms(void)
{
    struct ipcx_url *p;

    p = ok("fifo:/p");
    T_STR(p->scheme, "fifo");
    T_EQ(p->authority, 0);
    T_STR(p->path, "/p");
    T_STR(p->host, "");
    T_STR(p->port, "");
    T_EQ(p->nkeys, 0);

    p = ok("fifo:/tmp/dir/name.fifo");
    T_STR(p->path, "/tmp/dir/name.fifo");

    p = ok("fifo:relative");
    T_STR(p->path, "relative");

    /* The ZeroMQ/nng spelling with an empty authority, as file:///: the same path. */
    p = ok("unix:///tmp/s?type=dgram");
    T_STR(p->scheme, "unix");
    T_EQ(p->authority, 0);
    T_STR(p->path, "/tmp/s");
    T_EQ(p->nkeys, 1);
    p = ok("fifo:///tmp/f");
    T_STR(p->path, "/tmp/f");

    p = ok("unix:@name");
    T_STR(p->scheme, "unix");
    T_EQ(p->authority, 0);
    T_STR(p->path, "@name");

    p = ok("unix:/tmp/s?type=dgram&mode=0660");
    T_STR(p->path, "/tmp/s");
    T_EQ(p->nkeys, 2);
    T_STR(p->q[0].key, "type");
    T_STR(p->q[0].val, "dgram");
    T_STR(p->q[1].key, "mode");
    T_STR(p->q[1].val, "0660");

    p = ok("pipe:");
    T_STR(p->scheme, "pipe");
    T_STR(p->path, "");
    T_EQ(p->nkeys, 0);

    p = ok("pipe:?maxmsg=65536");
    T_STR(p->path, "");
    T_EQ(p->nkeys, 1);
    T_STR(ipcx__url_get(p, "maxmsg"), "65536");

    p = ok("tcp://host:7000");
    T_STR(p->scheme, "tcp");
    T_EQ(p->authority, 1);
    T_STR(p->host, "host");
    T_STR(p->port, "7000");
    T_STR(p->path, "");

    p = ok("tcp://[::1]:7000");
    T_EQ(p->authority, 1);
    T_STR(p->host, "::1");
    T_STR(p->port, "7000");

    p = ok("tcp://[fe80::1%25eth0]:80");
    T_STR(p->host, "fe80::1%eth0");
    T_STR(p->port, "80");

    p = ok("tcp://[v4name]:1"); /* brackets around a name are taken off too */
    T_STR(p->host, "v4name");

    p = ok("tcp://*:7000");
    T_STR(p->host, "*");
    T_STR(p->port, "7000");

    p = ok("tcp://127.0.0.1:0");
    T_STR(p->host, "127.0.0.1");
    T_STR(p->port, "0");

    p = ok("tcp://h:65535");
    T_STR(p->port, "65535");
    p = ok("tcp://h:0065535"); /* 7 digits fit the port field */
    T_STR(p->port, "0065535");

    p = ok("tcp://h:1/");
    T_STR(p->path, "/");
    p = ok("tcp://h:1/a%2Fb/c");
    T_STR(p->path, "/a/b/c");
    p = ok("tcp://h:1?maxmsg=1k");
    T_STR(p->path, "");
    T_STR(ipcx__url_get(p, "maxmsg"), "1k");
    p = ok("tcp://h:1/x?maxmsg=1k");
    T_STR(p->path, "/x");

    /* A path that only looks like an authority once decoded is a path. */
    p = ok("fifo:%2F%2Fh:1");
    T_EQ(p->authority, 0);
    T_STR(p->path, "//h:1");

    /* Digits may follow the first letter of a scheme; 15 letters fit. */
    p = ok("ab1:/x");
    T_STR(p->scheme, "ab1");
    /* '+' too, never first: sp+tcp joins a protocol to its carrier. */
    p = ok("sp+tcp://h:1");
    T_STR(p->scheme, "sp+tcp");
    bad("+sp:/x", "no scheme");
    p = ok(fmt("%s:/x", rep('s', IPCX_URL_SCHEME - 1)));
    T_EQ(strlen(p->scheme), IPCX_URL_SCHEME - 1);
}

static void test_decoding(void)
{
    struct ipcx_url *p;

    p = ok("fifo:/tmp/a%20b");
    T_STR(p->path, "/tmp/a b");
    p = ok("fifo:/%41%4a%4A%6f%7E");
    T_STR(p->path, "/AJJo~");
    p = ok("fifo:/a%3Fb%23c");
    T_STR(p->path, "/a?b#c");
    T_EQ(p->nkeys, 0);
    p = ok("fifo:/%ff%01");
    T_STR(p->path, "/\xff\x01");
    p = ok("fifo:/a%25");
    T_STR(p->path, "/a%");
    p = ok("tcp://my%2Dhost:9");
    T_STR(p->host, "my-host");

    /* Keys and values are decoded; '=' and '&' inside them are escaped. */
    p = ok("fifo:/p?k%3D=v%26w&x=%3D");
    T_EQ(p->nkeys, 2);
    T_STR(p->q[0].key, "k=");
    T_STR(p->q[0].val, "v&w");
    T_STR(p->q[1].key, "x");
    T_STR(p->q[1].val, "=");
    T_STR(ipcx__url_get(p, "k="), "v&w");

    /* Only the first '=' splits key from value; an empty value is a value. */
    p = ok("fifo:/p?a=b=c&e=");
    T_STR(ipcx__url_get(p, "a"), "b=c");
    T_STR(ipcx__url_get(p, "e"), "");
    T_OK(ipcx__url_get(p, "b") == NULL);
    T_OK(ipcx__url_get(p, "") == NULL);
}

static void test_limits(void)
{
    struct ipcx_url *p;
    char q[IPCX_URL_MAX];

    /* A whole URL of IPCX_URL_MAX bytes is fine, one more is not. */
    const char *path = rep('p', IPCX_URL_MAX - strlen("fifo:"));
    p = ok(fmt("fifo:%s", path));
    T_EQ(strlen(p->path), IPCX_URL_MAX - 5);
    bad(fmt("fifo:%sp", path), "longer than");

    /* The path field holds IPCX_URL_PATH - 1 decoded bytes. */
    p = ok(fmt("fifo:%s", rep('x', IPCX_URL_PATH - 6)));
    T_OK(strlen(p->path) == IPCX_URL_PATH - 6);

    /* host: 255 bytes, not 256 */
    p = ok(fmt("tcp://%s:1", rep('h', IPCX_URL_HOST - 1)));
    T_EQ(strlen(p->host), IPCX_URL_HOST - 1);
    bad(fmt("tcp://%s:1", rep('h', IPCX_URL_HOST)), "host is too long");
    /* ... counted after decoding */
    p = ok(fmt("tcp://%s%%41:1", rep('h', IPCX_URL_HOST - 2)));
    T_EQ(strlen(p->host), IPCX_URL_HOST - 1);

    /* key: 31 bytes; value: 255 bytes */
    p = ok(fmt("pipe:?%s=v", rep('k', IPCX_URL_KEYLEN - 1)));
    T_EQ(strlen(p->q[0].key), IPCX_URL_KEYLEN - 1);
    bad(fmt("pipe:?%s=v", rep('k', IPCX_URL_KEYLEN)), "query key is too long");
    p = ok(fmt("pipe:?k=%s", rep('v', IPCX_URL_VALLEN - 1)));
    T_EQ(strlen(p->q[0].val), IPCX_URL_VALLEN - 1);
    bad(fmt("pipe:?k=%s", rep('v', IPCX_URL_VALLEN)), "query value is too long");

    /* IPCX_URL_KEYS parameters, not one more */
    q[0] = '\0';
    for (int i = 0; i < IPCX_URL_KEYS; i++)
        snprintf(q + strlen(q), sizeof q - strlen(q), "%sk%d=%d", i ? "&" : "", i, i);
    p = ok(fmt("pipe:?%s", q));
    T_EQ(p->nkeys, IPCX_URL_KEYS);
    T_STR(ipcx__url_get(p, "k15"), "15");
    bad(fmt("pipe:?%s&k99=1", q), "more than 16 query parameters");

    /* scheme: 15 bytes, not 16 */
    bad(fmt("%s:/x", rep('s', IPCX_URL_SCHEME)), "no scheme");
}

static void test_rejections(void)
{
    bad(NULL, "no URL");
    bad("", "no scheme");
    bad("/tmp/x", "no scheme");
    bad("fifo", "no scheme");
    bad(":/x", "no scheme");
    bad("Fifo:/x", "no scheme");
    bad("1fifo:/x", "no scheme");
    bad("fi-fo:/x", "no scheme");
    bad("fi fo:/x", "no scheme");
    bad("tmp/x:y", "no scheme");

    /* Percent escapes need two hex digits. */
    bad("fifo:/a%", "bad percent escape in the path");
    bad("fifo:/a%4", "bad percent escape in the path");
    bad("fifo:/a%zz", "bad percent escape in the path");
    bad("fifo:/a%g0", "bad percent escape in the path");
    bad("fifo:/a%0g", "bad percent escape in the path");
    bad("fifo:/a% 1", "bad percent escape in the path");
    bad("fifo:/a%%41", "bad percent escape in the path");
    bad("pipe:?a%=1", "bad percent escape in the query key");
    bad("pipe:?a=%2", "bad percent escape in the query value");
    bad("pipe:?a=1%&b=2", "bad percent escape in the query value");
    bad("tcp://h%:1", "bad percent escape in the host");
    bad("tcp://h:1/%", "bad percent escape in the path");

    /* An escaped NUL would cut the name short: never. */
    bad("fifo:/a%00b", "NUL byte in the path");
    bad("pipe:?a=%00", "NUL byte in the query value");
    bad("pipe:?%00=1", "NUL byte in the query key");
    bad("tcp://a%00:1", "NUL byte in the host");

    /* Each key once, also when spelt with escapes. */
    bad("pipe:?a=1&a=2", "given twice");
    bad("pipe:?a=1&%61=1", "given twice");
    bad("pipe:?maxmsg=1&mode=0600&maxmsg=1", "given twice");

    /* IPv6 addresses go in brackets. */
    bad("tcp://::1:7000", "brackets");
    bad("tcp://fe80::1:7000", "brackets");
    bad("tcp://h:1:2", "brackets");
    bad("tcp://[::1:7000", "without ']'");
    bad("tcp://[::1]x:7000", "junk after ']'");
    bad("tcp://[::1]7000", "junk after ']'");
    bad("tcp://[::1]", "no port");
    bad("tcp://[]:7000", "no host");

    /* Ports */
    bad("tcp://", "no host");
    /* tcp:///x is tcp:/x (an empty authority): tcp_open refuses it, not the parser. */
    bad("ipc:///tmp/s", "did you mean unix:/tmp/s?");
    bad("ipc://rel", "did you mean unix:rel?");
    bad("tcp://:7000", "no host");
    bad("tcp://h", "no port");
    bad("tcp://h/x", "no port");
    bad("tcp://h:", "bad port");
    bad("tcp://[::1]:", "bad port");
    bad("tcp://h:abc", "not a number");
    bad("tcp://h:1x", "not a number");
    bad("tcp://h:-1", "not a number");
    bad("tcp://h:+1", "not a number");
    bad("tcp://h: 1", "not a number");
    bad("tcp://h:%31", "not a number"); /* ports are not decoded */
    bad("tcp://h:65536", "above 65535");
    bad("tcp://h:99999", "above 65535");
    bad("tcp://h:00065536", "bad port"); /* 8 digits: longer than the field */
    bad("tcp://h:99999999999999999999", "bad port");

    /* Queries */
    bad("fifo:/p?", "empty query");
    bad("pipe:?", "empty query");
    bad("tcp://h:1?", "empty query");
    bad("pipe:?&a=1", "empty query parameter");
    bad("pipe:?a=1&&b=2", "empty query parameter");
    bad("pipe:?a=1&", "trailing '&'");
    bad("pipe:?a", "without key=value");
    bad("pipe:?a=1&b", "without key=value");
    bad("pipe:?=1", "without key=value");
    bad("pipe:?a=1&=2", "without key=value");
}

static void test_size(void)
{
    const size_t G = (size_t) 1 << 30;
    size_t v;

#define SIZE_OK(url, min, max, want)                                         \
    do {                                                                     \
        v = 12345;                                                           \
        T_ERR(ipcx__url_size(ok(url), "s", 7, min, max, &v), 0);             \
        T_EQ(v, want);                                                       \
    } while (0)
#define SIZE_BAD(url, min, max, detail)                                      \
    do {                                                                     \
        v = 12345;                                                           \
        ipcx__clear_detail();                                                \
        T_ERR(ipcx__url_size(ok(url), "s", 7, min, max, &v), -EINVAL);      \
        T_EQ(v, 12345);                                                      \
        if (!strstr(ipcx_errdetail(), detail))                               \
            T_FAIL("%s: detail \"%s\", want \"%s\"", url, ipcx_errdetail(), detail); \
    } while (0)

    SIZE_OK("pipe:", 0, 10, 7);           /* absent: the default, unchecked */
    SIZE_OK("pipe:?other=1", 100, 200, 7);
    SIZE_OK("pipe:?s=0", 0, 10, 0);
    SIZE_OK("pipe:?s=10", 0, 10, 10);
    SIZE_OK("pipe:?s=000010", 0, 10, 10);
    SIZE_OK("pipe:?s=1k", 0, SIZE_MAX, 1024);
    SIZE_OK("pipe:?s=1K", 0, SIZE_MAX, 1024);
    SIZE_OK("pipe:?s=64k", 0, SIZE_MAX, 65536);
    SIZE_OK("pipe:?s=2m", 0, SIZE_MAX, 2u << 20);
    SIZE_OK("pipe:?s=3M", 0, SIZE_MAX, 3u << 20);
    SIZE_OK("pipe:?s=1g", 0, SIZE_MAX, G);
    SIZE_OK("pipe:?s=2G", 0, SIZE_MAX, 2 * G);
    SIZE_OK("pipe:?s=0k", 0, SIZE_MAX, 0);
    /* ranges are inclusive, after the suffix */
    SIZE_OK("pipe:?s=1k", 1024, 1024, 1024);
    SIZE_BAD("pipe:?s=1k", 1025, 4096, "out of range");
    SIZE_BAD("pipe:?s=1k", 0, 1023, "out of range");
    SIZE_BAD("pipe:?s=9", 10, 20, "out of range");
    SIZE_BAD("pipe:?s=21", 10, 20, "out of range");
    SIZE_OK("pipe:?s=2147483647", 0, 0x7fffffff, 0x7fffffff);
    SIZE_BAD("pipe:?s=2g", 0, 0x7fffffff, "out of range");
    /* not numbers */
    SIZE_BAD("pipe:?s=", 0, 10, "not a number");
    SIZE_BAD("pipe:?s=k", 0, 10, "not a number");
    SIZE_BAD("pipe:?s=-1", 0, 10, "not a number");
    SIZE_BAD("pipe:?s=+1", 0, 10, "not a number");
    SIZE_BAD("pipe:?s=%201", 0, 10, "not a number");
    SIZE_BAD("pipe:?s=1%20", 0, 10, "not a number");
    SIZE_BAD("pipe:?s=0x10", 0, 100, "not a number");
    SIZE_BAD("pipe:?s=1.5k", 0, SIZE_MAX, "not a number");
    SIZE_BAD("pipe:?s=1kb", 0, SIZE_MAX, "not a number");
    SIZE_BAD("pipe:?s=1kk", 0, SIZE_MAX, "not a number");
    SIZE_BAD("pipe:?s=1t", 0, SIZE_MAX, "not a number");
    SIZE_BAD("pipe:?s=1T", 0, SIZE_MAX, "not a number");
    /* Huge values are refused before they can overflow, with or without a suffix. */
    SIZE_BAD("pipe:?s=99999999999999999999999999", 0, SIZE_MAX, "too large");
    SIZE_BAD("pipe:?s=18446744073709551616", 0, SIZE_MAX, "too large");
    SIZE_BAD("pipe:?s=18446744073709551615", 0, SIZE_MAX, "too large");
    SIZE_BAD("pipe:?s=17179869184g", 0, SIZE_MAX, "too large");
    SIZE_BAD("pipe:?s=17179869184", 0, SIZE_MAX, "too large");
    /* The largest number accepted, with the largest suffix, does not wrap. */
    SIZE_OK("pipe:?s=17179869183G", 0, SIZE_MAX, (size_t) 17179869183u * G);
    SIZE_OK("pipe:?s=17179869183", 0, SIZE_MAX, 17179869183u);
    SIZE_OK("pipe:?s=16g", 0, SIZE_MAX, 16 * G);
    SIZE_BAD("pipe:?s=16g", 0, 16 * G - 1, "out of range");
#undef SIZE_OK
#undef SIZE_BAD
}

static void test_mode(void)
{
    mode_t m;

#define MODE_OK(url, want)                                                   \
    do {                                                                     \
        m = 01234;                                                           \
        T_ERR(ipcx__url_mode(ok(url), "mode", 0640, &m), 0);                 \
        T_EQ(m, want);                                                       \
    } while (0)
#define MODE_BAD(url)                                                        \
    do {                                                                     \
        m = 01234;                                                           \
        ipcx__clear_detail();                                                \
        T_ERR(ipcx__url_mode(ok(url), "mode", 0640, &m), -EINVAL);           \
        T_EQ(m, 01234);                                                      \
        T_OK(strstr(ipcx_errdetail(), "octal") != NULL);                     \
    } while (0)

    MODE_OK("fifo:/p", 0640);
    MODE_OK("fifo:/p?mode=0600", 0600);
    MODE_OK("fifo:/p?mode=600", 0600);
    MODE_OK("fifo:/p?mode=0", 0);
    MODE_OK("fifo:/p?mode=0000", 0);
    MODE_OK("fifo:/p?mode=777", 0777);
    MODE_OK("fifo:/p?mode=0777", 0777);
    MODE_OK("fifo:/p?mode=7", 07);
    MODE_BAD("fifo:/p?mode=");
    MODE_BAD("fifo:/p?mode=8");
    MODE_BAD("fifo:/p?mode=0800");
    MODE_BAD("fifo:/p?mode=0609");
    MODE_BAD("fifo:/p?mode=1000");  /* setuid/setgid/sticky bits are not permissions */
    MODE_BAD("fifo:/p?mode=4755");
    MODE_BAD("fifo:/p?mode=00600"); /* at most 4 digits */
    MODE_BAD("fifo:/p?mode=rw");
    MODE_BAD("fifo:/p?mode=-1");
    MODE_BAD("fifo:/p?mode=0x1ff");
    MODE_BAD("fifo:/p?mode=%20600");
#undef MODE_OK
#undef MODE_BAD
}

static void test_word(void)
{
    const char *w = "stream seqpacket dgram";

    T_EQ(ipcx__url_word(ok("unix:@x"), "type", w, 0), 0);
    T_EQ(ipcx__url_word(ok("unix:@x"), "type", w, 2), 2);
    T_EQ(ipcx__url_word(ok("unix:@x?type=stream"), "type", w, 2), 0);
    T_EQ(ipcx__url_word(ok("unix:@x?type=seqpacket"), "type", w, 0), 1);
    T_EQ(ipcx__url_word(ok("unix:@x?type=dgram"), "type", w, 0), 2);
    T_EQ(ipcx__url_word(ok("unix:@x?type=d%67ram"), "type", w, 0), 2);
    T_EQ(ipcx__url_word(ok("unix:@x?type=one"), "type", "one", 5), 0);

    const char *no[] = { "type=", "type=str", "type=streamx", "type=Stream",
                         "type=dgra", "type=gram", "type=stream%20seqpacket",
                         "type=%20stream", "type=stream%20" };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        ipcx__clear_detail();
        T_ERR(ipcx__url_word(ok(fmt("unix:@x?%s", no[i])), "type", w, 0), -EINVAL);
        T_OK(strstr(ipcx_errdetail(), "expected one of: stream seqpacket dgram") != NULL);
    }
}

static void test_check_keys(void)
{
    T_ERR(ipcx__url_check_keys(ok("pipe:"), ""), 0);
    T_ERR(ipcx__url_check_keys(ok("pipe:"), "maxmsg fd"), 0);
    T_ERR(ipcx__url_check_keys(ok("pipe:?fd=3"), "maxmsg fd"), 0);
    T_ERR(ipcx__url_check_keys(ok("pipe:?fd=3&maxmsg=1"), "maxmsg fd"), 0);
    T_ERR(ipcx__url_check_keys(ok("pipe:?fd=3&maxmsg=1"), "fd maxmsg"), 0);
    /* chan.c joins the common keys and a transport's with a space; tcp has none */
    T_ERR(ipcx__url_check_keys(ok("tcp://h:1?maxmsg=1"), "maxmsg "), 0);

    ipcx__clear_detail();
    T_ERR(ipcx__url_check_keys(ok("pipe:?fd=3&foo=1"), "maxmsg fd"), -EINVAL);
    T_OK(strstr(ipcx_errdetail(), "unknown query key 'foo'") != NULL);
    T_OK(strstr(ipcx_errdetail(), "maxmsg fd") != NULL);
    T_ERR(ipcx__url_check_keys(ok("pipe:?fd=3"), ""), -EINVAL);
    T_ERR(ipcx__url_check_keys(ok("tcp://h:1?fd=1"), "maxmsg "), -EINVAL);
    /* whole words only */
    T_ERR(ipcx__url_check_keys(ok("pipe:?max=1"), "maxmsg fd"), -EINVAL);
    T_ERR(ipcx__url_check_keys(ok("pipe:?maxmsgx=1"), "maxmsg fd"), -EINVAL);
    T_ERR(ipcx__url_check_keys(ok("pipe:?f=1"), "maxmsg fd"), -EINVAL);
    T_ERR(ipcx__url_check_keys(ok("pipe:?maxmsg%20fd=1"), "maxmsg fd"), -EINVAL);
    T_ERR(ipcx__url_check_keys(ok("pipe:?MAXMSG=1"), "maxmsg fd"), -EINVAL);
}

/* ipcx__url_parse_int: decimal or 0x hex, optional '-', nothing else, in range. */
static void test_int(void)
{
    int64_t n;
    T_SUCCESS(ipcx__url_parse_int("0", 0, 10, &n));
    T_EQ(n, 0);
    T_SUCCESS(ipcx__url_parse_int("0x4d2", 0, 0xffffffffll, &n));
    T_EQ(n, 1234);
    T_SUCCESS(ipcx__url_parse_int("0XfFfFfFfF", 0, 0xffffffffll, &n));
    T_EQ(n, 0xffffffffll);
    T_SUCCESS(ipcx__url_parse_int("010", 0, 100, &n));
    T_EQ(n, 10); /* never octal */
    T_SUCCESS(ipcx__url_parse_int("-32768", INT64_MIN, 0, &n));
    T_EQ(n, -32768);
    T_SUCCESS(ipcx__url_parse_int("-0x10", -100, 0, &n));
    T_EQ(n, -16);
    T_SUCCESS(ipcx__url_parse_int("9223372036854775807", 0, INT64_MAX, &n));
    T_EQ(n, INT64_MAX);
    T_SUCCESS(ipcx__url_parse_int("-9223372036854775808", INT64_MIN, 0, &n));
    T_OK(n == INT64_MIN);
    static const char *bad[] = { "", "-", "0x", "x1", " 1", "1 ", "+1", "1e3", "0x1g", "--1",
                                 "9223372036854775808", "-9223372036854775809",
                                 "99999999999999999999999", "11", "-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ipcx__url_parse_int(bad[i], 0, 10, &n) != -EINVAL)
            T_FAIL("ipcx__url_parse_int(\"%s\") accepted", bad[i]);
    /* The getter: default when absent, a detail naming the key otherwise. */
    T_SUCCESS(ipcx__url_int(ok("sysvmq:1?proj=7"), "proj", 1, 1, 255, &n));
    T_EQ(n, 7);
    T_SUCCESS(ipcx__url_int(ok("sysvmq:1"), "proj", 1, 1, 255, &n));
    T_EQ(n, 1);
    T_ERR(ipcx__url_int(ok("sysvmq:1?proj=256"), "proj", 1, 1, 255, &n), -EINVAL);
    T_OK(strstr(ipcx_errdetail(), "proj=256") != NULL);
}

int main(void)
{
    test_forms();
    test_decoding();
    test_limits();
    test_rejections();
    test_size();
    test_mode();
    test_word();
    test_check_keys();
    test_int();
    printf("url_test: ok\n");
    return 0;
}
