/*
 * fault.c - the fault seam (see fault.h): arming, counting and the list of
 * sites the linker gathered.  Tests call these; the library only calls
 * ipcx__fault_hit, and only while a test has armed the seam.
 */
#include "fault.h"

#include <errno.h>
#include <string.h>

_Atomic int ipcx__fault_armed;

/* The arming; written only while disarmed (tests arm and disarm between calls). */
static struct {
    const char                     *point; /* NULL: any site */
    unsigned long                   nth;
    int                             err;
    int                             persist;
    _Atomic unsigned long           calls;
    struct ipcx__fault_site *_Atomic fired;
} arm;

/* The linker's bounds of the section; weak, so a program without sites links. */
extern struct ipcx__fault_site *const __start_ipcx_fault[] __attribute__((weak));
extern struct ipcx__fault_site *const __stop_ipcx_fault[] __attribute__((weak));

int ipcx__fault_hit(struct ipcx__fault_site *site)
{
    if (arm.point && strcmp(arm.point, site->point) != 0)
        return 0;
    atomic_fetch_add(&site->calls, 1);
    unsigned long n = atomic_fetch_add(&arm.calls, 1) + 1;
    if (arm.nth == 0 || n < arm.nth || (n > arm.nth && !arm.persist))
        return 0;
    atomic_fetch_add(&site->fired, 1);
    struct ipcx__fault_site *none = NULL;
    (void) atomic_compare_exchange_strong(&arm.fired, &none, site);
    errno = arm.err;
    return 1;
}

void ipcx__fault_arm(const char *point, unsigned long nth, int err, int persist)
{
    atomic_store(&ipcx__fault_armed, 0);
    arm.point = point;
    arm.nth = nth;
    arm.err = err;
    arm.persist = persist;
    atomic_store(&arm.calls, 0);
    atomic_store(&arm.fired, NULL);
    atomic_store(&ipcx__fault_armed, 1);
}

void ipcx__fault_disarm(void)
{
    atomic_store(&ipcx__fault_armed, 0);
}

unsigned long ipcx__fault_calls(void)
{
    return atomic_load(&arm.calls);
}

const struct ipcx__fault_site *ipcx__fault_fired(void)
{
    return atomic_load(&arm.fired);
}

size_t ipcx__fault_sites(struct ipcx__fault_site *const **sites)
{
    if (!__start_ipcx_fault || !__stop_ipcx_fault) {
        *sites = NULL;
        return 0;
    }
    *sites = __start_ipcx_fault;
    return (size_t) (__stop_ipcx_fault - __start_ipcx_fault);
}
