/*
 * codec.h - how the stream engine cuts messages out of a byte stream, the
 * framing= key of pipe:, fifo:, unix: (stream) and tcp:
 *
 *   ipcx   (default) ipcx frames, frame.h: any bytes, priorities, many
 *          writers on one pipe, every message whole or reported;
 *   lines  one message per line, the newline not part of it: what echo,
 *          a here-doc, nc and socat write.  A line longer than maxmsg is a
 *          bad message (-EBADMSG, dropped); a last line without a newline
 *          at end of file is delivered as it is.  Sending a message that
 *          holds a newline is -EINVAL;
 *   none   each read is a message (at most maxmsg bytes): no boundaries
 *          promised, for raw byte interop.
 *
 * The decoders here read bytes a peer sent and check every length against
 * the limit before it is used; they make no system calls.  Which bytes are
 * buffered and what a bad message costs the peer is stream_src.c's.
 */
#ifndef IPCX_CODEC_H
#define IPCX_CODEC_H

#include <stddef.h>
#include <stdint.h>

enum ipcx__framing {
    IPCX_FRAMING_IPCX,
    IPCX_FRAMING_LINES,
    IPCX_FRAMING_NONE,
};
#define IPCX_FRAMING_WORDS "ipcx lines none" /* in the order of the enum */

/* The word of f in IPCX_FRAMING_WORDS ("lines"), for addresses. */
const char *ipcx__framing_name(enum ipcx__framing f);

/*
 * The next line in the n bytes at p.  1: the line is p[0, *len) and takes
 * *used bytes with its newline; 0: more bytes are needed; -EMSGSIZE: no
 * newline within the first maxmsg + 1 bytes (the line is too long).  With
 * eof set, bytes without a newline are a last line (1, *used == *len).
 * *len and *used are written only when 1 is returned.
 */
int ipcx__line_find(const uint8_t *p, size_t n, size_t maxmsg, int eof,
                    size_t *len, size_t *used);

/*
 * How much of the n bytes at p to drop after a line that was too long: up
 * to and with the first newline (returns 1 with *skip set: the bad line is
 * over), or all n (returns 0 with *skip = n: it goes on).
 */
int ipcx__line_skip(const uint8_t *p, size_t n, size_t *skip);

#endif
