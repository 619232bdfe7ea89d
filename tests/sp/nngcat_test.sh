#!/bin/bash
# nngcat_test.sh IPCX SP_PEER - the SP schemes against the real nngcat
# (nng-utils), over TCP (sp+tcp: / tcp://) and Unix sockets (sp+unix: /
# ipc://), each protocol both ways: ipcx listens and nngcat dials, then the
# reverse.  The ipcx side is `ipcx send` / `ipcx recv` (push0, pull0, pub0,
# sub0), `ipcx req` / `ipcx rep` (req0, rep0 on the request/reply calls) or
# sp_peer (req0, rep0 on ipcx_send/ipcx_recv, pair0, surveyor0, respondent0).  bus0 is not
# in nngcat: sp_nng (libnng) tests it.
#
# nngcat quirks: --pair means pair1 (so --pair0); its req0 and surveyor0
# and pair0 fail with "Cannot set recv timeout" unless --interval is given;
# nngcat leaves the socket file of an ipc:// listener behind; a dialing
# nngcat gives up when nobody listens yet, so every listener is waited for.
T=ipcx-t-$$-spcat
. "$(dirname "$0")/../lib.sh"
PEER=$(readlink -f "${2:?usage: $0 IPCX SP_PEER}")
command -v nngcat >/dev/null || { echo "SKIP: nngcat is missing (Debian nng-utils)"; exit 77; }

