#!/bin/sh
# as_nobody.sh CMD [ARG...] - run CMD as uid/gid 65534 with no groups (the
# second user of the trust tests); skip (77) when we are not root.
[ "$(id -u)" = 0 ] || { echo "skip: not root, cannot become uid 65534"; exit 77; }
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
