/*
 * pool_raw.h - a raw stream connection to a pool dispatcher, for tests
 * that play a hostile or silent worker by hand (pubsub_test.c,
 * pool_sec_test.c).  Include after t.h.
 */
#ifndef IPCX_TEST_POOL_RAW_H
#define IPCX_TEST_POOL_RAW_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Connect to the dispatcher at pool_url (tcp://127.0.0.1:PORT or unix:PATH|@NAME). */
static int raw_connect_to(const char *pool_url)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    int fd;
    if (!strncmp(pool_url, "tcp://", 6)) {
        struct sockaddr_in *in = (struct sockaddr_in *) &ss;
        const char *port = strrchr(pool_url, ':');
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t) atoi(port + 1));
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *in;
        fd = socket(AF_INET, SOCK_STREAM, 0);
    } else {
        struct sockaddr_un *un = (struct sockaddr_un *) &ss;
        const char *name = pool_url + 5;
        un->sun_family = AF_UNIX;
        T_OK(strlen(name) < sizeof un->sun_path);
        memcpy(un->sun_path, name, strlen(name));
        if (name[0] == '@')
            un->sun_path[0] = '\0';
        len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(name));
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
    }
    T_OK(fd >= 0 && connect(fd, (struct sockaddr *) &ss, len) == 0);
    return fd;
}

#endif
