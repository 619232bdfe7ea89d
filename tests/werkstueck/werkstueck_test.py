#!/usr/bin/env python3
"""Tests of the Werkstück A demo across real processes.

    werkstueck_test.py WERKSTUECK count VIA    1000 values: banner, log, report and summary agree
    werkstueck_test.py WERKSTUECK banner VIA   the banner's pids and links are the real ones
    werkstueck_test.py WERKSTUECK ls VIA IPCX  ipcx ls: readers create and receive, the launcher is no user
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


class Run(subprocess.Popen):
    """A launcher whose stderr goes to a file and whose stdout is read to its
    end through the same buffer readline() used (Popen.communicate with a
    timeout reads the descriptor and would lose what readline() buffered).
    The CTest timeout bounds a launcher that never closes its stdout."""

    def communicate(self, timeout=None):
        out = self.stdout.read()
        self.wait(timeout)
        self.errfile.seek(0)
        return out, self.errfile.read()


def start(*args, **kw):
    err = tempfile.TemporaryFile("w+", dir=TMP)
    p = Run([BIN, "--via", VIA, *args], stdout=subprocess.PIPE, stderr=err, text=True,
            start_new_session=True, **kw)
    p.errfile = err
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


REPORT_RE = re.compile(r"report: value #(\d+) = (\d+); all (\d+) so far: count=(\d+) sum=(\d+) "
                       r"mean=(\d+\.\d{3}) min=(\d+) max=(\d+)")


def stats_text(vals):
    n, s = len(vals), sum(vals)
    return f"count={n} sum={s} mean={s / n:.3f} min={min(vals)} max={max(vals)}"


def check_report(out, vals):
    """Every report line: the value conv made at that place and the statistics of all before it."""
    lines = [l for l in out.splitlines() if l.startswith("report: ")]
    if not lines:
        fail(f"report printed no statistics: {out!r}")
    for i, line in enumerate(lines):
        m = REPORT_RE.fullmatch(line)
        if not m:
            fail(f"report line {i + 1} does not say what it reports: {line!r}")
        seq, value = int(m.group(1)), int(m.group(2))
        if seq != i + 1 or value != vals[i] or int(m.group(3)) != seq:
            fail(f"report line {i + 1} is {line!r}, want value #{i + 1} = {vals[i]}")
        if not line.endswith(stats_text(vals[:seq])):
            fail(f"report line {i + 1} {line!r} disagrees with the log: {stats_text(vals[:seq])}")
    if len(lines) != len(vals):
        fail(f"report printed {len(lines)} lines for {len(vals)} values")


def parse_banner(out):
    """The banner: {role: (pid, rest of the line)} and its first line."""
    lines = out.splitlines()
    if not lines or not lines[0].startswith(f"Werkstück A over {VIA}: "):
        fail(f"the banner does not name the mechanism {VIA}: {lines[:1]!r}")
    roles = {}
    for line in lines[1:6]:
        m = re.fullmatch(r"  (launcher|conv|log|stat|report) +pid (\d+) +(.*)", line)
        if not m:
            fail(f"banner line {line!r} does not name a role and its pid")
        roles[m.group(1)] = (int(m.group(2)), m.group(3))
    if set(roles) != ROLES | {"launcher"}:
        fail(f"the banner names {sorted(roles)}")
    return roles


def link_urls(roles):
    """The URL or object each receiver's banner line names."""
    urls = {}
    for r in ("log", "stat", "report"):
        m = re.match(r"receives on (\S+?)[, ]", roles[r][1])
        if not m:
            fail(f"the banner line of {r} names no link: {roles[r][1]!r}")
        urls[r] = m.group(1)
    return urls


