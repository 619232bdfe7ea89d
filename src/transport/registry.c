/*
 * registry.c - the const table of every transport.  Adding a transport is
 * one line here (see docs/howto-transport.md).
 */
#include "transport.h"

#include <string.h>

extern const struct ipcx_transport ipcx__transport_pipe;
extern const struct ipcx_transport ipcx__transport_fifo;
extern const struct ipcx_transport ipcx__transport_unix;
extern const struct ipcx_transport ipcx__transport_tcp;
extern const struct ipcx_transport ipcx__transport_shm, ipcx__transport_sysvshm;
extern const struct ipcx_transport ipcx__transport_mq;
extern const struct ipcx_transport ipcx__transport_sysvmq;
extern const struct ipcx_transport ipcx__transport_sp_tcp, ipcx__transport_sp_unix;

const struct ipcx_transport *const ipcx__transports[] = {
    &ipcx__transport_pipe,
    &ipcx__transport_fifo,
    &ipcx__transport_unix,
    &ipcx__transport_tcp,
    &ipcx__transport_shm, &ipcx__transport_sysvshm,
    &ipcx__transport_mq,
    &ipcx__transport_sysvmq,
    &ipcx__transport_sp_tcp, &ipcx__transport_sp_unix,
    NULL,
};

const struct ipcx_transport *ipcx__transport_find(const char *scheme)
{
    for (size_t i = 0; ipcx__transports[i]; i++)
        if (strcmp(ipcx__transports[i]->scheme, scheme) == 0)
            return ipcx__transports[i];
    return NULL;
}
