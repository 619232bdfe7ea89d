/*
 * url_parse.c - libFuzzer target: the URL parser (src/url.c), its typed
 * getters, and ipcx_open/ipcx_pair on what parses.
 *
 * The input is the URL (cut at a NUL byte).  Checks:
 *   - ipcx__url_parse returns 0 or -EINVAL with a detail, and what it
 *     gives is well formed (fields terminated, port a number <= 65535,
 *     no duplicate keys) and parses back the same after re-encoding;
 *   - every getter agrees with a reference written out here;
 *   - ipcx_open returns 0 or a documented error, and leaves nothing behind.
 *
 * What a fuzzed URL may touch: "pipe:?fd=N" takes over descriptor N (the
 * fuzzer's own), fifo:/unix: paths name any file or socket on the machine,
 * and tcp:// hosts resolve names and connect anywhere.  So ipcx_open never
 * sees the fuzzed path: fifo: and unix: paths are mapped into a private
 * directory /tmp/ipcx-fz-<pid>-XXXXXX (unix:@name to @ipcx-fz-<pid>-name)
 * keeping the fuzzed authority and query; pipe: is opened only without
 * fd=; tcp: only when it fails before resolving (no authority, a path, or
 * host *).  The directory must be empty after each input.
 */
#include "ipcx.h"
#include "util/url.h"
#include "util/err.h"
#include "transport/transport.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fuzz.h"

static char fz_dir[64];

static void fz_cleanup(void)
{
    if (fz_dir[0])
        (void) rmdir(fz_dir);
}

static void fz_init(void)
{
    if (fz_dir[0])
        return;
    snprintf(fz_dir, sizeof fz_dir, "/tmp/ipcx-fz-%d-XXXXXX", (int) getpid());
    if (!mkdtemp(fz_dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(fz_cleanup);
}

static int fz_dir_empty(void)
{
    DIR *d = opendir(fz_dir);
    struct dirent *e;
    int empty = 1;
    FZ_CHECK(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            fprintf(stderr, "left behind: %s/%s\n", fz_dir, e->d_name);
            empty = 0;
        }
    closedir(d);
    return empty;
}

static int fz_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Append s[0, n) to b (cap bytes, *o used), escaping all but letters and
 * digits (and '/' when keep_slash).  -1 when it does not fit. */
static int fz_enc(char *b, size_t cap, size_t *o, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (fz_alnum(c) || (keep_slash && c == '/')) {
            if (*o + 1 >= cap)
                return -1;
            b[(*o)++] = (char) c;
        } else {
            if (*o + 3 >= cap)
                return -1;
            b[(*o)++] = '%';
            b[(*o)++] = hex[c >> 4];
            b[(*o)++] = hex[c & 15];
        }
    }
    b[*o] = '\0';
    return 0;
}

static int fz_raw(char *b, size_t cap, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o + n >= cap)
        return -1;
    memcpy(b + *o, s, n + 1);
    *o += n;
    return 0;
}

/* ---- the parse result ------------------------------------------------------ */

static int fz_terminated(const char *f, size_t cap)
{
    return memchr(f, '\0', cap) != NULL;
}

