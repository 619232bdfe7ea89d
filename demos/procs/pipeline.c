/*
 * pipeline.c - seed 002, how the shell runs "ps | tail": one pipe, two
 * forks, dup2 of the pipe's ends onto standard output and input, every
 * unused end closed (else tail never sees end-of-file), execvp, and a
 * waitpid for both.  The pipeline's exit status is the shell's: that of
 * the last command (128 + N when a signal N killed it); with bash's
 * "set -o pipefail" it is the last nonzero one.  --popen does the same
 * through popen(3)/pclose (seed 001), i.e. through a shell, and shows why
 * seed 004 calls system and popen "easy to attack": the shell parses the
 * string, so an argument becomes a command.
 *
 * The check runs sh -c 'A | B' (the same words, each single-quoted, so
 * the shell runs what execvp runs) and compares its output and status with
 * ours.  Some commands print something else every run (ps shows its own
 * pid): when two runs of the shell's pipeline differ from each other too,
 * only the exit status is compared, and the demo says so.
 */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "Usage: ipcx demo pipeline [--popen] [--inject-bug] [--] A B\n"
    "\n"
    "Seed 002's \"ps | tail\" by hand: runs A | B with pipe, two forks, dup2,\n"
    "close of the unused ends, execvp and waitpid, prints B's output and the\n"
    "pipeline's exit status as the shell defines it (the last command's, or\n"
    "128+N if signal N killed it; with pipefail the last nonzero status).\n"
    "A and B are one argument each, split at blanks into words - no quoting,\n"
    "globbing or variables, since no shell is involved:\n"
    "\n"
    "    ipcx demo pipeline ps tail\n"
    "    ipcx demo pipeline -- 'ps -e' 'tail -n 3'\n"
    "    ipcx demo pipeline -- 'seq 1 100' 'tail -n 3'\n"
    "\n"
    "The check compares output and status with sh -c 'A | B', the same words\n"
    "single-quoted for the shell (--popen hands popen that string).  If two\n"
    "runs of that differ from each other (ps lists itself, with a new pid each time),\n"
    "only the exit status is compared, and the output says so.\n"
    "\n"
    "  --popen       run the same pipeline through popen(3)/pclose, and show\n"
    "                why system(3) and popen(3) are discouraged: they hand the\n"
    "                string to a shell, which parses it.  An argument taken\n"
    "                from outside, here the harmless 'hello; echo INJECTED',\n"
    "                becomes a second command; execvp passes it as one word.\n"
    "                The check includes both outcomes.\n"
    "  --inject-bug  A's standard output is not dup2'ed onto the pipe (the\n"
    "                classic slip): B reads nothing and the check says FAILED\n";

static const struct demo_info info = {
    .name = "pipeline",
    .summary = "A | B as the shell builds it: pipe, fork, dup2, execvp; and popen",
    .seed = "seed 002: how the shell runs ps | tail; seed 004: system/popen",
    .usage = usage,
};

#define MAXWORDS 64
#define OUTMAX   (1 << 20)

struct cmd {
    char *words[MAXWORDS + 1];
};

struct out {
    char *buf;
    size_t len;
    int truncated;
};

static void split(const char *what, char *s, struct cmd *c)
{
    int n = 0;
    for (char *w = strtok(s, " \t"); w; w = strtok(NULL, " \t")) {
        if (n == MAXWORDS)
            demo_usage_error("%s has more than %d words", what, MAXWORDS);
        c->words[n++] = w;
    }
    if (n == 0)
        demo_usage_error("%s is empty", what);
    c->words[n] = NULL;
}

/* Read fd to its end into o (at most OUTMAX kept); closes fd. */
static void slurp(int fd, struct out *o)
{
    o->buf = malloc(OUTMAX);
    o->len = 0;
    o->truncated = 0;
    if (!o->buf)
        demo_die("out of memory");
    for (;;) {
        char tmp[4096];
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        size_t room = OUTMAX - o->len, k = (size_t) n < room ? (size_t) n : room;
        memcpy(o->buf + o->len, tmp, k);
        o->len += k;
        if (k < (size_t) n)
            o->truncated = 1;
    }
    (void) close(fd);
}

/* The shell's idea of a command's status. */
static int shell_status(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 255;
}

