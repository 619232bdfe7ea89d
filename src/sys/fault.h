/*
 * fault.h - the fault seam of the system-call floor.  Every wrapper in
 * src/sys/ that makes a system call which can fail names a fault point and
 * asks the seam before the call:
 *
 *     IPCX_FAULT_POINT(read);
 *     do
 *         r = IPCX_FAILS(read) ? -1 : read(fd, buf, len);
 *     while (r < 0 && errno == EINTR);
 *
 * Unarmed, IPCX_FAILS is one load of a global (acquire: a plain load on
 * x86) and false.  A test
 * that arms the seam (ipcx__fault_arm) makes the Nth call through the
 * chosen point (or through any point) fail as the kernel would: errno set,
 * the call not made.  The wrapper's own logic (the EINTR retry, the errno
 * mapping) then runs as for a real failure, so what a caller sees is what
 * it would see from the kernel.
 *
 * The sites register themselves at link time in the section "ipcx_fault"
 * (the linker provides __start_/__stop_ipcx_fault), so the seam knows every
 * point there is without a list to keep: ipcx__fault_sites() gives them, and
 * a test can report how many points exist and how many it exercised.
 * Nothing here is exported from libipcx.so; tests link the objects.
 * The idea is SQLite's aSyscall[] (os_unix.c), in a form that needs no table.
 */
#ifndef IPCX_SYS_FAULT_H
#define IPCX_SYS_FAULT_H

#include <stdatomic.h>
#include <stddef.h>

struct ipcx__fault_site {
    const char             *point;  /* the wrapped call, e.g. "read" */
    const char             *file;
    int                     line;
    _Atomic unsigned long   calls;  /* calls that passed while the seam was armed */
    _Atomic unsigned long   fired;  /* failures injected here */
};

/* Non-zero while a test has armed the seam. */
extern _Atomic int ipcx__fault_armed;

/* The slow half of IPCX_FAILS: count the call, maybe fail it (errno set, 1). */
int ipcx__fault_hit(struct ipcx__fault_site *site);

static inline int ipcx__fault_fires(struct ipcx__fault_site *site)
{
    /* acquire, paired with the arming's release: the arming is seen whole. */
    return atomic_load_explicit(&ipcx__fault_armed, memory_order_acquire) &&
           ipcx__fault_hit(site);
}

/*
 * Declare the site of point in this function.  The pointer in the section
 * is what the linker gathers; sanitizers leave globals in sections named
 * like C identifiers alone, so the array of pointers stays dense.
 */
#define IPCX_FAULT_POINT(point)                                                    \
    static struct ipcx__fault_site ipcx__fault_site_##point = { #point, __FILE__, __LINE__, 0, 0 }; \
    static struct ipcx__fault_site *const ipcx__fault_reg_##point                  \
        __attribute__((section("ipcx_fault"), used)) = &ipcx__fault_site_##point

/* True when this call must fail: errno is set, make no system call. */
#define IPCX_FAILS(point) ipcx__fault_fires(&ipcx__fault_site_##point)

/*
 * Arm the seam: the nth call (counted from 1) through a site whose point is
 * `point` (NULL: any site) fails with errno err.  nth 0 fails nothing and
 * only counts.  With persist, every later matching call fails too (a
 * descriptor table that stays full).  Counting starts afresh at each arm.
 */
void ipcx__fault_arm(const char *point, unsigned long nth, int err, int persist);
void ipcx__fault_disarm(void);

/* Calls through matching sites since the last arm. */
unsigned long ipcx__fault_calls(void);

/* The site that failed since the last arm, or NULL. */
const struct ipcx__fault_site *ipcx__fault_fired(void);

/* Every site in the program: *sites gets the array, the count is returned. */
size_t ipcx__fault_sites(struct ipcx__fault_site *const **sites);

#endif