def check_banner(p, out, kids):
    roles = parse_banner(out)
    if roles["launcher"][0] != p.pid:
        fail(f"the banner's launcher pid {roles['launcher'][0]} is not {p.pid}")
    for r in ROLES:
        if roles[r][0] != kids[r]:
            fail(f"the banner's pid of {r} is {roles[r][0]}, ps says {kids[r]}")
    urls = link_urls(roles)
    want = {"pipe": r"pipe:", "fifo": rf"fifo:/tmp/werkstueck-{p.pid}-(\w+)",
            "unix": rf"unix:/tmp/werkstueck-{p.pid}-(\w+)\.sock", "tcp": r"tcp://127\.0\.0\.1:\d+",
            "mq": rf"mq:/werkstueck-{p.pid}-(\w+)", "sysvmq": r"sysvmq:0x[0-9a-f]+",
            "shm": rf"shm:/werkstueck-{p.pid}-(\w+)", "shmsem": r"\d"}[VIA]
    for r, u in urls.items():
        m = re.match(want, u) if VIA != "shmsem" else re.search(rf"buffer \d of /dev/shm/werkstueck-{p.pid}",
                                                               roles[r][1])
        if not m or (m.groups() and m.group(1) != r):
            fail(f"{r}'s link in the banner is {u!r}, want {want}")
    if VIA == "sysvmq":
        keys = {int(u.split(":")[1], 16) for u in urls.values()}
        if keys != sysv_keys(p.pid):
            fail(f"the banner's System V keys {urls} are not the launcher's")
    return urls


def check_summary(out, vals, urls, log):
    """The summary: the values as the log has them, the mechanism, throughput, what was removed."""
    text = out[out.find(f"summary of Werkstück A over {VIA}:"):]
    if not text:
        fail(f"no summary naming {VIA}: {out!r}")
    m = re.search(r"^  values      (.*)$", text, re.M)
    if not m or m.group(1) != stats_text(vals):
        fail(f"the summary's values {m and m.group(1)!r} disagree with the log: {stats_text(vals)}")
    m = re.search(r"^  throughput  ([\d.]+) values/s \(report got values 1 to (\d+) in ", text, re.M)
    if not m or int(m.group(2)) != len(vals):
        fail(f"no throughput of {len(vals)} values in the summary: {text!r}")
    if not re.search(rf"^  log         {len(vals)} lines? appended to {re.escape(log)}$", text, re.M):
        fail(f"the summary does not count the log's {len(vals)} lines: {text!r}")
    m = re.search(r"^  removed     (.*)$", text, re.M)
    if not m:
        fail(f"the summary says nothing of what was removed: {text!r}")
    removed = m.group(1)
    if VIA in ("pipe", "tcp"):
        if not removed.startswith("nothing"):
            fail(f"over {VIA} nothing is named, yet the summary removed {removed!r}")
    elif VIA == "shmsem":
        if not removed.startswith("/dev/shm/werkstueck-"):
            fail(f"the summary does not name the segment: {removed!r}")
    else:
        for r, u in urls.items():
            if u not in removed.split(", "):
                fail(f"the summary does not name {r}'s {u} as removed: {removed!r}")


def skip_if_missing():
    r = subprocess.run([BIN, "--via", VIA, "--count", "0", "--log", f"{TMP}/probe.log"],
                       capture_output=True, text=True, timeout=30)
    if r.returncode == 2 and "no '" in r.stderr:
        print(f"skip: {r.stderr.strip()}")
        cleanup()
        sys.exit(77)


def test_count():
    """1000 values flat out: banner, every report line, summary and log agree; nothing left."""
    skip_if_missing()
    log = f"{TMP}/w.log"
    p = start("--count", "1000", "--interval", "0", "--seed", "12345", "--log", log)
    # The banner comes before the first value: read it while the four still run.
    head = [p.stdout.readline() for _ in range(6)]
    kids = children_of(p.pid)
    rest, err = p.communicate(timeout=120)
    out = "".join(head) + rest
    if p.returncode != 0:
        fail(f"exit {p.returncode}: {err}")
    if set(kids) == ROLES:  # all four still running when we looked (not a given at 1000 values)
        urls = check_banner(p, out, kids)
    else:
        urls = link_urls(parse_banner(out))
    vals = check_log(log, 12345, 1000)
    check_report(out, vals)
    check_summary(out, vals, urls, log)
    if objects_of(p.pid):
        fail(f"left behind: {objects_of(p.pid)}")


