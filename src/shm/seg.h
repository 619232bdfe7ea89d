/*
 * seg.h - shared memory segments: POSIX (shm_open), System V (shmget) and
 * anonymous (memfd, inherited over fork).  Only creation, attachment,
 * detachment and removal live here; what is inside is the ring's business.
 */
#ifndef IPCX_SEG_H
#define IPCX_SEG_H

#include <stddef.h>
#include <sys/types.h>

struct ipcx__sigbus_zone;
struct ipcx_allow;

enum ipcx__seg_kind { IPCX_SEG_POSIX, IPCX_SEG_SYSV, IPCX_SEG_ANON };

struct ipcx__seg {
    enum ipcx__seg_kind kind;
    void   *base;       /* the mapping, or NULL */
    size_t  size;       /* its length */
    int     fd;         /* POSIX and memfd: the descriptor, else -1 */
    int     shmid;      /* System V: the id, else -1 */
    key_t   key;        /* System V key */
    dev_t   dev;        /* POSIX: the object we created or attached, so */
    ino_t   ino;        /* removal never takes a newer one of the same name */
    char    name[256];  /* POSIX: "/name" */
    /*
     * The mapping as a SIGBUS zone (src/sys/sigbus.h): a segment that can
     * shrink under us (POSIX, System V, a memfd we could not seal), else NULL.
     */
    struct ipcx__sigbus_zone *zone;
    /* Set before attach to refuse a segment another user made (owner.h):
     * allowed owners, and the most permission bits it may have.  NULL: no check. */
    const struct ipcx_allow *allow;
    mode_t  want_mode;
};

/* An empty segment that detach accepts. */
void ipcx__seg_init(struct ipcx__seg *s, enum ipcx__seg_kind kind);

/*
 * Make a segment with mode, size bytes, zeroed, mapped.  POSIX: under no
 * name yet (ipcx__seg_publish names it); System V: exclusively under its
 * key (-EEXIST if it exists).  A failure leaves nothing behind.
 */
int ipcx__seg_create(struct ipcx__seg *s, size_t size, mode_t mode);

/*
 * Give a POSIX segment from ipcx__seg_create its name, once what is in it
 * is complete (linkat: atomic, never replaces a name).  -EEXIST if the name
 * is taken; on any failure the segment is detached and gone, and s can
 * attach the existing one.  System V and anonymous segments: 0.
 */
int ipcx__seg_publish(struct ipcx__seg *s);

/*
 * Attach an existing segment and map all of it; s->size says how big it is.
 * -ENOENT if there is none, -EPROTO if its size is outside [min_size,
 * max_size], -EACCES if s->allow is set and the segment's owner or mode is
 * refused.  Nothing stays open after a failure.
 */
int ipcx__seg_attach(struct ipcx__seg *s, size_t min_size, size_t max_size);

/* A second, independent mapping of the anonymous segment src. */
int ipcx__seg_dup(struct ipcx__seg *dst, const struct ipcx__seg *src);

/* Unmap and close; the segment stays.  Accepts a half-built segment. */
void ipcx__seg_detach(struct ipcx__seg *s);

/* Remove the segment's name (POSIX) or mark it for removal (System V), if it is still ours. */
int ipcx__seg_remove_own(struct ipcx__seg *s);

/* Remove by name or key, whoever made it (ipcx_unlink). */
int ipcx__seg_remove(enum ipcx__seg_kind kind, const char *name, key_t key);

#endif
