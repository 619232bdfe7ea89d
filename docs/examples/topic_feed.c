/*
 * topic_feed.c - a topic feed over shm:, unix: or tcp:, with the public
 * headers only (docs/patterns.md, "Publish/subscribe with topics").
 *
 *   topic_feed URL pub N      wait for N subscribers, then publish each
 *                             line "topic message" of standard input; close
 *   topic_feed URL sub PREFIX...  print "topic message" for every topic
 *                             that starts with a PREFIX ("" for all), until
 *                             the publisher closes
 *
 * A subscriber waits for its publisher to appear; every subscriber here is
 * lossless, so the publisher waits for a full one and nothing is lost.
 *
 *   cc docs/examples/topic_feed.c $(pkg-config --cflags --libs ipcx)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <ipcx/pubsub.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct timespec nap = { 0, 20 * 1000000L };

static int fail(const char *url, long err)
{
    const char *detail = ipcx_errdetail();  /* "" when there is none */
    fprintf(stderr, "topic_feed: %s: %s%s%s%s\n", url, ipcx_strerror((int) err),
            *detail ? " (" : "", detail, *detail ? ")" : "");
    return 1;
}

static int publish(const char *url, int want)
{
    ipcx_pub *p;
    char line[512];
    int r = ipcx_pub_open(&p, url, 0);
    if (r < 0)
        return fail(url, r);
    while ((r = ipcx_pub_subscribers(p)) >= 0 && r < want)
        nanosleep(&nap, NULL);           /* until the subscribers are there */
    while (r >= 0 && fgets(line, sizeof line, stdin)) {
        char *msg = line + strcspn(line, " \n");
        if (*msg)
            *msg++ = '\0';              /* the topic ends at the first blank */
        msg[strcspn(msg, "\n")] = '\0';
        r = ipcx_publish(p, line, msg, strlen(msg), -1);
    }
    ipcx_pub_close(p);                   /* subscribers read the rest, then -EPIPE */
    return r < 0 ? fail(url, r) : 0;
}

static int subscribe(const char *url, int n, char **prefixes)
{
    ipcx_sub *s;
    char topic[IPCX_TOPIC_MAX + 1], msg[256];
    long r;
    while ((r = ipcx_sub_open(&s, url, 0)) == -ENOENT || r == -ECONNREFUSED)
        nanosleep(&nap, NULL);           /* no publisher yet */
    for (int i = 0; i < n && r >= 0; i++)
        r = ipcx_subscribe(s, prefixes[i]);
    if (r >= 0)
        r = ipcx_sub_wait(s, 5000);      /* the publisher knows our prefixes */
    while (r >= 0 && (r = ipcx_sub_recv(s, topic, sizeof topic, msg, sizeof msg, -1)) >= 0)
        printf("%s %.*s\n", topic, (int) r, msg);
    ipcx_sub_close(s);
    return r == -EPIPE ? 0 : fail(url, r); /* -EPIPE: the feed ended */
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[2], "pub") == 0)
        return publish(argv[1], atoi(argv[3]));
    if (argc >= 4 && strcmp(argv[2], "sub") == 0)
        return subscribe(argv[1], argc - 3, argv + 3);
    fprintf(stderr, "usage: topic_feed URL pub N   < lines \"topic message\"\n"
                    "       topic_feed URL sub PREFIX...\n");
    return 2;
}