def test_banner():
    """The banner's pids are the processes ps shows, its links are the objects that exist."""
    skip_if_missing()
    log = f"{TMP}/b.log"
    p = start("--interval", "50", "--seed", "5", "--log", log)
    head = "".join(p.stdout.readline() for _ in range(6))
    kids = wait_children(p)
    urls = check_banner(p, head, kids)
    wait_lines(log, 3)
    if VIA in ("fifo", "unix"):
        for r, u in urls.items():
            if not os.path.exists(u.split(":", 1)[1]):
                fail(f"{r}'s {u} named in the banner does not exist")
    if VIA in ("mq", "shm"):
        d = "/dev/mqueue" if VIA == "mq" else "/dev/shm"
        for r, u in urls.items():
            if not os.path.exists(d + u.split(":", 1)[1]):
                fail(f"{r}'s {u} named in the banner is not in {d}")
    os.killpg(p.pid, signal.SIGINT)
    rest, err = p.communicate(timeout=30)
    if p.returncode != 0:
        fail(f"exit {p.returncode}: {err}")
    vals = check_log(log, 5)
    check_report(head + rest, vals)
    check_summary(head + rest, vals, urls, log)
    if objects_of(p.pid):
        fail(f"left behind: {objects_of(p.pid)}")


def sysv_key(url):
    """The key of a sysvmq:0xKEY URL as ipcx ls prints it; None for another
    form (sysvmq:?id=N: a queue of another program, listed by its id)."""
    try:
        return int(url.split(":", 1)[1], 16)
    except ValueError:
        return None


def test_ls():
    """ipcx ls: each reader is the creator and receiver of its link, conv and stat send, the launcher is no user."""
    ipcx = sys.argv[4]
    skip_if_missing()
    p = start("--interval", "50", "--log", f"{TMP}/ls.log")
    kids = wait_children(p)
    wait_lines(f"{TMP}/ls.log", 2)
    import json
    doc = json.loads(subprocess.run([ipcx, "ls", "--json"], capture_output=True, text=True,
                                    timeout=60).stdout)
    mine = [o for o in doc["objects"] if f"werkstueck-{p.pid}-" in o["url"] or
            (VIA == "sysvmq" and o["type"] == "sysv-msg" and
             sysv_key(o["url"]) in sysv_keys(p.pid))]
    if len(mine) != 3:
        fail(f"ipcx ls shows {len(mine)} objects of this run, want 3: {[o['url'] for o in mine]}")
    for o in mine:
        link = next((r for r in ("log", "stat", "report") if o["url"].endswith(r) or
                     o["url"].endswith(r + ".sock")), None)
        if VIA == "sysvmq":
            link = ("log", "stat", "report")[sysv_key(o["url"]) & 3]
        users = {u["pid"]: set(u["roles"]) for u in o["users"]}
        reader = kids[link]
        sender = kids["stat" if link == "report" else "conv"]
        if not {"creator", "recv"} <= users.get(reader, set()):
            fail(f"{o['url']}: {link} (pid {reader}) is not shown as creator and receiver: {o['users']}")
        if "send" not in users.get(sender, set()):
            fail(f"{o['url']}: its sender (pid {sender}) is not shown as sending: {o['users']}")
        if p.pid in users:
            fail(f"{o['url']}: the launcher (pid {p.pid}) is shown as a user: {o['users']}")
        for pid, roles in users.items():
            if pid != reader and roles & {"recv", "creator"}:
                fail(f"{o['url']}: pid {pid} is shown as {roles}, but {link} is its reader")
    os.killpg(p.pid, signal.SIGINT)
    p.communicate(timeout=30)
    if p.returncode != 0 or objects_of(p.pid):
        fail(f"exit {p.returncode}, left {objects_of(p.pid)}")


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
             (["--frobnicate"], 2), (["extra"], 2), (["--role", "conv"], 2),
             (["--role", "stat", "--listen", "unix:@ipcx-t-x"], 2),
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
    {"count": test_count, "banner": test_banner, "ls": test_ls, "sigint": test_sigint, "sigkill": test_sigkill, "ps": test_ps,
     "badopts": test_badopts}[MODE]()
except subprocess.TimeoutExpired as e:
    fail(f"timed out: {e}")
except Exception as e:  # a bug of the test itself: still kill what it started
    fail(f"{type(e).__name__}: {e}")
cleanup()
print(f"werkstueck {MODE} {VIA}: ok")
