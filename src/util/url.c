/*
 * url.c - the URL parser: split a channel URL into scheme, authority, path
 * and query, percent-decode, and give typed, range-checked values.  It reads
 * untrusted text (command lines, configuration), so every length is checked
 * and every error is -EINVAL with a detail; it never allocates.
 */
#include "url.h"
#include "err.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

static int url_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copy [s, s+n) into dst (cap bytes with the NUL), decoding %XX. */
static int url_decode(char *dst, size_t cap, const char *s, size_t n,
                      const char *what)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char) s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return ipcx__fail(-EINVAL, "bad percent escape in the %s", what);
            int h = url_hex(s[i + 1]), l = url_hex(s[i + 2]);
            if (h < 0 || l < 0)
                return ipcx__fail(-EINVAL, "bad percent escape in the %s", what);
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0)
            return ipcx__fail(-EINVAL, "NUL byte in the %s", what);
        if (o + 1 >= cap)
            return ipcx__fail(-EINVAL, "the %s is too long (at most %zu bytes)",
                              what, cap - 1);
        dst[o++] = (char) c;
    }
    dst[o] = '\0';
    return 0;
}

static int url_authority(struct ipcx_url *u, const char *s, size_t n)
{
    const char *host = s, *colon;
    size_t hlen;

    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return ipcx__fail(-EINVAL, "IPv6 address without ']'");
        host = s + 1;
        hlen = (size_t) (close - host);
        colon = close + 1 < s + n ? close + 1 : NULL;
        if (colon && *colon != ':')
            return ipcx__fail(-EINVAL, "junk after ']' in the address");
    } else {
        colon = memchr(s, ':', n);
        hlen = colon ? (size_t) (colon - s) : n;
        if (colon && memchr(colon + 1, ':', n - hlen - 1))
            return ipcx__fail(-EINVAL, "IPv6 addresses go in brackets: tcp://[::1]:7000");
    }
    if (hlen == 0)
        return ipcx__fail(-EINVAL, "no host (use * for any address)");
    if (url_decode(u->host, sizeof u->host, host, hlen, "host") < 0)
        return -EINVAL;
    if (!colon)
        return ipcx__fail(-EINVAL, "no port: tcp://host:port");
    size_t plen = (size_t) (s + n - colon - 1);
    if (plen == 0 || plen >= sizeof u->port)
        return ipcx__fail(-EINVAL, "bad port");
    unsigned long port = 0;
    for (size_t i = 0; i < plen; i++) {
        char c = colon[1 + i];
        if (c < '0' || c > '9')
            return ipcx__fail(-EINVAL, "the port is not a number");
        port = port * 10 + (unsigned long) (c - '0');
        if (port > 65535)
            return ipcx__fail(-EINVAL, "the port is above 65535");
    }
    memcpy(u->port, colon + 1, plen);
    u->port[plen] = '\0';
    return 0;
}

static int url_query(struct ipcx_url *u, const char *s, size_t n)
{
    while (n > 0) {
        const char *amp = memchr(s, '&', n);
        size_t len = amp ? (size_t) (amp - s) : n;
        const char *eq = memchr(s, '=', len);
        if (len == 0)
            return ipcx__fail(-EINVAL, "empty query parameter");
        if (!eq || eq == s)
            return ipcx__fail(-EINVAL, "query parameter without key=value");
        if (u->nkeys == IPCX_URL_KEYS)
            return ipcx__fail(-EINVAL, "more than %d query parameters", IPCX_URL_KEYS);
        size_t k = u->nkeys;
        if (url_decode(u->q[k].key, sizeof u->q[k].key, s, (size_t) (eq - s), "query key") < 0 ||
            url_decode(u->q[k].val, sizeof u->q[k].val, eq + 1, (size_t) (s + len - eq - 1),
                       "query value") < 0)
            return -EINVAL;
        for (size_t j = 0; j < k; j++)
            if (strcmp(u->q[j].key, u->q[k].key) == 0)
                return ipcx__fail(-EINVAL, "query key '%s' given twice", u->q[k].key);
        u->nkeys++;
        if (!amp)
            break;
        s += len + 1;
        n -= len + 1;
        if (n == 0)
            return ipcx__fail(-EINVAL, "trailing '&' in the query");
    }
    return 0;
}

/*
 * ipc:// is how ZeroMQ and nng name a Unix socket.  It is refused, not
 * taken for unix:, because their peers speak ZMTP or SP over it, not ipcx
 * frames: the user learns the ipcx spelling instead of a silent mismatch.
 */
