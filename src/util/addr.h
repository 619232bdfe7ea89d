/*
 * addr.h - the two address forms of named kernel objects, parsed in one
 * place for every scheme that uses them:
 *
 *   POSIX      "/name": mq:, shm:, sem:, posixsem:
 *   System V   "KEY" (decimal or 0x hex, 1..0xffffffff), "/path?proj=N"
 *              (ftok(3), N 1..255), "?id=N" (an existing object by id):
 *              sysvmq:, sysvshm:, sysvsem:
 *
 * Each scheme says only what differs: the longest POSIX name, the default
 * proj= (or none), and by listing "id" among its keys whether ?id= applies.
 */
#ifndef IPCX_ADDR_H
#define IPCX_ADDR_H

#include "url.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * u's path as a POSIX object name: no //host, "/" and 1..max bytes without
 * another '/', not "/." or "/..".  -EINVAL, or -ENAMETOOLONG beyond max.
 */
int ipcx__addr_posix(const struct ipcx_url *u, size_t max);

/* A System V object: by key, or (?id=) by id. */
#define IPCX_SYSV_NAME 48
struct ipcx__sysv_addr {
    key_t key;        /* IPC_PRIVATE when by id */
    int   id;         /* -1 unless ?id= */
    char  name[IPCX_SYSV_NAME]; /* "sysvmq:0x0000162e" or "sysvmq:?id=5", for messages */
};

/*
 * u as a System V address.  proj_default is the proj= of "/path" when the
 * URL gives none, 0 to make proj= required.  ?id=N is read only when the
 * scheme accepts the key "id" (chan.c or semapi.c checked the key list).
 * -EINVAL with a detail; ftok's error (e.g. -ENOENT) for a missing path.
 */
int ipcx__addr_sysv(const struct ipcx_url *u, int proj_default, struct ipcx__sysv_addr *a);

/* The proj_default of sysvmq: and sysvshm: (ftok's proj of "/path" alone),
 * and of sysvsem:, which wants proj= given. */
#define IPCX_SYSV_PROJ_DEFAULT  1
#define IPCX_SYSV_PROJ_REQUIRED 0

#endif