# Wait until something listens on TCP port $1 or Unix socket file $1 (at most 20 s).
wait_listen() {
    for _ in $(seq 200); do
        case $1 in
        /*) [ -S "$1" ] && return 0 ;;
        *) ss -Hltn "sport = :$1" | grep -q . && return 0 ;;
        esac
        sleep 0.1
    done
    echo "nobody listens on $1"
    return 1
}
# expect NAME WANT GOT: the outputs must be equal.
expect() {
    if [ "$2" != "$3" ]; then
        fail "$1: want [$2], got [$3]"
    else
        echo "ok: $1"
    fi
}
# Run CMD in the background with its output in $D/$1.out; sets $bg.
bg_run() {
    local out=$1
    shift
    "$@" >"$D/$out.out" 2>"$D/$out.err" &
    bg=$!
    pids="$pids $bg"
}
# Wait for background pid $1 (at most 30 s, then kill it): its status.
bg_wait() {
    for _ in $(seq 300); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null
    wait "$1"
}
NC="timeout 30 nngcat"

one_carrier() {
    local carrier=$1 nurl iurl where
    # $1: tcp or ipc.  Each case makes its own address.
    # ilisten: the next address is one ipcx listens on (its file must go).
    addr() {
        if [ "$carrier" = tcp ]; then
            free_port   # tests/lib.sh
            where=$port
            nurl=tcp://127.0.0.1:$port
            iurl=sp+tcp://127.0.0.1:$port
        else
            where=$D/s$((n += 1))
            nurl=ipc://$where
            iurl=sp+unix:$where
            [ "${1:-}" = ipcx ] && ours="$ours $where"
        fi
    }
    local n=0

    # push0 -> pull0, ipcx listens
    addr ipcx
    bg_run pull "$IPCX" recv -n 3 -t 20000 "$iurl?proto=pull0"
    wait_listen "$where" || fail "$carrier pull listen"
    $NC --push0 --dial "$nurl" --data hello --count 3 --delay 1 || fail "$carrier nngcat push"
    bg_wait $bg || fail "$carrier ipcx pull: $(cat "$D/pull.err")"
    expect "$carrier nngcat push0 -> ipcx pull0" "hello hello hello" "$(echo $(cat "$D/pull.out"))"

    # push0 -> pull0, ipcx dials
    addr
    bg_run pull $NC --pull0 --listen "$nurl" --quoted --count 2
    wait_listen "$where" || fail "$carrier nngcat pull listen"
    "$IPCX" send "$iurl?proto=push0" one two || fail "$carrier ipcx push"
    bg_wait $bg || fail "$carrier nngcat pull"
    expect "$carrier ipcx push0 -> nngcat pull0" '"one" "two"' "$(echo $(cat "$D/pull.out"))"

    # req0 -> rep0, ipcx listens (nngcat asks twice, ipcx answers)
    addr ipcx
    bg_run rep "$PEER" rep "$iurl?proto=rep0" 2
    wait_listen "$where" || fail "$carrier rep listen"
    $NC --req0 --dial "$nurl" --data ask --quoted --count 2 --delay 1 --interval 1 \
        >"$D/req.out" || fail "$carrier nngcat req"
    bg_wait $bg || fail "$carrier ipcx rep: $(cat "$D/rep.err")"
    expect "$carrier nngcat req0 -> ipcx rep0" '"re:ask" "re:ask"' "$(echo $(cat "$D/req.out"))"

    # req0 -> rep0, ipcx dials
    addr
    bg_run rep $NC --rep0 --listen "$nurl" --data answer --quoted --count 2
    wait_listen "$where" || fail "$carrier nngcat rep listen"
    "$PEER" req "$iurl?proto=req0" q1 q2 >"$D/req.out" || fail "$carrier ipcx req"
    bg_wait $bg || fail "$carrier nngcat rep"
    expect "$carrier ipcx req0 -> nngcat rep0 (replies)" "answer answer" "$(echo $(cat "$D/req.out"))"
    expect "$carrier ipcx req0 -> nngcat rep0 (requests)" '"q1" "q2"' "$(echo $(cat "$D/rep.out"))"

    # The request/reply commands (ipcx_request, ipcx_serve, ipcx_reply): ipcx rep
    # answers nngcat's req0 with a command's output, ipcx req asks nngcat's rep0.
    addr ipcx
    bg_run irep "$IPCX" rep -n 2 "$iurl?proto=rep0" -- tr a-z A-Z
    wait_listen "$where" || fail "$carrier ipcx rep listen"
    $NC --req0 --dial "$nurl" --data shout --quoted --count 2 --delay 1 --interval 1 \
        >"$D/req.out" || fail "$carrier nngcat req to ipcx rep"
    bg_wait $bg || fail "$carrier ipcx rep: $(cat "$D/irep.err")"
    expect "$carrier nngcat req0 -> ipcx rep" '"SHOUT" "SHOUT"' "$(echo $(cat "$D/req.out"))"

    addr
    bg_run rep $NC --rep0 --listen "$nurl" --data answer --quoted --count 1
    wait_listen "$where" || fail "$carrier nngcat rep listen"
    got=$("$IPCX" req -t 20000 "$iurl?proto=req0" question) || fail "$carrier ipcx req"
    bg_wait $bg || fail "$carrier nngcat rep for ipcx req"
    expect "$carrier ipcx req -> nngcat rep0 (reply)" answer "$got"
    expect "$carrier ipcx req -> nngcat rep0 (request)" '"question"' "$(cat "$D/rep.out")"

    # pub0 -> sub0 with a topic, ipcx listens: "other" must be filtered out
    addr ipcx
    bg_run sub "$IPCX" recv -n 2 -t 20000 "$iurl?proto=sub0&subscribe=top"
    wait_listen "$where" || fail "$carrier sub listen"
    $NC --pub0 --dial "$nurl" --data other --count 1 --delay 1 || fail "$carrier nngcat pub"
    $NC --pub0 --dial "$nurl" --data topic --count 2 --delay 1 || fail "$carrier nngcat pub"
    bg_wait $bg || fail "$carrier ipcx sub: $(cat "$D/sub.err")"
    expect "$carrier nngcat pub0 -> ipcx sub0 ?subscribe=top" "topic topic" "$(echo $(cat "$D/sub.out"))"

    # pub0 -> sub0, ipcx dials and publishes; nngcat subscribes to "top"
    addr
    bg_run sub $NC --sub0 --listen "$nurl" --subscribe top --quoted --count 1
    wait_listen "$where" || fail "$carrier nngcat sub listen"
    "$IPCX" send "$iurl?proto=pub0" other topical || fail "$carrier ipcx pub"
    bg_wait $bg || fail "$carrier nngcat sub"
    expect "$carrier ipcx pub0 -> nngcat sub0 --subscribe top" '"topical"' "$(cat "$D/sub.out")"

    # pair0, ipcx listens: each side sends one and prints one
    addr ipcx
    bg_run pair "$PEER" pair "$iurl?proto=pair0" 1 from-ipcx
    wait_listen "$where" || fail "$carrier pair listen"
    $NC --pair0 --dial "$nurl" --data from-nng --quoted --count 1 --delay 1 --interval 1 \
        >"$D/npair.out" ||
        fail "$carrier nngcat pair0"
    bg_wait $bg || fail "$carrier ipcx pair: $(cat "$D/pair.err")"
    expect "$carrier nngcat pair0 -> ipcx pair0" from-nng "$(cat "$D/pair.out")"
    expect "$carrier ipcx pair0 -> nngcat pair0" '"from-ipcx"' "$(cat "$D/npair.out")"

    # pair0, ipcx dials
    addr
    bg_run npair $NC --pair0 --listen "$nurl" --data from-nng --quoted --count 1 --interval 1
    wait_listen "$where" || fail "$carrier nngcat pair listen"
    "$PEER" pair "$iurl?proto=pair0&role=dial" 1 from-ipcx >"$D/pair.out" ||
        fail "$carrier ipcx pair0 dial"
    bg_wait $bg || fail "$carrier nngcat pair0 listen"
    expect "$carrier nngcat pair0 (listening) -> ipcx" from-nng "$(cat "$D/pair.out")"
    expect "$carrier ipcx pair0 (dialing) -> nngcat" '"from-ipcx"' "$(cat "$D/npair.out")"

    # surveyor0 -> respondent0, ipcx listens and answers
    addr ipcx
    bg_run resp "$PEER" respond "$iurl?proto=respondent0" 1
    wait_listen "$where" || fail "$carrier respondent listen"
    $NC --surveyor0 --dial "$nurl" --data poll --quoted --count 1 --delay 1 --interval 1 \
        >"$D/survey.out" || fail "$carrier nngcat surveyor"
    bg_wait $bg || fail "$carrier ipcx respondent: $(cat "$D/resp.err")"
    expect "$carrier nngcat surveyor0 -> ipcx respondent0" '"re:poll"' "$(cat "$D/survey.out")"

    # surveyor0 -> respondent0, ipcx surveys, nngcat answers
    addr
    bg_run resp $NC --respondent0 --listen "$nurl" --data yes --quoted --count 1
    wait_listen "$where" || fail "$carrier nngcat respondent listen"
    "$PEER" survey "$iurl?proto=surveyor0" poll 1 >"$D/survey.out" || fail "$carrier ipcx survey"
    bg_wait $bg || fail "$carrier nngcat respondent"
    expect "$carrier ipcx surveyor0 -> nngcat respondent0" yes "$(cat "$D/survey.out")"

    # The wrong protocol: the open fails and says which protocols met.
    addr
    bg_run pub $NC --pub0 --listen "$nurl" --data x --count 1 --delay 20
    wait_listen "$where" || fail "$carrier nngcat pub listen"
    if "$IPCX" send "$iurl?proto=push0" x 2>"$D/mis.err"; then
        fail "$carrier push0 to a pub0 peer was sent"
    fi
    grep -q "speaks pub0 (0x20), this push0 end talks to pull0" "$D/mis.err" ||
        fail "$carrier the mismatch detail: $(cat "$D/mis.err")"
    kill -9 $bg 2>/dev/null
    wait $bg 2>/dev/null
}

ours=""
one_carrier tcp
one_carrier ipc
# ipcx removed every socket file it bound (the others are nngcat's, and go with $D).
for f in $ours; do
    [ -e "$f" ] && fail "ipcx left its socket file $f"
done
[ $fails -eq 0 ] && echo "PASS: nngcat interop"
exit $((fails > 0))