static int url_ipc(const char *rest, size_t body)
{
    if (body >= 2 && rest[0] == '/' && rest[1] == '/') {
        rest += 2;
        body -= 2;
    }
    return ipcx__fail(-EINVAL, "ipc:// is the ZeroMQ/nng spelling: did you mean unix:%.*s?",
                      (int) (body < 200 ? body : 200), rest);
}

int ipcx__url_parse(const char *s, struct ipcx_url *u)
{
    size_t n, i;
    const char *rest, *q;

    memset(u, 0, sizeof *u);
    if (!s)
        return ipcx__fail(-EINVAL, "no URL");
    n = strnlen(s, IPCX_URL_MAX + 1);
    if (n > IPCX_URL_MAX)
        return ipcx__fail(-EINVAL, "the URL is longer than %d bytes", IPCX_URL_MAX);
    for (i = 0; i < n && s[i] != ':'; i++) {
        char c = s[i];
        /* '+' joins a protocol to its carrier: sp+tcp, sp+unix (RFC 3986 allows it). */
        int ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '+'));
        if (!ok || i + 1 >= sizeof u->scheme)
            return ipcx__fail(-EINVAL, "no scheme: a URL starts like fifo:, unix:, tcp://");
    }
    if (i == 0 || i == n)
        return ipcx__fail(-EINVAL, "no scheme: a URL starts like fifo:, unix:, tcp://");
    memcpy(u->scheme, s, i);
    u->scheme[i] = '\0';
    rest = s + i + 1;
    n -= i + 1;

    q = memchr(rest, '?', n);
    size_t body = q ? (size_t) (q - rest) : n;
    if (q && url_query(u, q + 1, n - body - 1) < 0)
        return -EINVAL;
    if (q && n - body - 1 == 0)
        return ipcx__fail(-EINVAL, "empty query after '?'");

    if (strcmp(u->scheme, "ipc") == 0)
        return url_ipc(rest, body);
    if (body >= 3 && memcmp(rest, "///", 3) == 0) {
        /* An empty authority, as in file:///: unix:///tmp/x is unix:/tmp/x. */
        rest += 2;
        body -= 2;
    } else if (body >= 2 && rest[0] == '/' && rest[1] == '/') {
        const char *a = rest + 2;
        size_t alen = body - 2;
        const char *slash = memchr(a, '/', alen);
        size_t auth = slash ? (size_t) (slash - a) : alen;
        u->authority = 1;
        if (url_authority(u, a, auth) < 0)
            return -EINVAL;
        if (slash)
            return url_decode(u->path, sizeof u->path, slash, alen - auth, "path");
        return 0;
    }
    return url_decode(u->path, sizeof u->path, rest, body, "path");
}

/* The index of word in a space-separated list of words, or -1. */
static int url_word_index(const char *words, const char *word)
{
    size_t len = strlen(word);
    int idx = 0;
    for (const char *p = words; *p; idx++) {
        const char *sp = strchr(p, ' ');
        size_t wl = sp ? (size_t) (sp - p) : strlen(p);
        if (wl == len && memcmp(p, word, len) == 0)
            return idx;
        if (!sp)
            break;
        p = sp + 1;
    }
    return -1;
}

int ipcx__url_check_keys(const struct ipcx_url *u, const char *allowed)
{
    for (size_t k = 0; k < u->nkeys; k++) {
        const char *key = u->q[k].key;
        if (url_word_index(allowed, key) < 0)
            return ipcx__fail(-EINVAL, "unknown query key '%s' for %s: (known: %s)",
                              key, u->scheme, allowed);
    }
    return 0;
}

const char *ipcx__url_get(const struct ipcx_url *u, const char *key)
{
    for (size_t k = 0; k < u->nkeys; k++)
        if (strcmp(u->q[k].key, key) == 0)
            return u->q[k].val;
    return NULL;
}

int ipcx__url_size(const struct ipcx_url *u, const char *key, size_t def,
                   size_t min, size_t max, size_t *out)
{
    const char *v = ipcx__url_get(u, key);
    uint64_t x = 0, mul = 1;
    size_t i;

    if (!v) {
        *out = def;
        return 0;
    }
    for (i = 0; v[i] >= '0' && v[i] <= '9'; i++) {
        x = x * 10 + (uint64_t) (v[i] - '0');
        /* Bounded so that x times the largest suffix fits in 64 bits; the
         * limit must not be SIZE_MAX-based, which would be 3 on 32-bit. */
        if (x > UINT64_MAX / 1024 / 1024 / 1024)
            return ipcx__fail(-EINVAL, "%s=%s is too large", key, v);
    }
    if (i == 0)
        return ipcx__fail(-EINVAL, "%s=%s is not a number", key, v);
    switch (v[i]) {
    case '\0': break;
    case 'k': case 'K': mul = 1024; i++; break;
    case 'm': case 'M': mul = 1024 * 1024; i++; break;
    case 'g': case 'G': mul = 1024 * 1024 * 1024; i++; break;
    default: return ipcx__fail(-EINVAL, "%s=%s is not a number", key, v);
    }
    if (v[i] != '\0')
        return ipcx__fail(-EINVAL, "%s=%s is not a number", key, v);
    x *= mul;
    if (x < min || x > max)
        return ipcx__fail(-EINVAL, "%s=%s is out of range [%zu, %zu]", key, v, min, max);
    *out = (size_t) x;
    return 0;
}

