#!/usr/bin/env python3
"""Tests of the Werkstück A demo across real processes.

    werkstueck_test.py WERKSTUECK count VIA    1000 values: log, values and report agree
    werkstueck_test.py WERKSTUECK sigint VIA   Ctrl-C to the group: exit 0, log complete, nothing left
    werkstueck_test.py WERKSTUECK sigkill VIA  SIGKILL of each child: the launcher notices and cleans up
    werkstueck_test.py WERKSTUECK ps           process names and parents in ps and pstree
    werkstueck_test.py WERKSTUECK badopts      bad options: one line, exit 2 or 1, nothing left

Exit 0 pass, 1 fail, 77 skip (a --via this build does not have).
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1]
MODE = sys.argv[2]
VIA = sys.argv[3] if len(sys.argv) > 3 else "pipe"
TMP = tempfile.mkdtemp(prefix=f"ipcx-t-{os.getpid()}-w.")
M64 = (1 << 64) - 1


def fail(msg):
    print(f"FAIL [{MODE} {VIA}]: {msg}")
    cleanup()
    sys.exit(1)


STARTED = []  # every launcher this test started: killed with its group if the test fails


def cleanup():
    for p in STARTED:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def values(seed, n):
    """conv's sequence: splitmix64 % 101, as werkstueck.c computes it."""
    out, s = [], seed
    for _ in range(n):
        s = (s + 0x9E3779B97F4A7C15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        out.append(z % 101)
    return out


def sysv_keys(pid):
    base = 0x57000000 | ((pid & 0x3FFFFF) << 2)
    return {base | k for k in range(3)}


def objects_of(pid):
    """Every IPC object a launcher with this pid may have made."""
    found = []
    for d in ("/tmp", "/dev/shm", "/dev/mqueue"):
        try:
            found += [f"{d}/{n}" for n in os.listdir(d) if n.startswith(f"werkstueck-{pid}-")]
        except OSError:
            pass
    keys = sysv_keys(pid)
    for kind in ("msg", "shm", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                next(f)
                for line in f:
                    key = int(line.split()[0]) & 0xFFFFFFFF
                    if key in keys:
                        found.append(f"sysv {kind} key {key:#x}")
        except OSError:
            pass
    return found


def children_of(pid):
    try:
        out = subprocess.run(["ps", "-o", "pid=,ppid=,comm=", "--ppid", str(pid)],
                             capture_output=True, text=True).stdout
    except OSError:
        return {}
    kids = {}
    for line in out.splitlines():
        p, pp, comm = line.split(None, 2)
        kids[comm.strip()] = int(p)
    return kids


def start(*args, **kw):
    p = subprocess.Popen([BIN, "--via", VIA, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)
    STARTED.append(p)
    return p


ROLES = {"conv", "log", "stat", "report"}


def wait_children(p, timeout=10):
    """The four children, once each has named itself (right after fork they are still 'werkstueck')."""
    end = time.time() + timeout
    while time.time() < end:
        kids = children_of(p.pid)
        if set(kids) == ROLES:
            return kids
        if p.poll() is not None:
            break
        time.sleep(0.05)
    fail(f"the launcher did not start its four children: {children_of(p.pid)}")


def check_gone(kids, why=""):
    """Once the launcher has exited, none of its children may still exist,
    not even as a zombie: the launcher reaps every one (after the launcher
    is gone they would belong to init, so look them up by pid)."""
    for name, pid in kids.items():
        if os.path.exists(f"/proc/{pid}"):
            fail(f"{name} (pid {pid}) still exists{why}")


def wait_lines(path, n, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path) and len(open(path).read().splitlines()) >= n:
            return
        time.sleep(0.05)
    fail(f"{path} never got {n} lines")


def check_log(path, seed, expect_n=None):
    lines = open(path).read().splitlines()
    n = len(lines)
    if expect_n is not None and n != expect_n:
        fail(f"log has {n} lines, want {expect_n}")
    want = values(seed, n)
    for i, line in enumerate(lines):
        m = re.fullmatch(r"(\d+) (\d+)", line)
        if not m or int(m.group(1)) != i + 1 or int(m.group(2)) != want[i]:
            fail(f"log line {i + 1} is {line!r}, want '{i + 1} {want[i]}'")
    return [want[i] for i in range(n)]


def check_report(out, vals):
    stats = [l for l in out.splitlines() if l.startswith("n=")]
    if not stats:
        fail(f"report printed no statistics: {out!r}")
    n, s = len(vals), sum(vals)
    want = f"n={n} sum={s} mean={s / n:.3f} min={min(vals)} max={max(vals)}"
    if stats[-1] != want:
        fail(f"report's last line {stats[-1]!r} disagrees with the log: {want!r}")


def skip_if_missing():
    r = subprocess.run([BIN, "--via", VIA, "--count", "0", "--log", f"{TMP}/probe.log"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode == 2 and "no '" in r.stderr:
        print(f"skip: {r.stderr.strip()}")
        cleanup()
        sys.exit(77)


def test_count():
    skip_if_missing()
    log = f"{TMP}/w.log"
    p = start("--count", "1000", "--interval", "0", "--seed", "12345", "--log", log)
    out, err = p.communicate(timeout=120)
    if p.returncode != 0:
        fail(f"exit {p.returncode}: {err}")
    vals = check_log(log, 12345, 1000)
    check_report(out, vals)
    if not re.search(r"throughput: 1000 values", out):
        fail(f"no throughput line with --interval 0: {out!r}")
    if objects_of(p.pid):
        fail(f"left behind: {objects_of(p.pid)}")


def test_sigint():
    skip_if_missing()
    log = f"{TMP}/w.log"
    p = start("--interval", "20", "--seed", "7", "--log", log)
    kids = wait_children(p)
    wait_lines(log, 5)
    os.killpg(p.pid, signal.SIGINT)  # Ctrl-C: the whole process group
    out, err = p.communicate(timeout=30)
    if p.returncode != 0:
        fail(f"exit {p.returncode} after SIGINT: {err}")
    vals = check_log(log, 7)
    check_report(out, vals)
    if objects_of(p.pid):
        fail(f"left behind: {objects_of(p.pid)}")
    check_gone(kids)
    # SIGTERM to the launcher alone stops everyone the same way.
    p = start("--interval", "20", "--seed", "8", "--log", f"{TMP}/w2.log")
    kids = wait_children(p)
    wait_lines(f"{TMP}/w2.log", 3)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    if p.returncode != 0:
        fail(f"exit {p.returncode} after SIGTERM to the launcher: {err}")
    check_report(out, check_log(f"{TMP}/w2.log", 8))
    check_gone(kids)
    if objects_of(p.pid):
        fail(f"left behind: {objects_of(p.pid)}")


def test_sigkill():
    skip_if_missing()
    for victim in ("conv", "log", "stat", "report"):
        p = start("--interval", "20", "--seed", "3", "--log", f"{TMP}/{victim}.log")
        kids = wait_children(p)
        wait_lines(f"{TMP}/{victim}.log", 2)
        os.kill(kids[victim], signal.SIGKILL)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            fail(f"the launcher did not stop after {victim} was killed")
        if p.returncode != 1:
            fail(f"exit {p.returncode} after SIGKILL of {victim}, want 1")
        if victim not in err:
            fail(f"the message does not name {victim}: {err!r}")
        check_gone(kids, f" after {victim} died")
        if objects_of(p.pid):
            fail(f"left behind after {victim} died: {objects_of(p.pid)}")


def test_ps():
    p = start("--interval", "50", "--log", f"{TMP}/ps.log")
    kids = wait_children(p)
    if sorted(kids) != ["conv", "log", "report", "stat"]:
        fail(f"children by name: {kids}")
    comm = open(f"/proc/{p.pid}/comm").read().strip()
    if comm != "werkstueck":
        fail(f"the launcher is called {comm!r}")
    args = open(f"/proc/{kids['conv']}/cmdline").read().split("\0")[0]
    if args != "conv":
        fail(f"conv's argv[0] is {args!r}")
    if shutil.which("pstree"):
        tree = subprocess.run(["pstree", "-p", str(p.pid)], capture_output=True, text=True).stdout
        for name in ("werkstueck", "conv", "log", "stat", "report"):
            if f"{name}(" not in tree:
                fail(f"pstree does not show {name}: {tree!r}")
    os.killpg(p.pid, signal.SIGINT)
    p.communicate(timeout=30)
    if p.returncode != 0:
        fail(f"exit {p.returncode}")


def test_badopts():
    cases = [(["--via", "nonsense"], 2), (["--count", "-1"], 2), (["--interval", "x"], 2),
             (["--frobnicate"], 2), (["extra"], 2),
             (["--log", "/nonexistent-dir/w.log", "--count", "1"], 1)]
    for args, want in cases:
        p = subprocess.Popen([BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, err = p.communicate(timeout=30)
        r = subprocess.CompletedProcess(args, p.returncode, "", err)
        if r.returncode != want:
            fail(f"{args}: exit {r.returncode}, want {want}")
        if objects_of(p.pid):
            fail(f"{args}: left behind: {objects_of(p.pid)}")
        lines = r.stderr.strip().splitlines()
        if not lines or not lines[0].startswith("werkstueck: "):
            fail(f"{args}: no error line: {r.stderr!r}")
        if want == 1 and len(lines) != 1:
            fail(f"{args}: not one line: {r.stderr!r}")
        if want == 2 and (len(lines) != 2 or "--help" not in lines[1]):
            fail(f"{args}: a usage error is one line and the --help hint: {r.stderr!r}")
    r = subprocess.run([BIN, "--help"], capture_output=True, text=True)
    if r.returncode != 0 or "Usage: werkstueck" not in r.stdout:
        fail("--help")


try:
    {"count": test_count, "sigint": test_sigint, "sigkill": test_sigkill, "ps": test_ps,
     "badopts": test_badopts}[MODE]()
except subprocess.TimeoutExpired as e:
    fail(f"timed out: {e}")
cleanup()
print(f"werkstueck {MODE} {VIA}: ok")
