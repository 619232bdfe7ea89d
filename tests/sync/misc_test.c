/*
 * misc_test.c - condition variables and barriers across processes: a
 * bounded buffer with two conditions (producer/consumer, nothing lost or
 * doubled), broadcast wakes every waiter, a timed wait times out (not
 * before its time) and holds the mutex again; a reusable barrier keeps
 * rounds apart (nobody starts round r+1 before everybody finished r).
 */
#include "sync_t.h"

#define SLOTS 4
#define ITEMS 3000
#define ROUNDS 300
#define PARTIES 4

struct shared {
    ipcx_mutex   m;
    ipcx_cond    notfull, notempty, bc;
    long         buf[SLOTS];
    int          head, count;
    long         sum;
    int          gate;
    _Atomic int  ready, woke, last;
    ipcx_barrier bar;
    _Atomic int  round_of[PARTIES];
    _Atomic int  bad;
};

static struct shared *sh;

static int producer(void *arg, int i)
{
    (void) arg;
    for (long n = 1; n <= ITEMS; n++) {
        if (ipcx_mutex_lock(&sh->m, -1) != 0)
            return 1;
        while (sh->count == SLOTS)
            if (ipcx_cond_wait(&sh->notfull, &sh->m, -1) != 0)
                return 1;
        sh->buf[(sh->head + sh->count) % SLOTS] = n * 2 + i; /* items of producer i */
        sh->count++;
        ipcx_cond_signal(&sh->notempty);
        ipcx_mutex_unlock(&sh->m);
    }
    return 0;
}

static int consumer(void *arg, int i)
{
    (void) arg, (void) i;
    for (int n = 0; n < ITEMS; n++) {
        if (ipcx_mutex_lock(&sh->m, -1) != 0)
            return 1;
        while (sh->count == 0)
            if (ipcx_cond_wait(&sh->notempty, &sh->m, -1) != 0)
                return 1;
        sh->sum += sh->buf[sh->head];
        sh->head = (sh->head + 1) % SLOTS;
        sh->count--;
        ipcx_cond_signal(&sh->notfull);
        ipcx_mutex_unlock(&sh->m);
    }
    return 0;
}

static int bc_waiter(void *arg, int i)
{
    (void) arg, (void) i;
    if (ipcx_mutex_lock(&sh->m, -1) != 0)
        return 1;
    atomic_fetch_add(&sh->ready, 1);
    while (!sh->gate)
        if (ipcx_cond_wait(&sh->bc, &sh->m, 30000) != 0)
            return 1;
    atomic_fetch_add(&sh->woke, 1);
    return ipcx_mutex_unlock(&sh->m) == 0 ? 0 : 1;
}

static int party(void *arg, int i)
{
    (void) arg;
    for (int r = 0; r < ROUNDS; r++) {
        atomic_store(&sh->round_of[i], r);
        /* Nobody may be a round ahead or behind while we are in round r. */
        for (int j = 0; j < PARTIES; j++) {
            int o = atomic_load(&sh->round_of[j]);
            if (o < r - 1 || o > r + 1)
                atomic_store(&sh->bad, 1);
        }
        int w = ipcx_barrier_wait(&sh->bar, 30000);
        if (w == IPCX_BARRIER_LAST)
            atomic_fetch_add(&sh->last, 1);
        else if (w != 0)
            return 1;
    }
    return 0;
}

int main(void)
{
    pid_t pid[PARTIES];
    sh = st_shared(sizeof *sh);
    T_ERR(ipcx_mutex_init(&sh->m), 0);
    T_ERR(ipcx_cond_init(&sh->notfull), 0);
    T_ERR(ipcx_cond_init(&sh->notempty), 0);
    T_ERR(ipcx_cond_init(&sh->bc), 0);

    /* Two producers, two consumers over a 4-slot buffer. */
    for (int i = 0; i < 2; i++)
        pid[i] = st_spawn(producer, NULL, i);
    for (int i = 2; i < 4; i++)
        pid[i] = st_spawn(consumer, NULL, i);
    for (int i = 0; i < 4; i++)
        ST_JOIN(pid[i], 60000);
    long want = 0;
    for (long n = 1; n <= ITEMS; n++)
        want += (n * 2) + (n * 2 + 1);
    T_EQ(sh->sum, want);
    T_EQ(sh->count, 0);
    printf("cond: 2 producers, 2 consumers, %d items each: nothing lost or doubled\n", ITEMS);

    /* Broadcast wakes all three. */
    for (int i = 0; i < 3; i++)
        pid[i] = st_spawn(bc_waiter, NULL, i);
    st_await(&sh->ready, 3, 10000);
    T_ERR(ipcx_mutex_lock(&sh->m, -1), 0); /* all three are in their wait now */
    sh->gate = 1;
    T_ERR(ipcx_cond_broadcast(&sh->bc), 0);
    T_ERR(ipcx_mutex_unlock(&sh->m), 0);
    for (int i = 0; i < 3; i++)
        ST_JOIN(pid[i], 30000);
    T_EQ(atomic_load(&sh->woke), 3);

    /* A timed wait: -ETIMEDOUT, not early, and the mutex is ours again. */
    T_ERR(ipcx_mutex_lock(&sh->m, -1), 0);
    int64_t t0 = st_now_ms();
    T_ERR(ipcx_cond_wait(&sh->bc, &sh->m, 80), -ETIMEDOUT);
    T_OK(st_now_ms() - t0 >= 80);
    T_ERR(ipcx_cond_wait(&sh->bc, &sh->m, 0), -EAGAIN);
    T_ERR(ipcx_mutex_lock(&sh->m, 0), -EDEADLK);
    T_ERR(ipcx_mutex_unlock(&sh->m), 0);
    T_ERR(ipcx_cond_wait(&sh->bc, &sh->m, 0), -EPERM);

    /* A reusable barrier: rounds stay apart, one LAST per round. */
    T_ERR(ipcx_barrier_init(&sh->bar, PARTIES), 0);
    for (int i = 0; i < PARTIES; i++)
        pid[i] = st_spawn(party, NULL, i);
    for (int i = 0; i < PARTIES; i++)
        ST_JOIN(pid[i], 60000);
    T_EQ(atomic_load(&sh->bad), 0);
    T_EQ(atomic_load(&sh->last), ROUNDS);
    printf("barrier: %d parties x %d rounds, one LAST per round\n", PARTIES, ROUNDS);

    /* A lone waiter times out and withdraws: the round still needs 4. */
    T_ERR(ipcx_barrier_init(&sh->bar, 2), 0);
    t0 = st_now_ms();
    T_ERR(ipcx_barrier_wait(&sh->bar, 50), -ETIMEDOUT);
    T_OK(st_now_ms() - t0 >= 50);
    T_ERR(ipcx_barrier_wait(&sh->bar, 0), -EAGAIN);
    T_ERR(ipcx_barrier_init(&sh->bar, 0), -EINVAL);
    T_ERR(ipcx_barrier_init(&sh->bar, 1), 0);
    T_ERR(ipcx_barrier_wait(&sh->bar, -1), IPCX_BARRIER_LAST);
    T_ERR(ipcx_barrier_join(&sh->bar), 0);
    return 0;
}
