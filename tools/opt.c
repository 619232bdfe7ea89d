/*
 * opt.c - GNU option parsing for the ipcx commands from one table per
 * command (opt.h): getopt_long in its permuting mode, so options may come
 * after operands ("ipcx recv URL -n 1") until "--"; one usage error line
 * of our own instead of getopt's; --help and --version.
 */
#include "opt.h"
#include "cmd.h"
#include "ipcx.h"

#include <string.h>

enum { OPT_KEY_HELP = 'h', OPT_KEY_VERSION = 1, OPT_KEY_BASE = 256 };

void opt_begin(struct opt_parser *p, const struct opt_cmd *cmd, int argc, char **argv)
{
    const struct opt *o = cmd->opts;
    size_t n = 0, k = 0;
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    /* ':' first: a missing argument is told from an unknown option. */
    p->shorts[k++] = ':';
    p->shorts[k++] = 'h';
    for (; o[n].name && n < OPT_MAX; n++) {
        p->longs[n] = (struct option) { o[n].name, o[n].arg ? required_argument : no_argument,
                                        NULL, OPT_KEY_BASE + (int) n };
        if (o[n].letter) {
            p->shorts[k++] = (char) o[n].letter;
            if (o[n].arg)
                p->shorts[k++] = ':';
        }
    }
    p->longs[n++] = (struct option) { "help", no_argument, NULL, OPT_KEY_HELP };
    p->longs[n] = (struct option) { "version", no_argument, NULL, OPT_KEY_VERSION };
    p->shorts[k] = '\0';
    optind = 0; /* glibc: start afresh, the permutation's state too */
    opterr = 0;
}

int opt_next(struct opt_parser *p)
{
    char letter[3] = { '-', 0, 0 };
    /* The option as written, for a message: argv[optind - 1] after a long one. */
    const char *written;
    int c = getopt_long(p->argc, p->argv, p->shorts, p->longs, NULL);
    p->arg = optarg;
    switch (c) {
    case -1:
        p->ind = optind;
        return OPT_END;
    case OPT_KEY_HELP:
        opt_help(stdout, p->cmd);
        return OPT_EXIT;
    case OPT_KEY_VERSION:
        opt_version(stdout);
        return OPT_EXIT;
    }
    if (c >= OPT_KEY_BASE)
        return c - OPT_KEY_BASE;
    for (int i = 0; p->cmd->opts[i].name; i++)
        if (c == p->cmd->opts[i].letter)
            return i;
    letter[1] = (char) optopt;
    /* optopt is the letter of a short option; 0 or a val of ours for a long one. */
    written = optopt > ' ' && optopt < 127 ? letter
            : optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
    cmd_usage_error(p->cmd->name, c == ':' ? "option '%s' needs an argument"
                                           : "unknown option '%s'", written);
    return OPT_ERROR;
}

void opt_help(FILE *f, const struct opt_cmd *cmd)
{
    const struct opt *o = cmd->opts;
    fputs(cmd->usage, f);
    fputs("\n", f);
    for (int i = 0; o[i].name; i++) {
        char left[64], shortname[5] = "    ";
        if (o[i].letter)
            snprintf(shortname, sizeof shortname, "-%c, ", o[i].letter);
        snprintf(left, sizeof left, "%s--%s%s%s", shortname, o[i].name, o[i].arg ? " " : "",
                 o[i].arg ? o[i].arg : "");
        fprintf(f, "  %-22s ", left);
        /* A help of several lines: each next line under the first. */
        for (const char *h = o[i].help; *h; h++) {
            if (*h == '\n')
                fprintf(f, "\n%25s", "");
            else
                fputc(*h, f);
        }
        fputc('\n', f);
    }
    fprintf(f, "  %-22s %s\n  %-22s %s\n", "-h, --help", "show this help", "    --version",
            "show the versions of ipcx and libipcx");
    if (cmd->more)
        fprintf(f, "\n%s", cmd->more);
}

void opt_version(FILE *f)
{
    fprintf(f, "ipcx %s, libipcx %s\n", IPCX_VERSION_STRING, ipcx_version());
}
