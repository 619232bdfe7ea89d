/*
 * err.h - error details: the thread-local text behind ipcx_errdetail().
 */
#ifndef IPCX_ERR_H
#define IPCX_ERR_H

/* Record a detail for the current thread and return err (a -errno). */
int ipcx__fail(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget the detail: called at the start of every public call that can fail. */
void ipcx__clear_detail(void);

#endif
