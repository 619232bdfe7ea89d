/*
 * reg.h - the user registry: which live processes use which named IPC
 * objects through ipcx, and which of them created the object.  `ipcx ls`
 * shows it and `ipcx gc` removes an object whose creator and users all died
 * (see docs/mq.md, "The user registry").
 *
 * One small text file per (process, open channel) in a directory, by
 * default /dev/shm/.ipcx-registry (tmpfs: it goes away at reboot together
 * with the queues and segments it describes); $IPCX_REGISTRY names another
 * directory, "off" turns it off.  ipcx_open writes the file (to a temporary
 * name, then rename, so a reader never sees half of one) and ipcx_close
 * removes it; a process that dies leaves its file, and its pid plus start
 * time tell gc it is dead even if the pid was reused.  Registering is best
 * effort: it never makes an open fail.
 */
#ifndef IPCX_REG_H
#define IPCX_REG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPCX_REG_DEFAULT_DIR "/dev/shm/.ipcx-registry"
#define IPCX_REG_OBJ_MAX     4200

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
 * a stale FIFO or socket file.  The dead creator's entries are removed.
 * 1 yes, 0 no or unknown (registry off).
 */
int ipcx__reg_adopt(const char *obj);

/* The registry directory into buf; 0, or -ENOENT when the registry is off. */
int ipcx__reg_dir(char *buf, size_t cap);

/*
 * The object a channel URL names, as the registry and `ipcx ls` spell it:
 * scheme:path without the query (sysvmq:?id=N keeps it), a relative
 * filesystem path made absolute.  0 or -EINVAL / -ENAMETOOLONG.
 */
int ipcx__reg_object(const char *url, char *out, size_t cap);

/* One entry as read back. */
struct ipcx__reg_rec {
    char    obj[IPCX_REG_OBJ_MAX];
    char    url[IPCX_REG_OBJ_MAX];
    pid_t   pid;
    int64_t start;    /* the process's start time, ticks since boot */
    int     recv;     /* 1 receiving end, 0 sending end */
    int     created;  /* 1 if that process created the object */
    uid_t   uid;      /* owner of the entry file: whom to believe it for */
};

/* Read the entry file path.  0, -ENOENT (gone meanwhile) or -EBADMSG (not an entry). */
int ipcx__reg_read(const char *path, struct ipcx__reg_rec *rec);

#endif
