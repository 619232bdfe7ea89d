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
#include <time.h>

const char *const kind_name[] = {
    "posix-mq", "posix-shm", "sysv-msg", "sysv-shm", "sysv-sem", "unix-socket", "fifo",
};

/* By kind, as kind_name: what ipcs -t calls them; files keep modified and changed. */
const char *const time_names[][3] = {
    { "modified", "changed", NULL },     /* posix-mq */
    { "modified", "changed", NULL },     /* posix-shm */
    { "sent", "received", "changed" },   /* sysv-msg */
    { "attached", "detached", "changed" }, /* sysv-shm */
    { "last-op", "changed", NULL },      /* sysv-sem */
    { "modified", "changed", NULL },     /* unix-socket */
    { "modified", "changed", NULL },     /* fifo */
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

/* A number the kind has; a key that does not apply to it (-1) is left out, never null. */
static void json_num(FILE *f, const char *key, long long v)
{
    if (v >= 0)
        fprintf(f, ", \"%s\": %lld", key, v);
}

static void json_times(FILE *f, const struct obj *b)
{
    int first = 1;
    for (int i = 0; i < 3; i++) {
        if (!time_names[b->kind][i] || b->times[i] < 0)
            continue;
        fprintf(f, "%s\"%s\": %lld", first ? ", \"times\": {" : ", ", time_names[b->kind][i],
                b->times[i]);
        first = 0;
    }
    if (!first)
        fputc('}', f);
}

static void ring_json(FILE *f, const struct obj *b)
{
    const struct ipcx_ring_info *r = b->ring;
    if (!r) {
        fputs(", \"ring\": {\"error\": ", f);
        out_json(f, b->ring_why);
        fputc('}', f);
        return;
    }
    fprintf(f, ", \"ring\": {\"version\": %u, \"mode\": \"%s\", \"drop\": %s, "
               "\"segment\": %llu, \"capacity\": %llu, \"maxmsg\": %llu",
            r->version, r->mode, r->drop ? "true" : "false", (unsigned long long) r->seg_size,
            (unsigned long long) r->capacity, (unsigned long long) r->maxmsg);
    if (r->nslots)
        fprintf(f, ", \"slots\": %u, \"slot_size\": %u", r->nslots, r->slot_size);
    fprintf(f, ", \"messages\": %llu, \"bytes\": %llu, \"suspect\": %s, \"senders\": %u, "
               "\"receivers\": %u, \"bells\": %u, \"armed_senders\": %u, \"fifos\": %s, "
               "\"participants\": [",
            (unsigned long long) r->messages, (unsigned long long) r->bytes,
            r->suspect ? "true" : "false", r->senders, r->receivers, r->bells, r->armed_senders,
            r->fifos ? "true" : "false");
    for (unsigned i = 0; i < r->nparts; i++) {
        const struct ipcx_ring_part *p = &r->part[i];
        fprintf(f, "%s{\"pid\": %d, \"role\": \"%s\", \"alive\": %s, \"armed\": %s, "
                   "\"fifo\": %s}", i ? ", " : "", (int) p->pid,
                p->role == IPCX_SEND ? "send" : "recv", p->alive ? "true" : "false",
                p->armed ? "true" : "false", p->fifo ? "true" : "false");
    }
    fputs("]}", f);
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
    json_num(f, "nattch", b->nattch);
    json_times(f, b);
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
    if (b->ring || b->ring_err)
        ring_json(f, b);
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
        snprintf(out, cap, "%lldB", b->size);
        break;
    case K_SYSVSHM:
        snprintf(out, cap, "%lldB %lld att", b->size, b->nattch);
        break;
    case K_SYSVSEM:
        snprintf(out, cap, "%lld sems", b->size);
        break;
    default:
        snprintf(out, cap, "-");
    }
}

