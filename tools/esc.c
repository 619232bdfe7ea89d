/*
 * esc.c - printing strings that come from outside the command (file and
 * object names, process names, socket names, registry text, message
 * payloads): the one place that decides how.  To a terminal, control bytes
 * are escaped as `ls -b` does (\n, \033, \\ ...), so another user's name
 * cannot move the cursor, retitle the window or hide a line; to a pipe or
 * file the bytes go out as they are, like ls.  In JSON every string is
 * escaped (and stays valid JSON whatever the bytes were).
 */
#include "cmd.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

int esc_tty(FILE *f)
{
    static int cached[3] = { -1, -1, -1 };
    int fd = fileno(f);
    if (fd < 0)
        return 0;
    if (fd < 3) {
        if (cached[fd] < 0)
            cached[fd] = isatty(fd) == 1;
        return cached[fd];
    }
    return isatty(fd) == 1;
}

/*
 * The length of the UTF-8 sequence at s (at most n bytes) if it is a
 * well-formed one for a printable code point (not C1 U+0080..U+009F, no
 * overlong forms, surrogates or values past U+10FFFF); 0 if not.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    uint32_t cp;
    if (!len || len > n || s[0] > 0xf4)
        return 0;
    cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
        return 0;
    return len;
}

/*
 * Append one byte's escape of c (or c itself) to out; the length used.
 * `ls -b` writes other bytes as \ooo; printf's %b reads octal as \0ooo
 * (so \0011 is a tab there), which is what zero asks for.
 */
static size_t esc_byte_as(unsigned char c, char out[6], int zero)
{
    static const char named[] = "\a\b\t\n\v\f\r";
    static const char letter[] = "abtnvfr";
    const char *p = c ? strchr(named, c) : NULL;
    if (c == '\\')
        return (size_t) snprintf(out, 5, "\\\\");
    if (p)
        return (size_t) snprintf(out, 5, "\\%c", letter[p - named]);
    if (c < 0x20 || c >= 0x7f)
        return (size_t) snprintf(out, 6, zero ? "\\0%03o" : "\\%03o", c);
    out[0] = (char) c;
    out[1] = '\0';
    return 1;
}

static size_t esc_byte(unsigned char c, char out[6])
{
    return esc_byte_as(c, out, 0);
}

size_t esc_text(const char *s, size_t len, char *buf, size_t cap)
{
    const unsigned char *u = (const unsigned char *) s;
    size_t o = 0;
    if (!cap)
        return 0;
    for (size_t i = 0; i < len;) {
        char e[6];
        size_t n = u[i] >= 0x80 ? utf8_len(u + i, len - i) : 0, el;
        const char *from = e;
        if (n) {
            from = s + i;
            el = n;
        } else {
            el = esc_byte(u[i], e);
            n = 1;
        }
        if (o + el >= cap)
            break; /* no half escapes: cut before it */
        memcpy(buf + o, from, el);
        o += el;
        i += n;
    }
    buf[o] = '\0';
    return o;
}

static void out_escaped(FILE *f, const char *s, size_t len);

void out_text(FILE *f, const char *s, size_t len)
{
    if (!esc_tty(f)) {
        (void) fwrite(s, 1, len, f);
        return;
    }
    out_escaped(f, s, len);
}

static void out_escaped(FILE *f, const char *s, size_t len)
{
    char buf[256];
    const unsigned char *u = (const unsigned char *) s;
    for (size_t i = 0; i < len;) {
        /* A chunk at a time; never split a UTF-8 sequence between chunks. */
        size_t n = 0, o = 0;
        while (i + n < len && o + 16 < sizeof buf) {
            size_t k = u[i + n] >= 0x80 ? utf8_len(u + i + n, len - i - n) : 0;
            k = k ? k : 1;
            o += esc_text(s + i + n, k, buf + o, sizeof buf - o);
            n += k;
        }
        (void) fwrite(buf, 1, o, f);
        i += n;
    }
}

void out_str(FILE *f, const char *s)
{
    out_text(f, s, strlen(s));
}

const char *esc_str(FILE *f, const char *s, char *buf, size_t cap)
{
    if (!esc_tty(f)) {
        snprintf(buf, cap, "%s", s);
        return buf;
    }
    esc_text(s, strlen(s), buf, cap);
    return buf;
}

void out_quoted(FILE *f, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *) s;
    for (size_t i = 0; i < len;) {
        size_t n = u[i] >= 0x80 ? utf8_len(u + i, len - i) : 0;
        char e[6];
        if (n) {
            (void) fwrite(s + i, 1, n, f); /* printable UTF-8 as it is */
            i += n;
            continue;
        }
        (void) fwrite(e, 1, esc_byte_as(u[i], e, 1), f);
        i++;
    }
}

int json_exact(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *) s;
    for (size_t i = 0; i < len;) {
        size_t n = u[i] >= 0x80 ? utf8_len(u + i, len - i) : 1;
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

void out_json(FILE *f, const char *s)
{
    out_json_text(f, s, strlen(s));
}

void out_json_text(FILE *f, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *) s;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        size_t n = c >= 0x80 ? utf8_len(u + i, len - i) : 0;
        if (n) {
            (void) fwrite(s + i, 1, n, f);
            i += n;
            continue;
        }
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(f, "\\u%04x", c); /* a byte that is no character: as U+00XX */
        else
            fputc(c, f);
        i++;
    }
    fputc('"', f);
}
