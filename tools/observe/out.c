/*
 * out.c - what ls, stat and gc print (see obs.h): the table of ls, the
 * text of stat, JSON for both, the registry's warnings, and the flags the
 * commands share.  Every string that came from outside (names of objects,
 * files and processes, registry text) goes out through esc.c: escaped on a
 * terminal, and always in JSON.
 */
#include "ipcx.h"
#include "ipcx/admin.h"
#include "cmd.h"
#include "obs.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

const char *const kind_name[] = {
    "posix-mq", "posix-shm", "sysv-msg", "sysv-shm", "sysv-sem", "unix-socket", "fifo",
};

static const char *const role_name[R_COUNT] = {
    "creator", "recv", "send", "last-send", "last-recv", "attached", "fd", "last-op", "notify",
};

const char mq_unmounted[] =
    "/dev/mqueue is not mounted: POSIX message queues cannot be listed "
    "(mount -t mqueue none /dev/mqueue); only those ipcx knows are shown";

/* The command name of pid (anything its process chose: print it escaped), "" if gone. */
static void comm_of(pid_t pid, char *out, size_t cap)
{
    struct ipcx_proc_info p;
    out[0] = '\0';
    if (ipcx_proc_read(pid, &p, sizeof p) == 0)
        snprintf(out, cap, "%s", p.comm);
}

static const char *owner_name(uid_t uid, char *buf, size_t cap)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, cap, "%s", pw->pw_name);
    else
        snprintf(buf, cap, "%u", (unsigned) uid);
    return buf;
}

static void json_num(FILE *f, const char *key, long long v)
{
    fprintf(f, ", \"%s\": ", key);
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", v);
}

void obj_json(FILE *f, const struct obj *b)
{
    char name[64];
    fputs("{\"url\": ", f);
    out_json(f, b->url);
    fprintf(f, ", \"type\": \"%s\"", kind_name[b->kind]);
    if (b->has_owner) {
        fputs(", \"owner\": ", f);
        out_json(f, owner_name(b->uid, name, sizeof name));
        fprintf(f, ", \"uid\": %u, \"gid\": %u, \"mode\": \"%04o\"", (unsigned) b->uid,
                (unsigned) b->gid, b->mode);
    }
    if (b->id >= 0)
        fprintf(f, ", \"id\": %ld", b->id);
    json_num(f, "size", b->size);
    json_num(f, "messages", b->msgs);
    json_num(f, "bytes", b->bytes);
    json_num(f, "depth", b->depth);
    json_num(f, "maxmsg", b->maxmsg);
    json_num(f, "qbytes", b->qbytes);
    fprintf(f, ", \"ipcx\": %s, \"alive\": %s", b->ipcx ? "true" : "false",
            obj_any_alive(b) ? "true" : "false");
    if (b->note[0]) {
        fputs(", \"note\": ", f);
        out_json(f, b->note);
    }
    fputs(", \"users\": [", f);
    for (int i = 0; i < b->nusers; i++) {
        const struct user *u = &b->users[i];
        comm_of(u->pid, name, sizeof name);
        fprintf(f, "%s{\"pid\": %d, \"comm\": ", i ? ", " : "", (int) u->pid);
        out_json(f, u->alive ? name : "");
        fputs(", \"roles\": [", f);
        int first = 1;
        for (unsigned r = 0; r < R_COUNT; r++)
            if (u->roles & (1u << r)) {
                fprintf(f, "%s\"%s\"", first ? "" : ", ", role_name[r]);
                first = 0;
            }
        fprintf(f, "], \"alive\": %s}", u->alive ? "true" : "false");
    }
    fputs("]}", f);
}

static void users_text(FILE *f, const struct obj *b)
{
    if (!b->nusers) {
        fputs("-", f);
        return;
    }
    for (int i = 0; i < b->nusers; i++) {
        const struct user *u = &b->users[i];
        char comm[64];
        comm_of(u->pid, comm, sizeof comm);
        fprintf(f, "%s%d%s", i ? " " : "", (int) u->pid, u->alive && comm[0] ? "/" : "");
        if (u->alive)
            out_str(f, comm); /* the process chose it: escaped on a terminal */
        fputc('(', f);
        int first = 1;
        for (unsigned r = 0; r < R_COUNT; r++)
            if (u->roles & (1u << r)) {
                fprintf(f, "%s%s", first ? "" : ",", role_name[r]);
                first = 0;
            }
        fprintf(f, ")%s", u->alive ? "" : ":dead");
    }
}

