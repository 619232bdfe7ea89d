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

struct ipcx_chan;
struct ipcx__reg;

/* Register the channel's object (transports with IPCX_CAP_NAMED); NULL if not registered. */
struct ipcx__reg *ipcx__reg_chan(const struct ipcx_chan *ch);

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

/* The registry's base directory into buf; 0, or -ENOENT when the registry is off. */
int ipcx__reg_base(char *buf, size_t cap);

/* The registry directory of uid into buf (for messages); 0, -ENOENT (off) or -ENAMETOOLONG. */
int ipcx__reg_dir(uid_t uid, char *buf, size_t cap);

/*
 * The object a channel URL names, as the registry and `ipcx ls` spell it:
 * scheme:path without the query (sysvmq:?id=N keeps it), a relative
 * filesystem path made absolute.  0 or -EINVAL / -ENAMETOOLONG.
 */
int ipcx__reg_object(const char *url, char *out, size_t cap);

/* One entry as read back.  Every field came from a file: untrusted. */
struct ipcx__reg_rec {
    char     obj[IPCX_REG_OBJ_MAX];
    char     url[IPCX_REG_OBJ_MAX];
    pid_t    pid;
    uint64_t start;      /* the process's start time, ticks since boot (0: unknown) */
    int      recv;       /* 1 receiving end, 0 sending end */
    int      created;    /* 1 if that process created the object */
    int      consistent; /* obj is the object url names (ipcx__reg_object(url) == obj) */
    uid_t    uid;        /* the registry's user, who owns the entry */
    char     name[NAME_MAX + 1]; /* the entry's file name in that registry */
};

/*
 * Walk registries for ipcx ls/gc: every user's that is readable (all != 0,
 * for root) or the caller's own.  entry is called for each valid entry;
 * warn (may be NULL) with a one-line text for each refused registry
 * directory and each skipped entry (the text holds names from outside:
 * escape it before printing).  0, -ENOENT when the registry is off, or
 * -errno when the base directory cannot be read.
 */
int ipcx__reg_walk(int all, void (*entry)(void *arg, const struct ipcx__reg_rec *rec),
                   void (*warn)(void *arg, const char *msg), void *arg);

/* Remove the entry rec names, re-checking its registry directory first.  0 or -errno. */
int ipcx__reg_remove(const struct ipcx__reg_rec *rec);

#endif