static void check_parsed(const struct ipcx_url *u)
{
    FZ_CHECK(fz_terminated(u->scheme, sizeof u->scheme) && u->scheme[0]);
    for (const char *p = u->scheme; *p; p++)
        FZ_CHECK((*p >= 'a' && *p <= 'z') ||
                 (p > u->scheme && ((*p >= '0' && *p <= '9') || *p == '+')));
    FZ_CHECK(fz_terminated(u->host, sizeof u->host));
    FZ_CHECK(fz_terminated(u->port, sizeof u->port));
    FZ_CHECK(fz_terminated(u->path, sizeof u->path));
    FZ_CHECK(u->nkeys <= IPCX_URL_KEYS);
    if (u->authority) {
        unsigned long port = 0;
        FZ_CHECK(u->host[0] && u->port[0]);
        for (const char *p = u->port; *p; p++) {
            FZ_CHECK(*p >= '0' && *p <= '9');
            port = port * 10 + (unsigned long) (*p - '0');
        }
        FZ_CHECK(port <= 65535);
        FZ_CHECK(u->path[0] == '\0' || u->path[0] == '/');
    } else {
        FZ_CHECK(!u->host[0] && !u->port[0]);
    }
    for (size_t k = 0; k < u->nkeys; k++) {
        FZ_CHECK(fz_terminated(u->q[k].key, sizeof u->q[k].key) && u->q[k].key[0]);
        FZ_CHECK(fz_terminated(u->q[k].val, sizeof u->q[k].val));
        for (size_t j = 0; j < k; j++)
            FZ_CHECK(strcmp(u->q[j].key, u->q[k].key) != 0);
        FZ_CHECK(ipcx__url_get(u, u->q[k].key) == u->q[k].val);
    }
    for (size_t k = u->nkeys; k < IPCX_URL_KEYS; k++)
        FZ_CHECK(!u->q[k].key[0] && !u->q[k].val[0]);
}

/* Encode u back into a URL with every byte escaped; parse it; it must be u again. */
static void check_roundtrip(const struct ipcx_url *u)
{
    static char b[IPCX_URL_MAX + 1];
    static struct ipcx_url v;
    size_t o = 0;
    int fits = fz_raw(b, sizeof b, &o, u->scheme) == 0 && fz_raw(b, sizeof b, &o, ":") == 0;

    if (fits && u->authority) {
        int v6 = strchr(u->host, ':') != NULL;
        fits = fz_raw(b, sizeof b, &o, v6 ? "//[" : "//") == 0 &&
               (strcmp(u->host, "*") == 0 ? fz_raw(b, sizeof b, &o, "*")
                                          : fz_enc(b, sizeof b, &o, u->host, strlen(u->host), 0)) == 0 &&
               fz_raw(b, sizeof b, &o, v6 ? "]:" : ":") == 0 &&
               fz_raw(b, sizeof b, &o, u->port) == 0;
        /* After an authority the path starts with a literal '/'. */
        if (fits && u->path[0])
            fits = fz_raw(b, sizeof b, &o, "/") == 0 &&
                   fz_enc(b, sizeof b, &o, u->path + 1, strlen(u->path + 1), 0) == 0;
    } else if (fits) {
        fits = fz_enc(b, sizeof b, &o, u->path, strlen(u->path), 0) == 0;
    }
    for (size_t k = 0; fits && k < u->nkeys; k++)
        fits = fz_raw(b, sizeof b, &o, k ? "&" : "?") == 0 &&
               fz_enc(b, sizeof b, &o, u->q[k].key, strlen(u->q[k].key), 0) == 0 &&
               fz_raw(b, sizeof b, &o, "=") == 0 &&
               fz_enc(b, sizeof b, &o, u->q[k].val, strlen(u->q[k].val), 0) == 0;
    if (!fits)
        return; /* escaping made it longer than a URL may be */
    int r = ipcx__url_parse(b, &v);
    if (r != 0)
        fprintf(stderr, "re-encoded \"%s\" does not parse\n", b);
    FZ_CHECK(r == 0);
    FZ_CHECK(memcmp(u, &v, sizeof v) == 0);
}

/* ---- getters against references ------------------------------------------- */