/* An epoch time, local, in one word (ISO 8601); "never" for 0, "-" unknown. */
static void time_text(char *out, size_t cap, long long t)
{
    time_t tt = (time_t) t;
    struct tm tm;
    if (t < 0)
        snprintf(out, cap, "-");
    else if (t == 0)
        snprintf(out, cap, "never");
    else if (!localtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(out, cap, "%lld", t);
}

void obj_line(FILE *f, const struct obj *b, int times)
{
    char owner[64] = "-", mode[8] = "-", size[64], id[24] = "-";
    if (b->has_owner) {
        owner_name(b->uid, owner, sizeof owner);
        snprintf(mode, sizeof mode, "%04o", b->mode);
    }
    if (b->id >= 0)
        snprintf(id, sizeof id, "%ld", b->id);
    char url[4 * URL_LEN], own[4 * sizeof owner];
    size_text(size, sizeof size, b);
    fprintf(f, "%-36s %-11s %-7s %-8s %-5s %-20s ", esc_str(f, b->url, url, sizeof url),
            kind_name[b->kind], id, esc_str(f, owner, own, sizeof own), mode, size);
    if (times) {
        for (int i = 0; i < 3 && time_names[b->kind][i]; i++) {
            char t[40];
            time_text(t, sizeof t, b->times[i]);
            fprintf(f, "%s%s=%s", i ? " " : "", time_names[b->kind][i], t);
        }
        fputc('\n', f);
        return;
    }
    fprintf(f, "%s ", b->ipcx ? "ipcx" : "-");
    users_text(f, b);
    fputc('\n', f);
}

/* The header of the table obj_line prints. */
void obj_header(FILE *f, int times)
{
    fprintf(f, "%-36s %-11s %-7s %-8s %-5s %-20s ", "URL", "TYPE", "ID", "OWNER", "MODE", "SIZE");
    if (times)
        fprintf(f, "TIMES\n");
    else
        fprintf(f, "%s %s\n", "IPCX", "USERS");
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

/* A queue's last sender: the kernel's (System V), or what ipcx's registry knows (POSIX). */
static void last_sender_text(FILE *f, const struct obj *b)
{
    unsigned want = b->kind == K_SYSVMSG ? R_LASTSEND : R_SEND;
    int any = 0;
    fputs(b->kind == K_SYSVMSG ? "last sender: " : "senders:  ", f);
    for (int i = 0; i < b->nusers; i++) {
        const struct user *u = &b->users[i];
        char comm[64];
        if (!(u->roles & want))
            continue;
        comm_of(u->pid, comm, sizeof comm);
        fprintf(f, "%s%d%s", any ? " " : "", (int) u->pid, u->alive && comm[0] ? "/" : "");
        if (u->alive)
            out_str(f, comm);
        fputs(u->alive ? "" : ":dead", f);
        any = 1;
    }
    if (!any)
        fputs(b->kind == K_SYSVMSG ? "none yet" : "none known (the kernel keeps no sender of a POSIX queue)", f);
    fputc('\n', f);
}

static void ring_text(FILE *f, const struct obj *b)
{
    const struct ipcx_ring_info *r = b->ring;
    if (!r) {
        fputs("ring:     none: ", f);
        out_str(f, b->ring_why);
        fputc('\n', f);
        return;
    }
    fprintf(f, "ring:     %s%s, layout version %u, capacity %llu bytes, maxmsg %llu bytes",
            r->mode, r->drop ? " (overflow=drop)" : "", r->version,
            (unsigned long long) r->capacity, (unsigned long long) r->maxmsg);
    if (r->nslots)
        fprintf(f, ", %u slots of %u bytes", r->nslots, r->slot_size);
    fprintf(f, "\nqueued:   %llu messages, %llu bytes%s\n", (unsigned long long) r->messages,
            (unsigned long long) r->bytes,
            r->suspect ? " (at most: the ring's indices are impossible, forged or torn)" : "");
    fprintf(f, "members:  %u senders, %u receivers registered\n", r->senders, r->receivers);
    for (unsigned i = 0; i < r->nparts; i++) {
        const struct ipcx_ring_part *p = &r->part[i];
        char comm[64] = "";
        if (p->alive)
            comm_of(p->pid, comm, sizeof comm);
        fprintf(f, "  %-6s  %d%s", p->role == IPCX_SEND ? "send" : "recv", (int) p->pid,
                comm[0] ? "/" : "");
        out_str(f, comm);
        fprintf(f, " %s%s%s\n", p->alive ? "alive" : "dead", p->armed ? ", doorbell armed" : "",
                p->fifo ? ", doorbell FIFO" : "");
    }
    fprintf(f, "doorbells: %u receivers with one, %u senders armed%s\n", r->bells,
            r->armed_senders, r->fifos ? ", FIFOs made" : "");
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
    if (b->nattch >= 0)
        fprintf(f, "nattch:   %lld\n", b->nattch);
    for (int i = 0; i < 3; i++) {
        char t[40];
        if (!time_names[b->kind][i] || b->times[i] < 0)
            continue;
        time_text(t, sizeof t, b->times[i]);
        fprintf(f, "%-9s %s\n", time_names[b->kind][i], t);
    }
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
    if (b->kind == K_SYSVMSG || b->kind == K_MQ)
        last_sender_text(f, b);
    fprintf(f, "ipcx:     %s\n", b->ipcx ? "created by ipcx" : "not known to have been created by ipcx");
    if (b->note[0]) {
        fputs("note:     ", f);
        out_str(f, b->note);
        fputc('\n', f);
    }
    if (b->ring || b->ring_err)
        ring_text(f, b);
    fprintf(f, "users:    ");
    users_text(f, b);
    fputc('\n', f);
}
