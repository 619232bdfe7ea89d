/*
 * tmpl.h - expand a URL template, the one way every program of ipcx does:
 * %p the pid, %n a name, %k a System V key (each as the caller gives it);
 * any other character, and a % before anything else, stands as it is.
 * Shared by the tests, tools/bench and the demos (URLs such as
 * "shm:/ipcx-t-%p-%n" or "sysvmq:%k"); it lives in common/, outside all
 * of them, and is header-only so that none links a file of another.
 */
#ifndef IPCX_TMPL_H
#define IPCX_TMPL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Write tmpl into out (cap bytes, always terminated) with %p replaced by
 * pid and %n by name, %k by key (name and key may be NULL where the
 * template has no %n or %k: they expand to "").  Returns 0, or
 * -ENAMETOOLONG when the result did not fit (out holds what did).
 */
static inline int ipcx_tmpl_expand(char *out, size_t cap, const char *tmpl, int pid,
                                   const char *name, const char *key)
{
    char pidbuf[24];
    size_t o = 0;

    if (cap == 0)
        return -ENAMETOOLONG;
    snprintf(pidbuf, sizeof pidbuf, "%d", pid);
    for (const char *t = tmpl; *t; t++) {
        const char *ins = NULL;
        if (t[0] == '%' && t[1] == 'p')
            ins = pidbuf;
        else if (t[0] == '%' && t[1] == 'n')
            ins = name ? name : "";
        else if (t[0] == '%' && t[1] == 'k')
            ins = key ? key : "";
        size_t n = ins ? strlen(ins) : 1;
        if (o + n >= cap) {
            out[o] = '\0';
            return -ENAMETOOLONG;
        }
        memcpy(out + o, ins ? ins : t, n);
        o += n;
        t += ins != NULL;
    }
    out[o] = '\0';
    return 0;
}

#endif
