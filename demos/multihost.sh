#!/bin/sh
# multihost.sh - Werkstück A across two hosts, as root: conv on host A; log,
# stat and report on host B, linked over tcp:// (or --scheme sp+tcp, nng's
# wire).  The hosts are network namespaces on this machine joined by a veth
# pair (tests/netns.sh), with addresses in a /24 that exists only inside them.  The same seed is run on
# one host first; the split run must agree with it value for value (the
# log, every report line and the statistics).  Everything it made
# (namespaces, veths, processes, files) is removed at the end, also when it
# fails or is stopped.  See docs/multihost.md.
#
# Usage: multihost.sh [--count N] [--seed S] [--interval MS] [--scheme SCHEME] [--keep DIR]
#                     [--forever] PATH/TO/werkstueck
# --forever: no reference run, and conv runs until the script is stopped.
# Exit status: 0 the runs agree, 1 they do not or a step failed, 2 bad
# usage, 77 this machine forbids namespaces (or we are not root).
set -u
COUNT=1000
SEED=20260
INTERVAL=0
SCHEME=tcp
KEEP=""
FOREVER=0
usage() {
    echo "usage: multihost.sh [--count N] [--seed S] [--interval MS] [--scheme tcp|sp+tcp] [--keep DIR] [--forever] PATH/TO/werkstueck" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
    --count) COUNT=${2:?}; shift 2 ;;
    --seed) SEED=${2:?}; shift 2 ;;
    --interval) INTERVAL=${2:?}; shift 2 ;;
    --scheme) SCHEME=${2:?}; shift 2 ;;
    --keep) KEEP=${2:?}; shift 2 ;;
    --forever) FOREVER=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "multihost.sh: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || usage
W=$1
[ -x "$W" ] || { echo "multihost.sh: $W is not an executable" >&2; exit 2; }

. "$(dirname "$0")/../tests/netns.sh"
netns_possible || exit 77

D=$(mktemp -d "/tmp/ipcx-multihost-$$.XXXXXX") || exit 1
netns_hosts a b || { rm -rf "$D"; exit 1; }
done_=0
finish() {
    netns_teardown
    if [ -n "$KEEP" ] && [ $done_ -eq 1 ]; then
        mkdir -p "$KEEP" && cp "$D"/* "$KEEP"/
    fi
    rm -rf "$D"
}
trap finish EXIT
A=$(netns_addr a)
B=$(netns_addr b)
# sp+ schemes (nng's wire) name the protocol: push0 on conv's and stat's
# sending ends, pull0 on the receivers' (the flags pick the side of one URL).
case "$SCHEME" in
sp+*) url() { echo "$SCHEME://$B:$1?proto=push0"; } ;;
*) url() { echo "$SCHEME://$B:$1"; } ;;
esac
echo "== hosts: a = $A ($(netns_name a)), b = $B ($(netns_name b)), a veth pair between them"

# The reference: the same seed on one host (host a, all four over tcp on 127.0.0.1).
if [ $FOREVER -eq 1 ]; then
    echo "== no reference run: conv runs until this script is stopped"
else
netns_run a timeout 120 "$W" --via tcp --count "$COUNT" --seed "$SEED" --interval "$INTERVAL" \
    --log "$D/one.log" >"$D/one.out" 2>"$D/one.err" ||
    { echo "== the one-host run failed:"; cat "$D/one.err"; exit 1; }
echo "== one host: $(grep -c '^report: ' "$D/one.out") report lines, $(wc -l <"$D/one.log") log lines"
fi

# The split: receivers first on b (each waits for its senders), then conv on a.
role() { # HOST NAME ARGS...
    h=$1 r=$2
    shift 2
    netns_run "$h" timeout 120 "$W" --role "$r" "$@" >"$D/$r.out" 2>"$D/$r.err" &
    PIDS="$PIDS $!"
}
PIDS=""
role b report --listen "$(url 7003)"
role b stat --listen "$(url 7002)" --connect "$(url 7003)"
role b log --listen "$(url 7001)" --log "$D/split.log"
if [ $FOREVER -eq 1 ]; then
    netns_run a "$W" --role conv --connect "$(url 7001)" --connect "$(url 7002)" --seed "$SEED" \
        --interval "$INTERVAL" >"$D/conv.out" 2>"$D/conv.err" &
    PIDS="$PIDS $!"
else
    role a conv --connect "$(url 7001)" --connect "$(url 7002)" --count "$COUNT" --seed "$SEED" \
        --interval "$INTERVAL"
fi
status=0
for j in $PIDS; do
    wait "$j" || status=1
done
for r in conv log stat report; do
    echo "== $r: $(head -n 1 "$D/$r.out")"
    [ -s "$D/$r.err" ] && sed 's/^/   stderr: /' "$D/$r.err"
done
[ $status -eq 0 ] || { echo "== a role of the split run failed"; exit 1; }

# Agree value for value: the log, every report line, the statistics at the end.
agree=0
cmp -s "$D/one.log" "$D/split.log" || { echo "== the logs differ"; agree=1; }
grep '^report: ' "$D/one.out" >"$D/one.rep"
grep '^report: ' "$D/report.out" >"$D/split.rep"
cmp -s "$D/one.rep" "$D/split.rep" || { echo "== the report lines differ"; agree=1; }
want=$(sed -n 's/^  values      //p' "$D/one.out")
got=$(sed -n 's/^summary of report: \(count=[^;]*\);.*/\1/p' "$D/report.out")
[ -n "$want" ] && [ "$want" = "$got" ] || { echo "== the statistics differ: one host '$want', split '$got'"; agree=1; }
[ "$(wc -l <"$D/split.log")" -eq "$COUNT" ] || { echo "== the split log has not $COUNT lines"; agree=1; }
if [ $agree -eq 0 ]; then
    echo "== conv on a and log, stat, report on b agree with one host: $want"
fi
echo "== $(tail -n 1 "$D/report.out")"
done_=1
exit $agree
