/*
 * peterson.pml - Peterson's algorithm for two processes, as in
 * src/sync/teach.c (ipcx_peterson_lock/unlock).  Promela interleaves whole
 * statements: the model is sequentially consistent, which the C code gets
 * from its seq_cst atomics.
 *
 * Checked (tests/sync/models_test.sh):
 *   safety   mutual exclusion: the assert in the critical section, and no
 *            invalid end state (deadlock)
 *   liveness ltl live0/live1: a process that wants in gets in, under weak
 *            fairness (no starvation); also no non-progress cycle
 */
bool flag[2];
byte turn;
byte incrit;

active [2] proctype P()
{
    byte self = _pid;
    byte other = 1 - _pid;
    do
    :: true ->
want:   flag[self] = true;
        turn = other;
        (flag[other] == false || turn == self);
crit:   incrit++;
        assert(incrit == 1);
        incrit--;
progress:
        flag[self] = false
    od
}

ltl live0 { [] (P[0]@want -> <> P[0]@crit) }
ltl live1 { [] (P[1]@want -> <> P[1]@crit) }
