#!/bin/bash
# pool_netns_test.sh POOL_PEER - the worker pool across hosts: three network
# namespaces on a bridge (tests/netns.sh): the submitter (the dispatcher)
# on host s, two workers each on hosts a and b, over tcp://.  Mid-run the
# workers of host b are SIGKILLed; the jobs they held go to host a's.
# Checks: the submitter saw every job done; every job number was taken by
# some worker; a number taken twice was first taken on host b (a killed
# holder), and there are at most as many of those as workers were killed;
# the dispatcher gave at least one job out again; host a did jobs after
# the kill.  Skips where namespaces cannot be made; everything made is
# removed, also on failure.
T=ipcx-t-$$-poolns
. "$(dirname "$0")/../lib.sh"
PEER=$(readlink -f "${1:?usage: $0 POOL_PEER}")
. "$(dirname "$0")/../netns.sh"
netns_possible || exit 77
netns_hosts s a b
trap 'netns_teardown; cleanup' EXIT
mkdir -p "$D"
S=$(netns_addr s)
N=4000
URL="tcp://$S:5557"

netns_run s "$PEER" submit "$URL" $N >"$D/sub.out" 2>"$D/sub.err" &
sub=$!
for w in 1 2; do
    netns_run a "$PEER" work "$URL" 1000 >"$D/a$w.out" 2>"$D/a$w.err" &
    eval "a$w=\$!"
    # The worker's own pid, for the kill ($! is a subshell's).
    netns_run b sh -c 'echo $$ >"$1"; exec "$2" work "$3" 1000' sh "$D/b$w.pid" "$PEER" "$URL" \
        >"$D/b$w.out" 2>"$D/b$w.err" &
    eval "b$w=\$!"
done
# Let host b do some jobs, then SIGKILL its workers.
for _ in $(seq 400); do
    [ "$(cat "$D"/b1.out "$D"/b2.out 2>/dev/null | wc -l)" -ge 200 ] && break
    sleep 0.05
done
kill -9 "$(cat "$D/b1.pid")" "$(cat "$D/b2.pid")" || fail "cannot kill host b's workers"
wait "$b1" "$b2" 2>/dev/null
a_at_kill=$(cat "$D"/a1.out "$D"/a2.out | wc -l)
wait $sub || fail "submitter: $(cat "$D/sub.err")"
wait "$a1" || fail "worker a1: $(cat "$D/a1.err")"
wait "$a2" || fail "worker a2: $(cat "$D/a2.err")"

read -r word done_n word2 redelivered <"$D/sub.out"
[ "$word" = done ] && [ "$done_n" = $N ] || fail "the submitter says [$(cat "$D/sub.out")]"
a_all=$(cat "$D"/a1.out "$D"/a2.out | wc -l)
b_all=$(cat "$D"/b1.out "$D"/b2.out | wc -l)
[ "$b_all" -ge 1 ] || fail "host b did no job before the kill"
[ "$a_all" -gt "$a_at_kill" ] || fail "host a did nothing after the kill"
[ "${redelivered:-0}" -ge 1 ] || fail "nothing was redelivered after host b's workers died"
# Every number once, except those a killed worker on b had printed.
sort -n "$D"/a1.out "$D"/a2.out "$D"/b1.out "$D"/b2.out >"$D/all"
[ "$(sort -un "$D/all" | wc -l)" = $N ] || fail "not every job was taken: $(sort -un "$D/all" | wc -l) of $N"
[ "$(sort -un "$D/all" | head -1)" = 0 ] && [ "$(sort -un "$D/all" | tail -1)" = $((N - 1)) ] ||
    fail "job numbers outside 0..$((N - 1))"
uniq -d "$D/all" >"$D/dups"
ndup=$(wc -l <"$D/dups")
[ "$ndup" -le 2 ] || fail "$ndup jobs taken twice, more than the 2 workers killed"
while read -r j; do
    grep -qx "$j" "$D"/b1.out "$D"/b2.out || fail "job $j taken twice, never on host b"
done <"$D/dups"
echo "pool across hosts: $N jobs done; host a $a_all, host b $b_all (killed after ~200);" \
     "$redelivered redelivered, $ndup taken again"
[ $fails -eq 0 ] && echo "PASS: worker pool across network namespaces"
exit $((fails > 0))
