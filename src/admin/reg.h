/*
 * reg.h - the user registry: which live processes use which named IPC
 * objects through ipcx, and which of them created the object.  `ipcx ls`
 * shows it and `ipcx gc` removes an object whose creator and users all died
 * (see docs/mq.md, "The user registry").
 *
 * One registry per user: the directory BASE/.ipcx-registry-UID, where BASE
 * is /dev/shm (tmpfs: it goes away at reboot together with the queues and
 * segments it describes) or $IPCX_REGISTRY ("off" turns registering off).
 * It is made 0700 by its user and used only while it is a real directory
 * (never a symbolic link) owned by that uid with no group or other bits:
 * one that another user made first (a squatter) is refused.  In it, one
 * small text file per (process, open channel): ipcx_open writes it (to a
 * temporary name, then rename, so a reader never sees half of one) and
 * ipcx_close removes it; a process that dies leaves its file, and its pid
 * plus start time tell gc it is dead even if the pid was reused.
 * Registering is best effort: it never makes an open fail.
 *
 * Readers treat every entry as untrusted input: an entry is opened without
 * following links and without blocking, must be a regular file of the
 * registry's user of bounded size, and is parsed strictly (see reg.c).
 * Transports never call this module: chan.c registers a channel after a
 * successful open and answers a transport's adopt question
 * (ipcx__chan_adopt in transport/transport.h).
 */
#ifndef IPCX_REG_H
#define IPCX_REG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPCX_REG_BASE_DEFAULT "/dev/shm"
#define IPCX_REG_PREFIX       ".ipcx-registry-"
#define IPCX_REG_OBJ_MAX      4200
/* An entry file is at most this long: two values of IPCX_REG_OBJ_MAX and the rest. */
#define IPCX_REG_FILE_MAX     (2 * IPCX_REG_OBJ_MAX + 256)

struct ipcx__reg;

/*
 * Note this process as a user of the named object of url (the channel's
 * address), a receiving end if recv, its creator if created: chan.c calls
 * it after a successful open with what the transport reported.  The entry,
 * or NULL if none was written (registering is best effort).
 */
struct ipcx__reg *ipcx__reg_add(const char *url, int recv, int created);

/* Remove the entry, in the process that wrote it only (a forked child just forgets it). */
void ipcx__reg_del(struct ipcx__reg *r);

/*
 * Is obj (as ipcx__reg_object spells it) an object whose ipcx creator was a
 * receiver that died without closing, with no live receiver since?  Then a
 * new receiver may take it over (and remove it on close), as one takes over
 * a stale FIFO or socket file.  Only the caller's own registry counts.  The
 * dead creator's entries are removed.  1 yes, 0 no or unknown (registry off).
 */
int ipcx__reg_adopt(const char *obj);

/*
 * The object a channel URL names, as the registry and `ipcx ls` spell it
 * (see ipcx_reg_object in ipcx/admin.h, which readers use): 0 or -errno.
 */
int ipcx__reg_object(const char *url, char *out, size_t cap);

/*
 * Reading the registry back (walking every user's, removing an entry) is
 * public: ipcx_reg_open, ipcx_reg_next, ipcx_reg_close, ipcx_reg_remove and
 * ipcx_reg_base in ipcx/admin.h, the API `ipcx ls` and `ipcx gc` use.
 */

#endif