static void check_size(const struct ipcx_url *u, const char *key, size_t min, size_t max)
{
    const char *v = ipcx__url_get(u, key);
    size_t out = 12345;
    int r = ipcx__url_size(u, key, 777, min, max, &out);

    if (!v) {
        FZ_CHECK(r == 0 && out == 777);
        return;
    }
    /* digits, one optional k/m/g in either case, nothing else */
    unsigned __int128 x = 0;
    size_t i = 0;
    int big = 0;
    for (; v[i] >= '0' && v[i] <= '9'; i++) {
        x = x * 10 + (unsigned) (v[i] - '0');
        if (x > ((unsigned __int128) 1 << 34) - 1)
            big = 1, x = (unsigned __int128) 1 << 40; /* stays large, no wrap */
    }
    int shift = 0, okfmt = i > 0;
    switch (v[i]) {
    case 'k': case 'K': shift = 10; i++; break;
    case 'm': case 'M': shift = 20; i++; break;
    case 'g': case 'G': shift = 30; i++; break;
    default: break;
    }
    okfmt = okfmt && v[i] == '\0';
    /* url_size stops at the first overlong digit run, before it looks at the rest */
    if (big) {
        FZ_CHECK(r == -EINVAL && out == 12345);
        return;
    }
    x <<= shift;
    if (okfmt && x >= min && x <= max) {
        FZ_CHECK(r == 0 && out == (size_t) x);
    } else {
        FZ_CHECK(r == -EINVAL && out == 12345);
    }
}

static void check_mode(const struct ipcx_url *u, const char *key)
{
    const char *v = ipcx__url_get(u, key);
    mode_t m = 01234;
    int r = ipcx__url_mode(u, key, 0640, &m);
    if (!v) {
        FZ_CHECK(r == 0 && m == 0640);
        return;
    }
    size_t n = strlen(v);
    unsigned want = 0;
    int ok = n >= 1 && n <= 4;
    for (size_t i = 0; ok && i < n; i++) {
        ok = v[i] >= '0' && v[i] <= '7';
        want = want * 8 + (unsigned) (v[i] - '0');
    }
    ok = ok && want <= 0777;
    if (ok)
        FZ_CHECK(r == 0 && m == (mode_t) want);
    else
        FZ_CHECK(r == -EINVAL && m == 01234);
}

static void check_word(const struct ipcx_url *u, const char *key, const char *words)
{
    const char *v = ipcx__url_get(u, key);
    int r = ipcx__url_word(u, key, words, 42);
    if (!v) {
        FZ_CHECK(r == 42);
        return;
    }
    /* the index of v among the space-separated words */
    int want = -EINVAL, idx = 0;
    size_t vl = strlen(v);
    for (const char *p = words;; idx++) {
        const char *sp = strchr(p, ' ');
        size_t wl = sp ? (size_t) (sp - p) : strlen(p);
        if (wl == vl && strncmp(p, v, wl) == 0) {
            want = idx;
            break;
        }
        if (!sp)
            break;
        p = sp + 1;
    }
    FZ_CHECK(r == want);
}

static void check_keys(const struct ipcx_url *u)
{
    static char all[IPCX_URL_KEYS * (IPCX_URL_KEYLEN + 1) + 1];
    size_t o = 0;
    int spaced = 0;

    for (size_t k = 0; k < u->nkeys; k++)
        spaced |= strchr(u->q[k].key, ' ') != NULL;
    if (spaced) {
        /* a key with a space can never be allowed */
        FZ_CHECK(ipcx__url_check_keys(u, "") == (u->nkeys ? -EINVAL : 0));
        return;
    }
    all[0] = '\0';
    for (size_t k = 0; k < u->nkeys; k++)
        o += (size_t) sprintf(all + o, "%s%s", k ? " " : "", u->q[k].key);
    FZ_CHECK(ipcx__url_check_keys(u, all) == 0);
    FZ_CHECK(ipcx__url_check_keys(u, "") == (u->nkeys ? -EINVAL : 0));
    if (u->nkeys > 0) {
        /* every key but the last */
        o = 0;
        all[0] = '\0';
        for (size_t k = 0; k + 1 < u->nkeys; k++)
            o += (size_t) sprintf(all + o, "%s%s", k ? " " : "", u->q[k].key);
        FZ_CHECK(ipcx__url_check_keys(u, all) == -EINVAL);
    }
}

/* ---- ipcx_open, made safe -------------------------------------------------- */

