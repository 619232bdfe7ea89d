/*
 * spawn.c - seed 004, the ways to start a process: fork + exec, vfork +
 * exec, posix_spawn, clone (CLONE_VM|CLONE_VFORK + exec, and a clone that
 * shares memory, descriptors and handlers like a thread), system and
 * popen.  Each starts the same small child (this program with --child),
 * and the demo shows - and checks, against what the kernel and POSIX
 * promise - what the child shares with its parent and what it gets a copy
 * of:
 *
 *   variable   the child's write to a global before exec: seen by the
 *              parent (shared memory) or not (a copy)
 *   fd table   the child closes a descriptor before exec: closed in the
 *              parent too (one table) or not (a copy)
 *   handlers   the child changes SIGURG's disposition before exec: changed
 *              in the parent too (CLONE_SIGHAND) or not
 *   after exec: a descriptor without FD_CLOEXEC is open in the exec'd
 *              child, one with it is closed; SIGUSR1, ignored by the
 *              parent, stays ignored; SIGUSR2, caught by the parent, is
 *              back to its default (exec cannot keep a handler)
 *
 * posix_spawn, system and popen run no code of ours between the start and
 * the exec: their first three columns are "-".  Then the cost of one
 * start (to the child's end, reaped) is measured from a small parent and
 * from one with --big-mib MiB touched (fork copies the page tables; vfork,
 * posix_spawn and glibc's system/popen do not), as a table with the
 * ratio to posix_spawn.  Timing is printed, never checked.
 */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char usage[] =
    "Usage: ipcx demo spawn [--reps R] [--big-mib M] [--inject-bug]\n"
    "\n"
    "Seed 004's ways to start a process - fork + exec, vfork + exec,\n"
    "posix_spawn, clone(CLONE_VM|CLONE_VFORK) + exec, a clone sharing memory,\n"
    "descriptors and signal handlers like a thread (no exec), system and popen -\n"
    "each starting the same small child.  For each, checked against what the\n"
    "kernel and POSIX promise: does the child's write to a variable before\n"
    "exec reach the parent, does closing a descriptor or changing a signal\n"
    "disposition before exec change the parent's, is a descriptor without\n"
    "FD_CLOEXEC open after exec (and one with it closed), is an ignored signal\n"
    "still ignored and a caught one back to default.  Then the cost per start\n"
    "from a small parent and from one with M MiB touched (default 1024), R\n"
    "starts each (default 200), with the ratio to posix_spawn: fork copies\n"
    "the page tables, vfork and posix_spawn do not.  The timing is printed,\n"
    "never part of the verdict.  system and popen hand a string to /bin/sh\n"
    "(see 'ipcx demo pipeline --popen' for why that invites injection).\n"
    "\n"
    "  --inject-bug  the fork + exec child sets FD_CLOEXEC on the inherited\n"
    "                descriptor by mistake: the check must say FAILED\n";

static const struct demo_info info = {
    .name = "spawn",
    .summary = "fork, vfork, posix_spawn, clone, system, popen: what is shared, what it costs",
    .seed = "seed 004: fork, posix_spawn, clone, system/popen",
    .usage = usage,
};

/* What an exec'd child reports, as bits of its exit status. */
#define R_VALID   0x40
#define R_PLAIN   0x01 /* the descriptor without FD_CLOEXEC is open */
#define R_CLOEXEC 0x02 /* the one with FD_CLOEXEC is open */
#define R_USR1IGN 0x04 /* SIGUSR1 is ignored */
#define R_USR2DFL 0x08 /* SIGUSR2 has its default action */

/* The pre-exec probes, as the parent sees them afterwards. */
enum seen { NA, COPIED, SHARED };
static const char *const seen_name[] = { "-", "copied", "shared" };

