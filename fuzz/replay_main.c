/*
 * replay_main.c - runs a libFuzzer target without libFuzzer: every file of
 * the corpus directories (or single files) given on the command line goes
 * through LLVMFuzzerTestOneInput once, in name order.  This is how the
 * corpora replay as plain tests in builds without clang's fuzzer (gcc,
 * ASan, TSan).  A bug shows as the target's abort or a sanitizer report;
 * an unreadable or empty corpus fails too, so a lost corpus is noticed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;

    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *b = realloc(buf, cap);
            if (!b) {
                fprintf(stderr, "replay: %s: out of memory\n", path);
                free(buf);
                fclose(f);
                return -1;
            }
            buf = b;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        return -1;
    }
    /* Exactly n bytes, as libFuzzer passes them: a copy ASan can bound. */
    uint8_t *data = malloc(n ? n : 1);
    if (!data) {
        free(buf);
        return -1;
    }
    memcpy(data, buf, n);
    free(buf);
    (void) LLVMFuzzerTestOneInput(data, n);
    free(data);
    return 0;
}

static int skip_name(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
    int files = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int a = 1; a < argc; a++) {
        struct stat st;
        if (stat(argv[a], &st) < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[a]) < 0)
                return 1;
            files++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[a], &names, skip_name, alphasort);
        if (n < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], names[i]->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                if (replay_file(path) < 0)
                    return 1;
                files++;
            }
            free(names[i]);
        }
        free(names);
    }
    if (files == 0) {
        fprintf(stderr, "replay: no inputs in the corpus\n");
        return 1;
    }
    printf("replayed %d inputs\n", files);
    return 0;
}
