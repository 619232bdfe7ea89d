/*
 * futex_sem.pml - the futex semaphore of src/sync/sem.c: value, nwaiters
 * and the kernel's futex queue.
 *
 *   wait:  try (CAS value>0 -> value-1); else nwaiters++, and loop:
 *          try; FUTEX_WAIT(value, 0) (the kernel checks value == 0 and
 *          queues atomically); a timed waiter may time out while queued;
 *          then nwaiters--, and one that leaves without a token while
 *          value > 0 and nwaiters > 0 wakes one (passes the wake on).
 *   post:  value++; if nwaiters > 0, FUTEX_WAKE one.
 * Each Promela statement is atomic and the model is sequentially
 * consistent, as the seq_cst atomics of sem.c make the protocol.
 *
 * Two posters post once each.  Two plain waiters must each get a token:
 * a lost wake-up would leave one asleep forever, an invalid end state.
 * A third, timed waiter may give up at any moment while asleep; if it got
 * a token it posts it back, so the plain waiters are owed exactly two.
 * Checked: no invalid end state, the asserts (value never above the posts
 * and give-backs, nothing left over), and no non-progress cycle.
 */
#define W 3           /* waiters: 0 and 1 plain, 2 timed */
byte value;
byte nwaiters;
bool queued[W];       /* the futex queue */
byte posted;

inline try(ok) {
    atomic { if :: value > 0 -> value--; ok = true :: else -> ok = false fi }
}

inline wake_one() {
    atomic {
        if
        :: queued[0] -> queued[0] = false
        :: queued[1] -> queued[1] = false
        :: queued[2] -> queued[2] = false
        :: else -> skip
        fi
    }
}

proctype Waiter(bool timed)
{
    bool ok, gaveup = false;
    byte me = _pid - 1;   /* init is pid 0 */
    try(ok);
    if
    :: ok -> goto done
    :: else -> skip
    fi;
    nwaiters++;
    do
    :: try(ok);
       if
       :: ok -> break
       :: else ->
          /* FUTEX_WAIT: sleep only if the value is still 0 */
          atomic { if :: value == 0 -> queued[me] = true :: else -> skip fi };
          if
          :: !queued[me] -> skip                          /* woken, or never slept */
          :: timed -> atomic { if :: queued[me] -> queued[me] = false; gaveup = true
                               :: else -> skip fi }       /* the time limit */
          fi;
          (!queued[me]);
          if
          :: gaveup -> try(ok); break
          :: else -> skip
          fi
       fi
    od;
    nwaiters--;
    if
    :: !ok && value > 0 && nwaiters > 0 -> wake_one()    /* pass the wake on */
    :: else -> skip
    fi;
done:
    if
    :: ok && timed -> atomic { value++; posted++ };
       if :: nwaiters > 0 -> wake_one() :: else -> skip fi
    :: else -> skip
    fi
}

proctype Poster()
{
    atomic { value++; posted++ };   /* posted: a ghost count, not in the C code */
    assert(value <= posted);
    if
    :: nwaiters > 0 -> wake_one()
    :: else -> skip
    fi
}

init {
    atomic {
        run Waiter(false); run Waiter(false); run Waiter(true);
        run Poster(); run Poster()
    }
    (_nr_pr == 1);
    assert(value == 0 && nwaiters == 0)
}