static volatile int probe_var;   /* the child writes 1 to it before exec */
static int fd_plain, fd_cloexec; /* the descriptors the exec'd child looks at */
static int fd_victim;            /* the child closes this one before exec */
static int inject_bug;
static char self[4096], arg_plain[16], arg_cloexec[16];
static char *child_argv[5];
static char child_cmd[4200]; /* for system/popen */

/* ---- the child ------------------------------------------------------- */

static int child_report(int plain, int cloexec)
{
    struct sigaction sa;
    int r = R_VALID;
    if (fcntl(plain, F_GETFD) >= 0)
        r |= R_PLAIN;
    if (fcntl(cloexec, F_GETFD) >= 0)
        r |= R_CLOEXEC;
    if (sigaction(SIGUSR1, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
        r |= R_USR1IGN;
    if (sigaction(SIGUSR2, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        r |= R_USR2DFL;
    return r;
}

/* ---- the starts ------------------------------------------------------ */

static void on_signal(int sig)
{
    (void) sig; /* never delivered: only its presence as a disposition matters */
}

/* What a child with code before exec does there: the three probes. */
static void before_exec(void)
{
    probe_var = 1;
    (void) close(fd_victim);
    signal(SIGURG, SIG_DFL);
}

static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            demo_die("waitpid: %s", strerror(errno));
    return st;
}

static int start_fork(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        demo_die("fork: %s", strerror(errno));
    if (pid == 0) {
        before_exec();
        if (inject_bug)
            (void) fcntl(fd_plain, F_SETFD, FD_CLOEXEC);
        execv(self, child_argv);
        _exit(127);
    }
    return wait_child(pid);
}

static int start_vfork(void)
{
    /* vfork: the child borrows the parent's memory and stack until exec; it
     * may only exec or _exit (and, as this demo does on purpose, store to
     * a variable, which the parent then sees). */
    pid_t pid = vfork();
    if (pid < 0)
        demo_die("vfork: %s", strerror(errno));
    if (pid == 0) {
        before_exec();
        execv(self, child_argv);
        _exit(127);
    }
    return wait_child(pid);
}

static int start_posix_spawn(void)
{
    pid_t pid;
    int r = posix_spawn(&pid, self, NULL, NULL, child_argv, environ);
    if (r != 0)
        demo_die("posix_spawn: %s", strerror(r));
    return wait_child(pid);
}

#define CLONE_STACK (256 * 1024)
static char *clone_stack;

static int clone_exec_fn(void *arg)
{
    (void) arg;
    before_exec();
    execv(self, child_argv);
    _exit(127);
}

static int start_clone_vfork(void)
{
    pid_t pid = clone(clone_exec_fn, clone_stack + CLONE_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid < 0)
        demo_die("clone: %s", strerror(errno));
    return wait_child(pid);
}

/* The thread-like clone runs no exec: it reports what it sees itself. */
static int clone_thread_fn(void *arg)
{
    (void) arg;
    before_exec();
    return child_report(fd_plain, fd_cloexec);
}

static int start_clone_thread(void)
{
    pid_t pid = clone(clone_thread_fn, clone_stack + CLONE_STACK,
                      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | SIGCHLD, NULL);
    if (pid < 0)
        demo_die("clone: %s", strerror(errno));
    return wait_child(pid);
}

static int start_system(void)
{
    fflush(NULL);
    int st = system(child_cmd);
    if (st < 0)
        demo_die("system: %s", strerror(errno));
    return st;
}

static int start_popen(void)
{
    fflush(NULL);
    FILE *f = popen(child_cmd, "r");
    if (!f)
        demo_die("popen: %s", strerror(errno));
    int st = pclose(f);
    if (st < 0)
        demo_die("pclose: %s", strerror(errno));
    return st;
}

struct method {
    const char *name;
    int (*start)(void);
    int pre_exec;          /* runs our code in the child before exec */
    enum seen var, files, handlers;
    int report;            /* the child's expected report */
    double us[2];          /* per start: small, big parent */
};

#define EXEC_REPORT (R_VALID | R_PLAIN | R_USR1IGN | R_USR2DFL)

static struct method methods[] = {
    { "fork + exec", start_fork, 1, COPIED, COPIED, COPIED, EXEC_REPORT, { 0, 0 } },
    { "vfork + exec", start_vfork, 1, SHARED, COPIED, COPIED, EXEC_REPORT, { 0, 0 } },
    { "posix_spawn", start_posix_spawn, 0, NA, NA, NA, EXEC_REPORT, { 0, 0 } },
    { "clone VM|VFORK + exec", start_clone_vfork, 1, SHARED, COPIED, COPIED, EXEC_REPORT, { 0, 0 } },
    /* No exec: the FD_CLOEXEC descriptor stays open, SIGUSR2 keeps its handler. */
    { "clone like a thread", start_clone_thread, 1, SHARED, SHARED, SHARED,
      R_VALID | R_PLAIN | R_CLOEXEC | R_USR1IGN, { 0, 0 } },
    { "system", start_system, 0, NA, NA, NA, EXEC_REPORT, { 0, 0 } },
    { "popen", start_popen, 0, NA, NA, NA, EXEC_REPORT, { 0, 0 } },
};
#define NMETHODS (sizeof methods / sizeof methods[0])
#define POSIX_SPAWN_ROW 2

/* Set the parent's state before a start. */
static void arm(void)
{
    probe_var = 0;
    fd_victim = dup(fd_plain);
    if (fd_victim < 0)
        demo_die("dup: %s", strerror(errno));
    signal(SIGURG, on_signal);
}

static enum seen seen_var(void)
{
    return probe_var ? SHARED : COPIED;
}

static enum seen seen_files(void)
{
    if (fcntl(fd_victim, F_GETFD) < 0)
        return SHARED; /* the child's close closed ours */
    (void) close(fd_victim);
    return COPIED;
}

static enum seen seen_handlers(void)
{
    struct sigaction sa;
    (void) sigaction(SIGURG, NULL, &sa);
    return sa.sa_handler == on_signal ? COPIED : SHARED;
}

static void bits(char *buf, size_t cap, int r)
{
    snprintf(buf, cap, "%-6s %-6s %-4s %-7s", r & R_PLAIN ? "open" : "closed", r & R_CLOEXEC ? "open" : "closed",
             r & R_USR1IGN ? "ign" : "not", r & R_USR2DFL ? "default" : "handler");
}

/* Run each method once with the probes; 1 if all are as expected. */
static int probe_all(void)
{
    int all = 1;
    printf("%-22s %-8s %-8s %-8s | %-6s %-6s %-4s %-7s | %s\n", "", "variable", "fd table", "handlers",
           "plain", "cloexc", "USR1", "USR2", "");
    for (size_t i = 0; i < NMETHODS; i++) {
        struct method *m = &methods[i];
        arm();
        int st = m->start();
        enum seen v = NA, f = NA, h = NA;
        if (m->pre_exec) {
            v = seen_var();
            f = seen_files();
            h = seen_handlers();
        } else {
            (void) close(fd_victim);
        }
        int rep = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
        char got[64], want[64];
        bits(got, sizeof got, rep);
        int ok = v == m->var && f == m->files && h == m->handlers && rep == m->report;
        printf("%-22s %-8s %-8s %-8s | %s | %s\n", m->name, seen_name[v], seen_name[f], seen_name[h],
               (rep & R_VALID) ? got : "no report   ", ok ? "as expected" : "UNEXPECTED");
        if (!ok) {
            bits(want, sizeof want, m->report);
            printf("%-22s expected %-8s %-8s %-8s | %s\n", "", seen_name[m->var], seen_name[m->files],
                   seen_name[m->handlers], want);
            all = 0;
        }
    }
    signal(SIGURG, SIG_DFL);
    return all;
}

static void time_all(int which, long reps)
{
    for (size_t i = 0; i < NMETHODS; i++) {
        struct method *m = &methods[i];
        long long t0 = demo_now_ns();
        for (long r = 0; r < reps; r++) {
            arm();
            (void) m->start();
            if (fcntl(fd_victim, F_GETFD) >= 0)
                (void) close(fd_victim);
        }
        m->us[which] = (double) (demo_now_ns() - t0) / 1e3 / (double) reps;
    }
    signal(SIGURG, SIG_DFL);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_report(atoi(argv[2]), atoi(argv[3]));
    demo_start(&info, argc, argv);
    long reps = 200, big_mib = 1024;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--reps") == 0 && i + 1 < argc)
            reps = demo_num(a, argv[++i], 1, 100000);
        else if (strcmp(a, "--big-mib") == 0 && i + 1 < argc)
            big_mib = demo_num(a, argv[++i], 1, 65536);
        else if (strcmp(a, "--inject-bug") == 0)
            inject_bug = 1;
        else
            demo_unknown_arg(a, i + 1 == argc);
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0 || (size_t) n >= sizeof self - 1)
        demo_die("readlink /proc/self/exe: %s", n < 0 ? strerror(errno) : "too long");
    self[n] = 0;
    if (strchr(self, '\''))
        demo_die("%s has a quote in its path: system/popen would need it escaped", self);

    int p[2], q[2];
    if (pipe(p) < 0 || pipe2(q, O_CLOEXEC) < 0)
        demo_die("pipe: %s", strerror(errno));
    fd_plain = p[0];
    fd_cloexec = q[0];
    snprintf(arg_plain, sizeof arg_plain, "%d", fd_plain);
    snprintf(arg_cloexec, sizeof arg_cloexec, "%d", fd_cloexec);
    child_argv[0] = (char *) "spawn";
    child_argv[1] = (char *) "--child";
    child_argv[2] = arg_plain;
    child_argv[3] = arg_cloexec;
    child_argv[4] = NULL;
    snprintf(child_cmd, sizeof child_cmd, "'%s' --child %s %s", self, arg_plain, arg_cloexec);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGUSR2, on_signal);
    clone_stack = mmap(NULL, CLONE_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (clone_stack == MAP_FAILED)
        demo_die("mmap: %s", strerror(errno));

    printf("spawn: what each start shares with the parent (before exec) and what the exec'd child has\n");
    int ok = probe_all();

    time_all(0, reps);
    size_t big = (size_t) big_mib << 20;
    char *mem = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        demo_die("cannot map %ld MiB: %s", big_mib, strerror(errno));
    for (size_t off = 0; off < big; off += 4096)
        mem[off] = 1; /* touched: every page is really there */
    time_all(1, reps);
    (void) munmap(mem, big);

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("\nspawn: cost per start, the child run to its end and reaped; %ld starts each, %ld CPUs\n", reps, cpus);
    printf("%-22s %12s %8s %16s %8s\n", "", "small us", "ratio", "big us", "ratio");
    char bigh[32];
    snprintf(bigh, sizeof bigh, "(%ld MiB)", big_mib);
    printf("%-22s %12s %8s %16s %8s\n", "", "", "", bigh, "");
    const struct method *ps = &methods[POSIX_SPAWN_ROW];
    for (size_t i = 0; i < NMETHODS; i++) {
        const struct method *m = &methods[i];
        printf("%-22s %12.1f %8.2f %16.1f %8.2f\n", m->name, m->us[0], m->us[0] / ps->us[0], m->us[1],
               m->us[1] / ps->us[1]);
    }
    (void) munmap(clone_stack, CLONE_STACK);
    (void) close(p[0]);
    (void) close(p[1]);
    (void) close(q[0]);
    (void) close(q[1]);
    if (!ok)
        return demo_verdict(0, "a start shared or copied something other than the kernel promises (see UNEXPECTED)");
    return demo_verdict(1, "all %zu starts shared and copied what the kernel and POSIX promise", NMETHODS);
}
