#!/bin/bash
# netns_test.sh IPCX SP_PEER - nngcat on one host, ipcx on the other: two
# network namespaces joined by a veth pair (tests/netns.sh), both ways for
# push0/pull0 and req0/rep0: nngcat push0 on host b dials an ipcx pull0 on
# host a, an ipcx push0 on a dials an nngcat pull0 on b; an ipcx req0 on a
# asks an nngcat rep0 on b, an nngcat req0 on b asks an ipcx rep0 on a.  Skips where namespaces cannot be
# made (not root, no ip, a forbidding kernel); everything made is removed,
# also on failure.
T=ipcx-t-$$-spns
. "$(dirname "$0")/../lib.sh"
PEER=$(readlink -f "${2:?usage: $0 IPCX SP_PEER}")
command -v nngcat >/dev/null || { echo "SKIP: nngcat is missing (Debian nng-utils)"; exit 77; }
. "$(dirname "$0")/../netns.sh"
netns_possible || exit 77
netns_hosts a b
trap 'netns_teardown; cleanup' EXIT
A=$(netns_addr a)
B=$(netns_addr b)

# Wait until something listens on host $1, TCP port $2 (at most 20 s).
wait_listen() {
    for _ in $(seq 200); do
        netns_run "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.1
    done
    fail "nobody listens on host $1 port $2"
    return 1
}

netns_run a "$IPCX" recv -n 2 -t 20000 "sp+tcp://$A:5555?proto=pull0" >"$D/pull.out" 2>"$D/pull.err" &
p=$!
wait_listen a 5555 &&
    netns_run b timeout 30 nngcat --push0 --dial "tcp://$A:5555" --data across --count 2 --delay 1
wait $p || fail "ipcx pull on host a: $(cat "$D/pull.err")"
got=$(echo $(cat "$D/pull.out"))
[ "$got" = "across across" ] && echo "ok: nngcat push0 on b -> ipcx pull0 on a" ||
    fail "push across hosts: got [$got]"

netns_run b timeout 30 nngcat --rep0 --listen "tcp://$B:5556" --data pong --quoted --count 1 \
    >"$D/rep.out" &
p=$!
wait_listen b 5556 &&
    got=$(netns_run a "$PEER" req "sp+tcp://$B:5556?proto=req0" ping) || fail "ipcx req on host a"
wait $p || fail "nngcat rep on host b"
[ "$got" = pong ] && [ "$(cat "$D/rep.out")" = '"ping"' ] &&
    echo "ok: ipcx req0 on a -> nngcat rep0 on b" || fail "req across hosts: got [$got]"

netns_run b timeout 30 nngcat --pull0 --listen "tcp://$B:5557" --quoted --count 2 >"$D/npull.out" &
p=$!
wait_listen b 5557 &&
    { netns_run a "$IPCX" send "sp+tcp://$B:5557?proto=push0" over there || fail "ipcx push on host a"; }
wait $p || fail "nngcat pull on host b"
got=$(echo $(cat "$D/npull.out"))
[ "$got" = '"over" "there"' ] && echo "ok: ipcx push0 on a -> nngcat pull0 on b" ||
    fail "push from ipcx across hosts: got [$got]"

netns_run a "$PEER" rep "sp+tcp://$A:5558?proto=rep0" 2 >"$D/irep.out" 2>"$D/irep.err" &
p=$!
wait_listen a 5558 &&
    netns_run b timeout 30 nngcat --req0 --dial "tcp://$A:5558" --data ask --quoted --count 2 \
        --delay 1 --interval 1 >"$D/nreq.out" || fail "nngcat req on host b"
wait $p || fail "ipcx rep on host a: $(cat "$D/irep.err")"
got=$(echo $(cat "$D/nreq.out"))
[ "$got" = '"re:ask" "re:ask"' ] && echo "ok: nngcat req0 on b -> ipcx rep0 on a" ||
    fail "req from nngcat across hosts: got [$got]"

[ $fails -eq 0 ] && echo "PASS: SP across network namespaces"
exit $((fails > 0))
