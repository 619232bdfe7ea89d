/*
 * threads_test.c - the primitives of src/sync/ used by threads of one
 * process: the same code the processes use, here where ThreadSanitizer
 * can see it (make test-tsan).  Each lock guards a plain counter that TSan
 * would report as a race if the lock failed to order the accesses.
 */
#include "sync_t.h"

#include <pthread.h>

#define NT 4
#define ITERS 3000

static ipcx_mutex m;
static ipcx_spin sp;
static ipcx_semaphore sem;
static ipcx_rwlock rw;
static ipcx_bakery bak;
static ipcx_peterson pet;
static ipcx_tas tas;
static ipcx_cond cv;
static ipcx_barrier bar;
static long counter, shared_data;
static int turn_flag;

enum { L_MUTEX, L_SPIN, L_SEM, L_RW, L_BAKERY, L_PETERSON, L_TAS, L_TTAS, L_COUNT };
static const char *lname[L_COUNT] = { "mutex", "spin", "semaphore", "rwlock", "bakery",
                                      "peterson", "tas", "ttas" };
static int which;

static void *locker(void *arg)
{
    int who = (int) (intptr_t) arg;
    for (int i = 0; i < ITERS; i++) {
        switch (which) {
        case L_MUTEX: T_ERR(ipcx_mutex_lock(&m, -1), 0); break;
        case L_SPIN: T_ERR(ipcx_spin_lock(&sp, -1), 0); break;
        case L_SEM: T_ERR(ipcx_semaphore_wait(&sem, -1), 0); break;
        case L_RW:
            if (who % 2) {
                T_ERR(ipcx_rwlock_rdlock(&rw, -1), 0);
                (void) *(volatile long *) &shared_data;
                T_ERR(ipcx_rwlock_unlock(&rw), 0);
            }
            T_ERR(ipcx_rwlock_wrlock(&rw, -1), 0);
            break;
        case L_BAKERY: T_ERR(ipcx_bakery_lock(&bak, (unsigned) who), 0); break;
        case L_PETERSON: T_ERR(ipcx_peterson_lock(&pet, (unsigned) who), 0); break;
        case L_TAS: T_ERR(ipcx_tas_lock(&tas), 0); break;
        case L_TTAS: T_ERR(ipcx_ttas_lock(&tas), 0); break;
        }
        counter++;
        shared_data = counter;
        switch (which) {
        case L_MUTEX: T_ERR(ipcx_mutex_unlock(&m), 0); break;
        case L_SPIN: T_ERR(ipcx_spin_unlock(&sp), 0); break;
        case L_SEM: T_ERR(ipcx_semaphore_post(&sem), 0); break;
        case L_RW: T_ERR(ipcx_rwlock_unlock(&rw), 0); break;
        case L_BAKERY: T_ERR(ipcx_bakery_unlock(&bak, (unsigned) who), 0); break;
        case L_PETERSON: T_ERR(ipcx_peterson_unlock(&pet, (unsigned) who), 0); break;
        case L_TAS: case L_TTAS: T_ERR(ipcx_tas_unlock(&tas), 0); break;
        }
    }
    return NULL;
}

/* Ping-pong over a condition variable, then rounds of a barrier. */
static void *ponger(void *arg)
{
    int me = (int) (intptr_t) arg;
    for (int i = 0; i < 500; i++) {
        T_ERR(ipcx_mutex_lock(&m, -1), 0);
        while (turn_flag != me)
            T_ERR(ipcx_cond_wait(&cv, &m, -1), 0);
        turn_flag = 1 - me;
        shared_data++;
        T_ERR(ipcx_cond_broadcast(&cv), 0);
        T_ERR(ipcx_mutex_unlock(&m), 0);
    }
    for (int i = 0; i < 200; i++) {
        int r = ipcx_barrier_wait(&bar, -1);
        T_OK(r == 0 || r == IPCX_BARRIER_LAST);
        if (r == IPCX_BARRIER_LAST)
            counter++;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NT];
    T_ERR(ipcx_mutex_init(&m), 0);
    T_ERR(ipcx_spin_init(&sp, 20), 0);
    T_ERR(ipcx_semaphore_init(&sem, 1), 0);
    T_ERR(ipcx_rwlock_init(&rw, IPCX_RWLOCK_FAIR), 0);
    T_ERR(ipcx_bakery_init(&bak, NT), 0);
    T_ERR(ipcx_peterson_init(&pet), 0);
    T_ERR(ipcx_tas_init(&tas), 0);
    T_ERR(ipcx_cond_init(&cv), 0);
    T_ERR(ipcx_barrier_init(&bar, 2), 0);

    for (which = 0; which < L_COUNT; which++) {
        int n = which == L_PETERSON ? 2 : NT;
        counter = 0;
        for (int i = 0; i < n; i++)
            T_OK(pthread_create(&t[i], NULL, locker, (void *) (intptr_t) i) == 0);
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        T_EQ(counter, (long) n * ITERS);
        printf("%-10s %d threads x %d: %ld\n", lname[which], n, ITERS, counter);
    }
    counter = 0;
    for (int i = 0; i < 2; i++)
        T_OK(pthread_create(&t[i], NULL, ponger, (void *) (intptr_t) i) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    T_EQ(counter, 200);
    printf("cond ping-pong and barrier rounds between threads: fine\n");
    return 0;
}