static pid_t wait_for(pid_t pid, int *st)
{
    pid_t r;
    while ((r = waitpid(pid, st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        demo_die("waitpid %d: %s", (int) pid, strerror(errno));
    return r;
}

/* ---- by hand --------------------------------------------------------- */

struct stage {
    struct cmd *cmd;
    int in, out;       /* descriptors to dup2 onto 0 and 1, or -1 */
    int close_fds[4];  /* every pipe end: none may stay open in the child */
};

static int run_stage(void *arg, int unused)
{
    (void) unused;
    struct stage *s = arg;
    if (s->in >= 0 && dup2(s->in, 0) < 0)
        return 126;
    if (s->out >= 0 && dup2(s->out, 1) < 0)
        return 126;
    for (int i = 0; i < 4; i++)
        if (s->close_fds[i] >= 0)
            (void) close(s->close_fds[i]);
    execvp(s->cmd->words[0], s->cmd->words);
    fprintf(stderr, "pipeline: %s: %s\n", s->cmd->words[0], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}

/* A | B, B's output into o; the shell status in *last, pipefail's in *pipefail. */
static void by_hand(struct cmd *a, struct cmd *b, int bug, struct out *o, int *last, int *pipefail)
{
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0)
        demo_die("pipe: %s", strerror(errno));
    struct stage sa = { a, -1, bug ? -1 : p[1], { p[0], p[1], q[0], q[1] } };
    struct stage sb = { b, p[0], q[1], { p[0], p[1], q[0], q[1] } };
    pid_t pa = demo_fork(run_stage, &sa, 0);
    pid_t pb = demo_fork(run_stage, &sb, 1);
    /* The parent's copies: while p[1] is open here, B never sees EOF. */
    (void) close(p[0]);
    (void) close(p[1]);
    (void) close(q[1]);
    slurp(q[0], o);
    int sta, stb;
    wait_for(pa, &sta);
    wait_for(pb, &stb);
    *last = shell_status(stb);
    *pipefail = *last ? *last : shell_status(sta);
    printf("pipeline: %s exited %d, %s exited %d: the pipeline's status %d (pipefail %d)\n", a->words[0],
           shell_status(sta), b->words[0], *last, *last, *pipefail);
}

/* ---- through a shell ------------------------------------------------- */

struct shell {
    const char *cmdline;
    int out;
};

static int run_shell(void *arg, int unused)
{
    (void) unused;
    struct shell *s = arg;
    if (dup2(s->out, 1) < 0)
        return 126;
    (void) close(s->out);
    execl("/bin/sh", "sh", "-c", s->cmdline, (char *) NULL);
    return 127;
}

/* sh -c cmdline: its output and its status. */
static int shell_run(const char *cmdline, struct out *o)
{
    int q[2];
    if (pipe(q) < 0)
        demo_die("pipe: %s", strerror(errno));
    struct shell s = { cmdline, q[1] };
    (void) fcntl(q[0], F_SETFD, FD_CLOEXEC);
    pid_t pid = demo_fork(run_shell, &s, 0);
    (void) close(q[1]);
    slurp(q[0], o);
    int st;
    wait_for(pid, &st);
    return shell_status(st);
}

/* popen(cmdline): its output and pclose's status. */
static int popen_run(const char *cmdline, struct out *o)
{
    fflush(NULL);
    FILE *f = popen(cmdline, "r");
    if (!f)
        demo_die("popen: %s", strerror(errno));
    slurp(dup(fileno(f)), o); /* a copy: pclose closes the stream's own */
    int st = pclose(f);
    if (st < 0)
        demo_die("pclose: %s", strerror(errno));
    return shell_status(st);
}

static void append(char *buf, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s);
    if (*at + n >= cap)
        demo_usage_error("the commands are too long");
    memcpy(buf + *at, s, n + 1);
    *at += n;
}

/* 'word' 'word' ...: a single quote inside becomes '\'' */
static void quote_words(const struct cmd *c, char *buf, size_t cap, size_t *at)
{
    for (int w = 0; c->words[w]; w++) {
        append(buf, cap, at, w ? " '" : "'");
        for (const char *p = c->words[w]; *p; p++) {
            char one[2] = { *p, 0 };
            append(buf, cap, at, *p == '\'' ? "'\\''" : one);
        }
        append(buf, cap, at, "'");
    }
}

static int same(const struct out *x, const struct out *y)
{
    return x->len == y->len && memcmp(x->buf, y->buf, x->len) == 0;
}

static long lines(const struct out *o)
{
    long n = 0;
    for (size_t i = 0; i < o->len; i++)
        n += o->buf[i] == '\n';
    return n;
}

/* The injection, shown and checked: 1 if both outcomes are as explained. */
static int show_injection(void)
{
    static const char arg[] = "hello; echo INJECTED";
    char cmdline[128];
    snprintf(cmdline, sizeof cmdline, "echo %s", arg);
    printf("pipeline: why system(3)/popen(3) are discouraged: they run /bin/sh -c STRING.\n"
           "pipeline: a program that builds \"echo \" + ARG with ARG from outside, here\n"
           "pipeline:   ARG = '%s'\n"
           "pipeline: hands the shell a second command:\n", arg);
    struct out viashell, direct;
    popen_run(cmdline, &viashell);
    printf("%.*s", (int) viashell.len, viashell.buf);
    printf("pipeline: execvp(\"echo\", {\"echo\", ARG}) passes ARG as one word:\n");
    char echo[] = "echo", word[sizeof arg];
    memcpy(word, arg, sizeof arg);
    struct cmd c = { { echo, word, NULL } };
    int q[2];
    if (pipe(q) < 0)
        demo_die("pipe: %s", strerror(errno));
    struct stage s = { &c, -1, q[1], { q[0], q[1], -1, -1 } };
    pid_t pid = demo_fork(run_stage, &s, 0);
    (void) close(q[1]);
    slurp(q[0], &direct);
    int st;
    wait_for(pid, &st);
    printf("%.*s", (int) direct.len, direct.buf);
    static const char want_shell[] = "hello\nINJECTED\n", want_direct[] = "hello; echo INJECTED\n";
    int ok = viashell.len == strlen(want_shell) && memcmp(viashell.buf, want_shell, viashell.len) == 0 &&
             direct.len == strlen(want_direct) && memcmp(direct.buf, want_direct, direct.len) == 0;
    printf("pipeline: the shell ran the injected command: %s; execvp did not: %s\n",
           viashell.len == strlen(want_shell) ? "yes" : "NO", ok ? "yes" : "NO");
    free(viashell.buf);
    free(direct.buf);
    return ok;
}

int main(int argc, char **argv)
{
    demo_start(&info, argc, argv);
    int use_popen = 0, bug = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--popen") == 0)
            use_popen = 1;
        else if (strcmp(argv[i], "--inject-bug") == 0)
            bug = 1;
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1])
            demo_usage_error("unknown option '%s' (put -- before commands that start with '-')", argv[i]);
        else
            break;
    }
    if (argc - i != 2)
        demo_usage_error("wants two commands A and B, each one argument (quote 'tail -n 3'), got %d",
                         argc - i);
    if (bug && use_popen)
        demo_usage_error("--inject-bug is a slip of the hand-built pipeline, not of --popen");
    char *sa = strdup(argv[i]), *sb = strdup(argv[i + 1]);
    if (!sa || !sb)
        demo_die("out of memory");
    struct cmd a, b;
    split("A", sa, &a);
    split("B", sb, &b);
    /* The same words for the shell, each single-quoted, so that it runs
     * what execvp runs (a backslash or '*' in a word stays itself). */
    char cmdline[8192];
    size_t at = 0;
    quote_words(&a, cmdline, sizeof cmdline, &at);
    append(cmdline, sizeof cmdline, &at, " | ");
    quote_words(&b, cmdline, sizeof cmdline, &at);

    struct out mine, ref;
    int last, pipefail = -1;
    if (use_popen) {
        printf("pipeline: popen(\"%s\", \"r\"): a shell builds the pipeline\n", cmdline);
        last = popen_run(cmdline, &mine);
    } else {
        printf("pipeline: %s | %s by hand: pipe, fork, dup2, close, execvp, waitpid\n", a.words[0], b.words[0]);
        by_hand(&a, &b, bug, &mine, &last, &pipefail);
    }
    printf("----- output (%zu bytes) -----\n%.*s%s----- end -----\n", mine.len, (int) mine.len, mine.buf,
           mine.len && mine.buf[mine.len - 1] != '\n' ? "\n" : "");
    int ref_status = shell_run(cmdline, &ref);
    int outputs_equal = same(&mine, &ref), varies = 0;
    if (!outputs_equal) {
        struct out again;
        shell_run(cmdline, &again);
        varies = !same(&ref, &again);
        free(again.buf);
        if (varies)
            printf("pipeline: two runs of sh -c \"%s\" differ too (%ld and %ld lines here): the commands' "
                   "output varies, only the status is compared\n", cmdline, lines(&mine), lines(&ref));
        else
            printf("pipeline: sh -c \"%s\" printed %zu bytes, %ld lines, ours %zu bytes, %ld lines\n", cmdline,
                   ref.len, lines(&ref), mine.len, lines(&mine));
    }
    int injection_ok = use_popen ? show_injection() : 1;
    int ok = last == ref_status && (outputs_equal || varies) && injection_ok && !mine.truncated;
    free(mine.buf);
    free(ref.buf);
    free(sa);
    free(sb);
    if (!ok)
        return demo_verdict(0, "%s%s%s%s", last != ref_status ? "the status differs from sh -c's; " : "",
                            !(outputs_equal || varies) ? "the output differs from sh -c's; " : "",
                            injection_ok ? "" : "the injection did not behave as explained; ",
                            mine.truncated ? "more output than the demo keeps" : "(see above)");
    return demo_verdict(1, "%s the same %s as sh -c \"%s\" (status %d)%s",
                        use_popen ? "popen gave" : "the hand-built pipeline gave",
                        varies ? "status" : "output and status", cmdline, last,
                        use_popen ? "; the shell ran the injected command, execvp did not" : "");
}