/* What ipcx_open may return here; anything else is a bug. */
static int fz_open_err_ok(int r)
{
    switch (-r) {
    case 0: case EINVAL: case EPROTONOSUPPORT: case ENOTSUP: case ENOENT:
    case ECONNREFUSED: case EEXIST: case EADDRINUSE: case ENAMETOOLONG:
    case EPROTOTYPE: case EACCES: case EPERM: case ELOOP:
        return strcmp(ipcx_strerror(r), "unknown error") != 0;
    default:
        return 0;
    }
}

/*
 * The safe URL for a fifo: or unix: URL: the same scheme, authority and
 * query, and a name inside fz_dir made of the fuzzed path.  0, or -1 when
 * it would be too long.
 */
static int fz_safe_url(const struct ipcx_url *u, const char *s, char *b, size_t cap)
{
    const char *q = strchr(s, '?');
    char name[300];
    size_t o = 0, n = 0;
    /* Abstract names only without an authority: "//h:1/@x" would be a file in /. */
    int abstract = u->path[0] == '@' && !u->authority;

    /* a single file name: never '/', never "." or ".." */
    name[n++] = 'n';
    for (const char *p = u->path + abstract; *p && n < sizeof name - 1; p++)
        name[n++] = *p == '/' ? '_' : *p;
    name[n] = '\0';

    if (fz_raw(b, cap, &o, u->scheme) < 0 || fz_raw(b, cap, &o, ":") < 0)
        return -1;
    if (u->authority) {
        /* the authority as given: "//" up to the path or query */
        const char *a = strstr(s, "//");
        size_t alen = strcspn(a + 2, "/?") + 2;
        if (o + alen >= cap)
            return -1;
        memcpy(b + o, a, alen);
        o += alen;
        b[o] = '\0';
    }
    if (u->path[0]) {
        char pre[96];
        if (abstract)
            snprintf(pre, sizeof pre, "@ipcx-fz-%d-", (int) getpid());
        else
            snprintf(pre, sizeof pre, "%s/", fz_dir);
        if (fz_enc(b, cap, &o, pre, strlen(pre), 1) < 0 ||
            fz_enc(b, cap, &o, name, n, 0) < 0)
            return -1;
    }
    if (q && fz_raw(b, cap, &o, q) < 0)
        return -1;
    return 0;
}

static void fz_close(ipcx_chan *ch)
{
    FZ_CHECK(ipcx_close(ch) == 0);
}

/* A receiver on the safe URL, a sender to it, one message, both closed. */
static void fz_exchange(const char *url, int extra)
{
    ipcx_chan *rx = NULL, *tx = NULL;
    int r = ipcx_open(&rx, url, IPCX_RECV | IPCX_CREATE | extra);

    FZ_CHECK(fz_open_err_ok(r));
    FZ_CHECK((r == 0) == (rx != NULL));
    if (r < 0) {
        FZ_CHECK(fz_dir_empty()); /* a failed open leaves nothing */
        return;
    }
    FZ_CHECK(ipcx_maxmsg(rx) >= 0 && ipcx_maxmsg(rx) <= 0x7fffffff);
    if (ipcx_maxmsg(rx) > (16 << 20)) {
        /* A record receiver allocates maxmsg bytes for its first receive
         * (up to 2 GiB): more than a fuzzer's memory limit. */
        fz_close(rx);
        FZ_CHECK(fz_dir_empty());
        return;
    }
    r = ipcx_open(&tx, url, IPCX_SEND | IPCX_NONBLOCK);
    FZ_CHECK(fz_open_err_ok(r));
    if (r == 0) {
        char msg[5] = "hello", buf[8];
        r = ipcx_send(tx, msg, sizeof msg, 1, 0);
        FZ_CHECK(r == 0 || r == -EMSGSIZE || r == -EAGAIN);
        if (r == 0) {
            long n = ipcx_recv(rx, buf, sizeof buf, NULL, 2000);
            FZ_CHECK(n == (long) sizeof msg && memcmp(buf, msg, sizeof msg) == 0);
        }
        fz_close(tx);
    }
    fz_close(rx);
    FZ_CHECK(fz_dir_empty()); /* the receiver removed what it created */
}

