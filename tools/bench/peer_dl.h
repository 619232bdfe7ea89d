/*
 * peer_dl.h - how the peer rows of `ipcx bench` open their libraries at
 * run time: dlopen() by soname, each symbol resolved into a table whose
 * members have the type of the header's declaration (__typeof__), so a
 * prototype is written once, in the library's own header.  A library or
 * symbol that is missing adds the loader's reason to why (entries joined
 * by "; ").  Used by cand_peer.c (ZeroMQ, nng) and cand_iox.c (iceoryx).
 */
#ifndef IPCX_BENCH_PEER_DL_H
#define IPCX_BENCH_PEER_DL_H

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Add "what went wrong" to why. */
static inline void peer_note(char *why, size_t cap, const char *what)
{
    size_t o = strlen(why);
    snprintf(why + o, cap - o, "%s%s", o ? "; " : "", what);
}

/* The library's handle, or NULL with the loader's reason in why. */
static inline void *peer_open(const char *soname, char *why, size_t cap)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        peer_note(why, cap, dlerror());
    return h;
}

/* A symbol of the library, or NULL with the loader's reason in why. */
static inline void *peer_sym(void *h, const char *name, char *why, size_t cap)
{
    void *f = dlsym(h, name);
    if (!f)
        peer_note(why, cap, dlerror());
    return f;
}

/* A member of a library's table: a pointer of the type the header declares f with. */
#define PEER_FN(f) __typeof__(f) *f;

/* In a loader, with lib (the table), h, why and cap in scope: resolve f or fail. */
#define PEER_SYM(f) \
    if (!(lib->f = (__typeof__(f) *) peer_sym(h, #f, why, cap))) \
        return -ENOENT;

#endif
