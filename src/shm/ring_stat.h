/*
 * ring_stat.h - a look at a ring from outside, for ipcx_ring_stat (admin.c)
 * and `ipcx stat`: the layout, what is queued, the participants and the
 * doorbells, read without joining or changing anything.
 */
#ifndef IPCX_RING_STAT_H
#define IPCX_RING_STAT_H

#include <stddef.h>

struct ipcx_ring_info;
struct ipcx_url;

/*
 * The ring in the mapped segment at base (size bytes, a SIGBUS zone when
 * it can shrink).  0, -EPROTO / -EAGAIN as ipcx__ring_check, -EIO if the
 * segment shrank while it was read.  ring_stat.c
 */
int ipcx__ring_stat(void *base, size_t size, struct ipcx_ring_info *out);

/* The ring of a shm: (sysv 0) or sysvshm: (sysv 1) URL, mapped for the look.  shm.c */
int ipcx__shm_stat(const struct ipcx_url *u, int sysv, struct ipcx_ring_info *out);

#endif
