/*
 * bell.h - the names of the shared-memory rings' doorbell FIFOs (ipcx_fd)
 * and the sweep that removes the ones whose owner died.  One FIFO per
 * participant that asked for a descriptor:
 *
 *     /dev/shm/ipcx-bell-<segment id, 16 hex digits>-<participant index>-<pid>-<start time>
 *
 * pid and start time (field 22 of /proc/PID/stat, 0 if unknown) name the
 * process that made it, so `ipcx gc`, the last participant to leave and
 * whoever removes the segment can tell a dead owner's FIFO without looking
 * into the segment, and a reused pid is not taken for the dead one.  The
 * ring (ring_bells.c) makes, rings and removes the FIFOs; see docs/shm.md.
 */
#ifndef IPCX_BELL_H
#define IPCX_BELL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPCX_BELL_DIR    "/dev/shm"
#define IPCX_BELL_PREFIX "ipcx-bell-"

/* The path of a doorbell into buf: 0, or -ENAMETOOLONG. */
int ipcx__bell_path(char *buf, size_t cap, uint64_t id, unsigned idx, pid_t pid,
                    uint64_t start);

/* Take a file name (no directory) apart: 0, or -EINVAL if it is no doorbell name. */
int ipcx__bell_parse(const char *name, uint64_t *id, unsigned *idx, pid_t *pid,
                     uint64_t *start);

/*
 * Remove the doorbell FIFOs in /dev/shm whose owner process is gone: of
 * the segment *id, or of every segment (id NULL).  Only FIFOs (never a
 * symbolic link or another kind of file) of our own user, or of anyone when
 * we are root.  seen (may be NULL) is told about each: err 0 removed (or,
 * with dry, would be), else the -errno of the failed unlink.  Returns how
 * many were (or would be) removed, or a negative errno if /dev/shm cannot
 * be read.
 */
int ipcx__bell_sweep(const uint64_t *id, int dry,
                     void (*seen)(void *arg, const char *path, pid_t pid, int err),
                     void *arg);

#endif
