/*
 * bakery.pml - Lamport's bakery for N processes, as in src/sync/teach.c
 * (ipcx_bakery_lock/unlock): the maximum is read one number at a time,
 * not atomically, exactly like the C loop.  Sequentially consistent, as
 * the C code's seq_cst atomics make it.
 *
 * Tickets grow without bound while someone always waits, so the state
 * space is made finite by letting each process enter ROUNDS times.
 * Checked (tests/sync/models_test.sh):
 *   safety   mutual exclusion (assert) for N = 3, every interleaving
 *   no starvation within the bound: no invalid end state, i.e. in every
 *            interleaving every process completes all its rounds (a
 *            process waiting forever would be a blocked end state)
 */
#define N 3
#define ROUNDS 2

bool choosing[N];
byte number[N];
byte incrit;

active [N] proctype Customer()
{
    byte i = _pid, j, max, r = 0;
    do
    :: r < ROUNDS ->
        choosing[i] = true;
        max = 0;
        j = 0;
        do
        :: j < N -> if :: number[j] > max -> max = number[j] :: else -> skip fi; j++
        :: else -> break
        od;
        number[i] = max + 1;
        choosing[i] = false;
        j = 0;
        do
        :: j < N ->
            if
            :: j != i ->
                (choosing[j] == false);
                (number[j] == 0 || number[j] > number[i] ||
                 (number[j] == number[i] && j > i))
            :: else -> skip
            fi;
            j++
        :: else -> break
        od;
        incrit++;
        assert(incrit == 1);
        incrit--;
        number[i] = 0;
        r++
    :: else -> break
    od
}
