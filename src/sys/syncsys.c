/*
 * syncsys.c - -errno wrappers for the synchronisation objects of the kernel
 * and libc (POSIX and System V semaphores, shm files), and the cached
 * thread id the owner words of src/sync/ hold.  No policy and no EINTR
 * retries: src/sync/ decides what an error means.
 */
#include "fault.h"
#include "syncsys.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* ---- thread id ---------------------------------------------------- */

static _Thread_local uint32_t self_tid;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

/* fork() keeps the calling thread's thread-local values in the child,
 * whose thread has another id: forget the cached one there. */
static void self_forget(void)
{
    self_tid = 0;
}

static void self_register(void)
{
    (void) pthread_atfork(NULL, NULL, self_forget);
}

uint32_t ipcx__self_tid(void)
{
    if (self_tid == 0) {
        (void) pthread_once(&self_once, self_register);
        self_tid = (uint32_t) syscall(SYS_gettid);
    }
    return self_tid;
}

/* ---- POSIX named semaphores --------------------------------------- */

int ipcx__psem_open(const char *name, int oflag, mode_t mode, unsigned value,
                    sem_t **out)
{
    IPCX_FAULT_POINT(sem_open);
    if (IPCX_FAILS(sem_open))
        return -errno;
    sem_t *s = (oflag & O_CREAT) ? sem_open(name, oflag, mode, value)
                                 : sem_open(name, oflag);
    if (s == SEM_FAILED)
        return -errno;
    *out = s;
    return 0;
}

int ipcx__psem_wait(sem_t *s, int timeout_ms)
{
    IPCX_FAULT_POINT(sem_wait);
    int r;
    if (IPCX_FAILS(sem_wait)) {
        r = -1;
    } else if (timeout_ms < 0) {
        r = sem_wait(s);
    } else if (timeout_ms == 0) {
        r = sem_trywait(s);
    } else {
        struct timespec at;
        (void) clock_gettime(CLOCK_MONOTONIC, &at);
        at.tv_sec += timeout_ms / 1000;
        at.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
        if (at.tv_nsec >= 1000000000L)
            at.tv_sec++, at.tv_nsec -= 1000000000L;
        r = sem_clockwait(s, CLOCK_MONOTONIC, &at);
    }
    return r < 0 ? -errno : 0;
}

int ipcx__psem_post(sem_t *s)
{
    IPCX_FAULT_POINT(sem_post);
    return IPCX_FAILS(sem_post) || sem_post(s) < 0 ? -errno : 0;
}

int ipcx__psem_getvalue(sem_t *s, int *value)
{
    return sem_getvalue(s, value) < 0 ? -errno : 0;
}

int ipcx__psem_close(sem_t *s)
{
    return sem_close(s) < 0 ? -errno : 0;
}

int ipcx__psem_unlink(const char *name)
{
    IPCX_FAULT_POINT(sem_unlink);
    return IPCX_FAILS(sem_unlink) || sem_unlink(name) < 0 ? -errno : 0;
}

/* ---- shm files ---------------------------------------------------- */

/* glibc's shm_open works in /dev/shm; the publish step needs the path. */
#define SHM_DIR "/dev/shm"

int ipcx__shmfile_anon(mode_t mode, size_t size)
{
    IPCX_FAULT_POINT(open_tmpfile);
    IPCX_FAULT_POINT(ftruncate);
    int fd = IPCX_FAILS(open_tmpfile) ? -1 : open(SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    /* The umask must not narrow what the URL asked for. */
    if (fchmod(fd, mode) < 0 || IPCX_FAILS(ftruncate) || ftruncate(fd, (off_t) size) < 0) {
        int err = -errno;
        (void) close(fd);
        return err;
    }
    return fd;
}

int ipcx__shmfile_publish(int fd, const char *name)
{
    IPCX_FAULT_POINT(linkat);
    char from[64], to[sizeof SHM_DIR + 256];
    if (name[0] != '/' || snprintf(to, sizeof to, SHM_DIR "%s", name) >= (int) sizeof to)
        return -ENAMETOOLONG;
    (void) snprintf(from, sizeof from, "/proc/self/fd/%d", fd);
    /* linkat of an O_TMPFILE file through /proc needs no privilege (unlike
     * AT_EMPTY_PATH) and fails with EEXIST instead of replacing a name. */
    return IPCX_FAILS(linkat) || linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
}

int ipcx__shmfile_open(const char *name, size_t *size)
{
    IPCX_FAULT_POINT(shm_open);
    struct stat st;
    int fd = IPCX_FAILS(shm_open) ? -1 : shm_open(name, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        int err = -errno;
        (void) close(fd);
        return err;
    }
    if (!S_ISREG(st.st_mode)) {
        (void) close(fd);
        return -EPROTO;
    }
    *size = (size_t) st.st_size;
    return fd;
}

int ipcx__shmfile_unlink(const char *name)
{
    IPCX_FAULT_POINT(shm_unlink);
    return IPCX_FAILS(shm_unlink) || shm_unlink(name) < 0 ? -errno : 0;
}

int ipcx__shmfile_map(int fd, size_t size, void **out)
{
    IPCX_FAULT_POINT(mmap);
    void *p = IPCX_FAILS(mmap) ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    *out = p;
    return 0;
}

int ipcx__shmfile_unmap(void *p, size_t size)
{
    return munmap(p, size) < 0 ? -errno : 0;
}
