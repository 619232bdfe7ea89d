/*
 * limits.c - ipcx ls --limits: the kernel's IPC limits, as ipcs -l shows
 * them, read from /proc/sys (System V queues, segments and semaphores,
 * POSIX queues) and getrlimit (the caller's RLIMIT_MSGQUEUE).  A value is
 * printed as the kernel wrote it (64-bit limits stay exact); one that
 * cannot be read is left out, and said so on stderr.
 */
#include "ipcx.h"
#include "cmd.h"
#include "obs.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* One limit: a file of /proc/sys (the field-th number in it), and what ipcs -l calls it. */
static const struct limit {
    const char *group, *name, *file;
    int field;
    const char *what;
} limits[] = {
    { "sysvmq", "msgmni", "/proc/sys/kernel/msgmni", 0, "max queues system wide" },
    { "sysvmq", "msgmax", "/proc/sys/kernel/msgmax", 0, "max size of message (bytes)" },
    { "sysvmq", "msgmnb", "/proc/sys/kernel/msgmnb", 0, "default max size of queue (bytes)" },
    { "mq", "queues_max", "/proc/sys/fs/mqueue/queues_max", 0, "max queues system wide" },
    { "mq", "msg_max", "/proc/sys/fs/mqueue/msg_max", 0, "max messages per queue" },
    { "mq", "msgsize_max", "/proc/sys/fs/mqueue/msgsize_max", 0, "max size of message (bytes)" },
    { "mq", "msg_default", "/proc/sys/fs/mqueue/msg_default", 0, "default messages per queue" },
    { "mq", "msgsize_default", "/proc/sys/fs/mqueue/msgsize_default", 0,
      "default size of message (bytes)" },
    { "sysvshm", "shmmni", "/proc/sys/kernel/shmmni", 0, "max number of segments" },
    { "sysvshm", "shmmax", "/proc/sys/kernel/shmmax", 0, "max seg size (bytes)" },
    { "sysvshm", "shmall", "/proc/sys/kernel/shmall", 0, "max total shared memory (pages)" },
    { "sysvsem", "semmsl", "/proc/sys/kernel/sem", 0, "max semaphores per array" },
    { "sysvsem", "semmns", "/proc/sys/kernel/sem", 1, "max semaphores system wide" },
    { "sysvsem", "semopm", "/proc/sys/kernel/sem", 2, "max ops per semop call" },
    { "sysvsem", "semmni", "/proc/sys/kernel/sem", 3, "max number of arrays" },
};

/* The field-th decimal number of file, as written, into out; 0 or -1. */
static int limit_read(const char *file, int field, char *out, size_t cap)
{
    char line[256];
    FILE *f = fopen(file, "re");
    if (!f)
        return -1;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got)
        return -1;
    char *p = line;
    for (int i = 0;; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = 0;
        while (isdigit((unsigned char) p[n]))
            n++;
        if (n == 0 || n >= cap)
            return -1;
        if (i == field) {
            memcpy(out, p, n);
            out[n] = '\0';
            return 0;
        }
        p += n;
    }
}

static void rlim_text(rlim_t v, char *out, size_t cap, int json)
{
    if (v == RLIM_INFINITY)
        snprintf(out, cap, json ? "\"unlimited\"" : "unlimited");
    else
        snprintf(out, cap, "%llu", (unsigned long long) v);
}

int limits_print(int json)
{
    char v[64];
    int rc = 0, ingroup = 0;

    fputs(json ? "{\"limits\": {" : "", stdout);
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        const struct limit *l = &limits[i];
        if (i == 0 || strcmp(limits[i - 1].group, l->group) != 0) {
            if (json)
                printf("%s\"%s\": {", i ? "}, " : "", l->group);
            else
                printf("%s------ %s limits --------\n", i ? "\n" : "", l->group);
            ingroup = 0;
        }
        if (limit_read(l->file, l->field, v, sizeof v) < 0) {
            fprintf(stderr, "ipcx ls: %s: cannot read it\n", l->file);
            rc = EXIT_RUNTIME;
            continue;
        }
        if (json)
            printf("%s\"%s\": %s", ingroup ? ", " : "", l->name, v);
        else
            printf("%-16s %-36s %s\n", l->name, l->what, v);
        ingroup = 1;
    }
    struct rlimit rl;
    char soft[32] = "null", hard[32] = "null";
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0) {
        rlim_text(rl.rlim_cur, soft, sizeof soft, json);
        rlim_text(rl.rlim_max, hard, sizeof hard, json);
    } else {
        fprintf(stderr, "ipcx ls: RLIMIT_MSGQUEUE: cannot read it\n");
        rc = EXIT_RUNTIME;
    }
    if (json)
        printf("}, \"rlimit_msgqueue\": {\"soft\": %s, \"hard\": %s}}}\n", soft, hard);
    else
        printf("\n------ your limits --------\n%-16s %-36s %s (hard %s)\n", "RLIMIT_MSGQUEUE",
               "bytes of POSIX queues of your uid", soft, hard);
    return rc;
}