static void fz_open(const struct ipcx_url *u, const char *s)
{
    static char safe[IPCX_URL_MAX + 256];
    ipcx_chan *ch = NULL, *ends[2] = { NULL, NULL };
    int r;

    if (strcmp(u->scheme, "pipe") == 0) {
        if (ipcx__url_get(u, "fd"))
            return; /* would take over one of our descriptors */
        r = ipcx_open(&ch, s, IPCX_SEND);
        FZ_CHECK(r == -EINVAL || r == -ENOTSUP); /* anonymous: no name to open */
        r = ipcx_pair(s, ends);
        FZ_CHECK(fz_open_err_ok(r) || r == -EMFILE);
        if (r == 0) {
            char buf[8];
            FZ_CHECK(ipcx_recv(ends[0], buf, sizeof buf, NULL, 0) == -EAGAIN);
            fz_close(ends[1]);
            FZ_CHECK(ipcx_recv(ends[0], buf, sizeof buf, NULL, 0) == -EPIPE);
            fz_close(ends[0]);
        }
        return;
    }
    if (strcmp(u->scheme, "tcp") == 0) {
        int early = !u->authority || strcmp(u->host, "*") == 0;
        if (!early)
            return; /* would resolve a name or connect somewhere */
        r = ipcx_open(&ch, s, IPCX_SEND);
        FZ_CHECK(r == -EINVAL);
        return;
    }
    if (strcmp(u->scheme, "fifo") != 0 && strcmp(u->scheme, "unix") != 0) {
        if (ipcx__transport_find(u->scheme))
            return; /* a transport added later: map its names before opening it */
        r = ipcx_open(&ch, s, IPCX_SEND);
        FZ_CHECK(r == -EPROTONOSUPPORT);
        FZ_CHECK(ch == NULL);
        return;
    }
    if (fz_safe_url(u, s, safe, sizeof safe) < 0)
        return;
    r = ipcx_open(&ch, safe, IPCX_SEND);
    FZ_CHECK(fz_open_err_ok(r));
    FZ_CHECK(r != 0); /* nobody receives there yet */
    FZ_CHECK(fz_dir_empty());
    fz_exchange(safe, 0);
    r = ipcx_unlink(safe);
    FZ_CHECK(r == -ENOENT || r == -EINVAL || r == -ENOTSUP || r == -ENAMETOOLONG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char s[IPCX_URL_MAX + 64];
    static struct ipcx_url u;
    static const char *const keys[] = { "maxmsg", "mode", "type", "fd", "s", "" };

    fz_init();
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    ipcx__clear_detail();
    int r = ipcx__url_parse(s, &u);
    if (r != 0) {
        ipcx_chan *ch = NULL;
        FZ_CHECK(r == -EINVAL);
        FZ_CHECK(ipcx_errdetail()[0] != '\0');
        /* a URL that does not parse is refused before anything is made */
        FZ_CHECK(ipcx_open(&ch, s, IPCX_SEND) == -EINVAL && ch == NULL);
        FZ_CHECK(ipcx_open(&ch, s, IPCX_RECV | IPCX_CREATE) == -EINVAL && ch == NULL);
        return 0;
    }
    check_parsed(&u);
    check_roundtrip(&u);
    for (size_t k = 0; k <= u.nkeys; k++) {
        const char *key = k < u.nkeys ? u.q[k].key : keys[size % 6];
        check_size(&u, key, 0, SIZE_MAX);
        check_size(&u, key, 1, 0x7fffffff);
        check_size(&u, key, 4096, 65536);
        check_mode(&u, key);
        check_word(&u, key, "stream seqpacket dgram");
        check_word(&u, key, "a  b");
    }
    check_keys(&u);
    fz_open(&u, s);
    return 0;
}