int ipcx__url_mode(const struct ipcx_url *u, const char *key, mode_t def,
                   mode_t *out)
{
    const char *v = ipcx__url_get(u, key);
    unsigned m = 0;
    size_t i;

    if (!v) {
        *out = def;
        return 0;
    }
    for (i = 0; v[i]; i++) {
        if (v[i] < '0' || v[i] > '7' || i >= 4)
            return ipcx__fail(-EINVAL, "%s=%s is not octal permission bits (e.g. 0600)", key, v);
        m = m * 8 + (unsigned) (v[i] - '0');
    }
    if (i == 0 || m > 0777)
        return ipcx__fail(-EINVAL, "%s=%s is not octal permission bits (e.g. 0600)", key, v);
    *out = (mode_t) m;
    return 0;
}

int ipcx__url_word(const struct ipcx_url *u, const char *key,
                   const char *words, int def)
{
    const char *v = ipcx__url_get(u, key);
    int idx;

    if (!v)
        return def;
    if ((idx = url_word_index(words, v)) >= 0)
        return idx;
    return ipcx__fail(-EINVAL, "%s=%s: expected one of: %s", key, v, words);
}

int ipcx__url_parse_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
    const int neg = v[0] == '-';
    const char *p = v + neg;
    const int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    const uint64_t limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    uint64_t x = 0;
    size_t i;

    p += hex ? 2 : 0;
    for (i = 0; p[i]; i++) {
        int d = hex ? url_hex(p[i]) : (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : -1);
        if (d < 0 || x > (limit - (uint64_t) d) / (hex ? 16 : 10))
            return -EINVAL;
        x = x * (hex ? 16 : 10) + (uint64_t) d;
    }
    if (i == 0)
        return -EINVAL;
    /* -(x - 1) - 1 is -x without overflowing at INT64_MIN. */
    int64_t n = neg ? (x == 0 ? 0 : -(int64_t) (x - 1) - 1) : (int64_t) x;
    if (n < min || n > max)
        return -EINVAL;
    *out = n;
    return 0;
}

int ipcx__url_int(const struct ipcx_url *u, const char *key, int64_t def,
                  int64_t min, int64_t max, int64_t *out)
{
    const char *v = ipcx__url_get(u, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (ipcx__url_parse_int(v, min, max, out) < 0)
        return ipcx__fail(-EINVAL, "%s=%s is not a number in [%lld, %lld]", key, v,
                          (long long) min, (long long) max);
    return 0;
}

int ipcx__url_allow(const struct ipcx_url *u, const char *key, struct ipcx_allow *out)
{
    const char *v = ipcx__url_get(u, key), *p;
    struct ipcx_allow a = { 0 };

    if (v) {
        if (!*v)
            return ipcx__fail(-EINVAL, "%s= is empty: give uid:N or gid:N, comma-separated", key);
        for (p = v;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t) (comma - p) : strlen(p);
            int is_uid = len > 4 && memcmp(p, "uid:", 4) == 0;
            int is_gid = len > 4 && memcmp(p, "gid:", 4) == 0;
            char num[16] = "";
            int64_t id;
            if ((is_uid || is_gid) && len - 4 < sizeof num)
                memcpy(num, p + 4, len - 4);
            /* Decimal only; (uid_t) -1 means "no change" to chown and
             * setresuid: never an owner. */
            if (!num[0] || strspn(num, "0123456789") != strlen(num) ||
                ipcx__url_parse_int(num, 0, (int64_t) UINT32_MAX - 1, &id) < 0)
                return ipcx__fail(-EINVAL, "%s=%s: '%.*s' is not uid:N or gid:N (N decimal)",
                                  key, v, (int) len, p);
            if ((is_uid ? a.nuid : a.ngid) == IPCX_URL_ALLOW)
                return ipcx__fail(-EINVAL, "%s=%s: more than %d %ss", key, v, IPCX_URL_ALLOW,
                                  is_uid ? "uid" : "gid");
            if (is_uid)
                a.uid[a.nuid++] = (uid_t) id;
            else
                a.gid[a.ngid++] = (gid_t) id;
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    *out = a;
    return 0;
}
