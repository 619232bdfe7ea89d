/*
 * payload.h - how `ipcx recv` prints a message (--format) and how `ipcx
 * send` reads the messages it sends (arguments, --data, --file,
 * --stdin-raw, -0, lines): the byte formats of the command in one place.
 */
#ifndef IPCX_PAYLOAD_H
#define IPCX_PAYLOAD_H

#include <stddef.h>
#include <stdio.h>

enum payload_fmt {
    FMT_LINE,   /* the bytes and a newline (escaped on a terminal) */
    FMT_QUOTED, /* always escaped, one line: printf '%b' gives the bytes back */
    FMT_HEX,    /* two lowercase hex digits a byte, one line */
    FMT_RAW,    /* the bytes, nothing added */
    FMT_JSON,   /* {"len":N,"prio":P,"text":"..."} or "base64":"..." , one line */
};

/* The format named s ("line", "quoted", "hex", "raw", "json"), or -1. */
int payload_fmt_parse(const char *s);

/*
 * Print one message of len bytes in format fmt; with print_prio its
 * priority first ("PRIO " before the line; json always has it).  0, or -1
 * when f failed (errno says why).
 */
int payload_print(FILE *f, int fmt, const char *msg, size_t len, unsigned prio, int print_prio);

/* All of f into a new buffer *buf of *len bytes (free it), at most max bytes: 0, -EMSGSIZE, -errno. */
int payload_slurp(FILE *f, size_t max, char **buf, size_t *len);

#endif
