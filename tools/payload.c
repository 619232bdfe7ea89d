/*
 * payload.c - the message formats of `ipcx recv --format` and the reading
 * of a whole file or stream as one message for `ipcx send` (payload.h).
 * Escaping and JSON strings are esc.c's; this file only chooses between
 * them and adds hex and base64.
 */
#include "payload.h"
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const fmt_name[] = { "line", "quoted", "hex", "raw", "json" };

int payload_fmt_parse(const char *s)
{
    for (size_t i = 0; i < sizeof fmt_name / sizeof fmt_name[0]; i++)
        if (strcmp(s, fmt_name[i]) == 0)
            return (int) i;
    return -1;
}

static void out_hex(FILE *f, const unsigned char *u, size_t len)
{
    static const char digit[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        fputc(digit[u[i] >> 4], f);
        fputc(digit[u[i] & 15], f);
    }
}

static void out_base64(FILE *f, const unsigned char *u, size_t len)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
        unsigned long v = (unsigned long) u[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (unsigned long) u[i + 1] << 8;
        if (n > 2)
            v |= u[i + 2];
        fputc(b64[v >> 18 & 63], f);
        fputc(b64[v >> 12 & 63], f);
        fputc(n > 1 ? b64[v >> 6 & 63] : '=', f);
        fputc(n > 2 ? b64[v & 63] : '=', f);
    }
}

int payload_print(FILE *f, int fmt, const char *msg, size_t len, unsigned prio, int print_prio)
{
    if (print_prio && fmt != FMT_JSON)
        fprintf(f, "%u ", prio);
    switch (fmt) {
    case FMT_LINE:
        /* A sender chose these bytes: escaped to a terminal (esc.c), as they are otherwise. */
        out_text(f, msg, len);
        fputc('\n', f);
        break;
    case FMT_QUOTED:
        out_quoted(f, msg, len);
        fputc('\n', f);
        break;
    case FMT_HEX:
        out_hex(f, (const unsigned char *) msg, len);
        fputc('\n', f);
        break;
    case FMT_RAW:
        (void) fwrite(msg, 1, len, f);
        break;
    case FMT_JSON:
        fprintf(f, "{\"len\":%zu,\"prio\":%u,", len, prio);
        if (json_exact(msg, len)) {
            fputs("\"text\":", f);
            out_json_text(f, msg, len);
        } else {
            fputs("\"base64\":\"", f);
            out_base64(f, (const unsigned char *) msg, len);
            fputc('"', f);
        }
        fputs("}\n", f);
        break;
    }
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

int payload_slurp(FILE *f, size_t max, char **buf, size_t *len)
{
    size_t n = 0, cap = 0;
    char *b = NULL;
    for (;;) {
        if (n == cap) {
            size_t want = cap ? cap * 2 : 65536;
            char *nb = realloc(b, want);
            if (!nb) {
                free(b);
                return -ENOMEM;
            }
            b = nb;
            cap = want;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n > max) {
            free(b);
            return -EMSGSIZE;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno ? -errno : -EIO;
        free(b);
        return e;
    }
    *buf = b;
    *len = n;
    return 0;
}