static void size_text(char *out, size_t cap, const struct obj *b)
{
    switch (b->kind) {
    case K_MQ:
        snprintf(out, cap, "%lld/%lld msgs %lldB", b->msgs, b->depth, b->bytes);
        break;
    case K_SYSVMSG:
        snprintf(out, cap, "%lld msgs %lld/%lldB", b->msgs, b->bytes, b->qbytes);
        break;
    case K_SHM:
    case K_SYSVSHM:
        snprintf(out, cap, "%lldB", b->size);
        break;
    case K_SYSVSEM:
        snprintf(out, cap, "%lld sems", b->size);
        break;
    default:
        snprintf(out, cap, "-");
    }
}

void obj_line(FILE *f, const struct obj *b)
{
    char owner[64] = "-", mode[8] = "-", size[64];
    if (b->has_owner) {
        owner_name(b->uid, owner, sizeof owner);
        snprintf(mode, sizeof mode, "%04o", b->mode);
    }
    char url[4 * URL_LEN], own[4 * sizeof owner];
    size_text(size, sizeof size, b);
    fprintf(f, "%-36s %-11s %-8s %-5s %-20s %s ", esc_str(f, b->url, url, sizeof url),
            kind_name[b->kind], esc_str(f, owner, own, sizeof own), mode, size,
            b->ipcx ? "ipcx" : "-");
    users_text(f, b);
    fputc('\n', f);
}


/* The registry's warnings (refused directories, skipped entries), to stderr or as JSON. */
void warnings_text(const char *cmd, const struct recs *rs)
{
    for (size_t i = 0; i < rs->nwarn; i++) {
        fprintf(stderr, "ipcx %s: ", cmd);
        out_str(stderr, rs->warn[i]);
        fputc('\n', stderr);
    }
}

void obj_text(FILE *f, const struct obj *b)
{
    char name[64];
    fputs("url:      ", f);
    out_str(f, b->url);
    fprintf(f, "\ntype:     %s\n", kind_name[b->kind]);
    if (b->has_owner) {
        fputs("owner:    ", f);
        out_str(f, owner_name(b->uid, name, sizeof name));
        fprintf(f, " (uid %u, gid %u)\nmode:     %04o\n", (unsigned) b->uid, (unsigned) b->gid,
                b->mode);
    }
    if (b->id >= 0)
        fprintf(f, "id:       %ld\n", b->id);
    if (b->path[0]) {
        fputs("path:     ", f);
        out_str(f, b->path);
        fputc('\n', f);
    }
    if (b->size >= 0)
        fprintf(f, "size:     %lld%s\n", b->size, b->kind == K_SYSVSEM ? " semaphores" : " bytes");
    if (b->msgs >= 0)
        fprintf(f, "messages: %lld\n", b->msgs);
    if (b->bytes >= 0)
        fprintf(f, "bytes:    %lld\n", b->bytes);
    if (b->depth >= 0)
        fprintf(f, "depth:    %lld messages\n", b->depth);
    if (b->maxmsg >= 0)
        fprintf(f, "maxmsg:   %lld bytes\n", b->maxmsg);
    if (b->qbytes >= 0)
        fprintf(f, "qbytes:   %lld bytes\n", b->qbytes);
    fprintf(f, "ipcx:     %s\n", b->ipcx ? "created by ipcx" : "not known to have been created by ipcx");
    if (b->note[0]) {
        fputs("note:     ", f);
        out_str(f, b->note);
        fputc('\n', f);
    }
    fprintf(f, "users:    ");
    users_text(f, b);
    fputc('\n', f);
}

int obs_bad_option(const char *cmd, int c, char **argv)
{
    char opt[3] = { '-', (char) optopt, '\0' };
    const char *name = optopt ? opt : argv[optind - 1];
    if (c == ':')
        return cmd_usage_error(cmd, "option '%s' needs a value", optopt ? opt : argv[optind - 1]);
    return cmd_usage_error(cmd, "unknown option '%s'", name);
}

/* --json, --dry-run style flags; returns 1 if json, 0 if not, -1 help shown, -2 error. */
int parse_flag(int argc, char **argv, const char *cmd, const char *help,
                      const char *flag, int *nargs)
{
    int set = 0;
    *nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return -1;
        }
        if (strcmp(argv[i], flag) == 0)
            set = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            (void) cmd_usage_error(cmd, "unknown option '%s'", argv[i]);
            return -2;
        } else
            argv[1 + (*nargs)++] = argv[i];
    }
    return set;
}
