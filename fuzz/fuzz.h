/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point (also
 * called by replay_main.c in builds without libFuzzer) and FZ_CHECK, the
 * assertion that fails an input loudly, with the library's error detail.
 */
#ifndef IPCX_FUZZ_H
#define IPCX_FUZZ_H

#include "ipcx.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c)                                                          \
    do {                                                                     \
        if (!(c)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s [%s]\n", __FILE__,     \
                    __LINE__, #c, ipcx_errdetail());                         \
            abort();                                                         \
        }                                                                    \
    } while (0)

#endif
