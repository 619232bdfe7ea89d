/*
 * demo.c - `ipcx demo`: list the demos and start one.
 *
 * A demo is a program in the demo directory (demos/lib/demo.h): with
 * --summary it prints one line "SUMMARY<TAB>SEED", with --help its usage.
 * The directory is $IPCX_DEMO_DIR if set, else demos/bin beside the build
 * tree's tools/ (found from /proc/self/exe), else the installed
 * libexec/ipcx/demos.  There is no table here to keep in step: a demo is
 * listed because it is there.
 */
#include "cmd.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IPCX_DEMO_INSTALLED
#define IPCX_DEMO_INSTALLED "/usr/local/libexec/ipcx/demos"
#endif

static const char demo_help[] =
    "Usage: ipcx demo [NAME [ARG...]]\n"
    "With no NAME, list the demos: the course's systems as programs that run\n"
    "across real processes and check themselves.  With NAME, run that demo\n"
    "with ARGs ('ipcx demo NAME --help' for its options).  Each demo ends with\n"
    "a line 'verdict: ok ...' or 'verdict: FAILED ...' and exits 0 or 1.\n"
    "\n"
    "  -h, --help   show this help\n"
    "\n"
    "Environment: IPCX_DEMO_DIR, the directory of the demo programs\n"
    "(default: the build tree's demos/bin, else " IPCX_DEMO_INSTALLED ").\n"
    "\n"
    "Exit status: the demo's (0 ok, 1 failed, 2 bad usage); 2 for an unknown demo.\n";

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The demo directory into buf (PATH_MAX). */
static const char *demo_dir(char *buf)
{
    const char *env = getenv("IPCX_DEMO_DIR");
    if (env && *env)
        return env;
    ssize_t n = readlink("/proc/self/exe", buf, PATH_MAX - 32);
    if (n > 0) {
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash) {
            char real[PATH_MAX];
            strcpy(slash, "/../demos/bin"); /* build/tools/ipcx -> build/demos/bin */
            if (is_dir(buf) && realpath(buf, real))
                return strcpy(buf, real);
        }
    }
    return IPCX_DEMO_INSTALLED;
}

/* A demo name: a plain file name of letters, digits, '-' and '_'. */
static int demo_name_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
            !(*s >= '0' && *s <= '9') && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* The demo's --summary line into buf; "" when it gives none. */
static void demo_summary(const char *path, char *buf, size_t cap)
{
    int fds[2];
    buf[0] = '\0';
    if (pipe2(fds, O_CLOEXEC) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        (void) dup2(fds[1], STDOUT_FILENO);
        execl(path, path, "--summary", (char *) NULL);
        _exit(127);
    }
    (void) close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while (pid > 0 && len + 1 < cap &&
           ((r = read(fds[0], buf + len, cap - 1 - len)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            len += (size_t) r;
    buf[len] = '\0';
    (void) close(fds[0]);
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    buf[strcspn(buf, "\n")] = '\0';
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int demo_list(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "ipcx demo: no demos in %s: %s\n", dir, strerror(errno));
        return EXIT_RUNTIME;
    }
    printf("Demos (ipcx demo NAME --help for each):\n");
    int shown = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX], line[512];
        const char *name = names[i]->d_name;
        if (demo_name_ok(name) &&
            snprintf(path, sizeof path, "%s/%s", dir, name) < (int) sizeof path &&
            access(path, X_OK) == 0 && !is_dir(path)) {
            demo_summary(path, line, sizeof line);
            char *seed = strchr(line, '\t');
            if (seed)
                *seed++ = '\0';
            printf("  %-16s %s%s%s%s\n", name, line, seed ? " (" : "", seed ? seed : "",
                   seed ? ")" : "");
            shown++;
        }
        free(names[i]);
    }
    free(names);
    if (!shown)
        printf("  (none in %s)\n", dir);
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    char buf[PATH_MAX], path[PATH_MAX];
    const char *dir = demo_dir(buf);
    if (argc < 2)
        return demo_list(dir);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(demo_help, stdout);
        return 0;
    }
    if (strcmp(argv[1], "-l") == 0 || strcmp(argv[1], "--list") == 0)
        return demo_list(dir);
    if (!demo_name_ok(argv[1]) ||
        snprintf(path, sizeof path, "%s/%s", dir, argv[1]) >= (int) sizeof path ||
        access(path, X_OK) != 0 || is_dir(path))
        return cmd_usage_error("demo", "no demo '%s' (ipcx demo lists them)", argv[1]);
    argv[1] = path;
    execv(path, argv + 1);
    fprintf(stderr, "ipcx demo: cannot run %s: %s\n", path, strerror(errno));
    return EXIT_RUNTIME;
}
