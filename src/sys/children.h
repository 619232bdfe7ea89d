/*
 * children.h - the children of the calling thread, from
 * /proc/self/task/TID/children (Linux 3.5+, CONFIG_PROC_CHILDREN).  The
 * ring's fork handlers use it to learn the pid of the child that fork(2)
 * just made, which pthread_atfork does not pass: the parent then hands
 * the participant entries it claimed for the child to the child's
 * identity at once, so a child killed before its own handler ran is a
 * dead participant like any other (docs/shm.md, fork).
 */
#ifndef IPCX_CHILDREN_H
#define IPCX_CHILDREN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The calling thread's children (zombies included, until reaped) into
 * out[0..cap): how many, -ENOSPC if there are more than cap, or -errno
 * (-ENOENT: the kernel has no such file).
 */
int ipcx__children(pid_t *out, size_t cap);

#endif
