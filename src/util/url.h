/*
 * url.h - the parsed form of a channel URL and its typed getters.
 *
 *   scheme:path?key=value&key=value       fifo:/tmp/x, unix:@name, pipe:
 *   scheme://host:port/path?key=value     tcp://[::1]:7000, tcp://host:7000
 *
 * The parser only splits and percent-decodes; each transport says which
 * keys it accepts and checks their values before it creates anything.
 */
#ifndef IPCX_URL_H
#define IPCX_URL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPCX_URL_MAX      4096 /* a whole URL, bytes */
#define IPCX_URL_SCHEME   16
#define IPCX_URL_HOST     256
#define IPCX_URL_PORT     8
#define IPCX_URL_PATH     4096
#define IPCX_URL_KEYS     16
#define IPCX_URL_KEYLEN   32
#define IPCX_URL_VALLEN   256
#define IPCX_URL_ALLOW    16   /* ids in one allow= list, of each kind */

struct ipcx_url {
    char   scheme[IPCX_URL_SCHEME];
    int    authority;            /* "//host:port" was given */
    char   host[IPCX_URL_HOST];  /* without the brackets of an IPv6 address */
    char   port[IPCX_URL_PORT];
    char   path[IPCX_URL_PATH];  /* percent-decoded, may be "" */
    size_t nkeys;
    struct {
        char key[IPCX_URL_KEYLEN];
        char val[IPCX_URL_VALLEN];
    } q[IPCX_URL_KEYS];
};

/* Split a URL.  -EINVAL (with a detail) for anything malformed or too long. */
int ipcx__url_parse(const char *s, struct ipcx_url *u);

/* -EINVAL unless every query key is in the space-separated list allowed. */
int ipcx__url_check_keys(const struct ipcx_url *u, const char *allowed);

/* The value of key, or NULL when absent. */
const char *ipcx__url_get(const struct ipcx_url *u, const char *key);

/*
 * key as a size in bytes (decimal, optional k/K, m/M or g/G suffix for
 * KiB, MiB, GiB) within [min, max]; def when absent.  -EINVAL otherwise.
 */
int ipcx__url_size(const struct ipcx_url *u, const char *key, size_t def,
                   size_t min, size_t max, size_t *out);

/* key as octal permission bits 0..0777; def when absent. */
int ipcx__url_mode(const struct ipcx_url *u, const char *key, mode_t def,
                   mode_t *out);

/*
 * v as an integer in [min, max]: an optional '-', then decimal digits or
 * 0x and hex digits; nothing else (no spaces, no '+', no octal).  0 or
 * -EINVAL, without a detail (the caller names what v was).
 */
int ipcx__url_parse_int(const char *v, int64_t min, int64_t max, int64_t *out);

/* key as such an integer within [min, max]; def when absent.  -EINVAL with a detail. */
int ipcx__url_int(const struct ipcx_url *u, const char *key, int64_t def,
                  int64_t min, int64_t max, int64_t *out);

/*
 * The owners an allow= key names besides the caller and root (owner.h):
 * a comma-separated list of uid:N and gid:N (decimal), e.g.
 * allow=uid:1000,gid:100.  Empty when the key is absent.
 */
struct ipcx_allow {
    unsigned nuid, ngid;
    uid_t    uid[IPCX_URL_ALLOW];
    gid_t    gid[IPCX_URL_ALLOW];
};
int ipcx__url_allow(const struct ipcx_url *u, const char *key, struct ipcx_allow *out);

/* key as one of the space-separated words; returns its index, def when absent. */
int ipcx__url_word(const struct ipcx_url *u, const char *key,
                   const char *words, int def);

#endif
