#!/usr/bin/env python3
"""Side-by-side benchmark: rmq-broker against the Apache RocketMQ 5.3.3 broker, each driven
by two clients (rmq's `rmq-bench` and the official Java client, tests/java/client
`rmq.driver.JavaClient bench-produce|bench-consume`).

    cargo build --release -p rmq --bin rmq-bench -p rmq-broker --bin rmq-broker
    python3 tests/interop/bench_vs_apache.py --runs 5 --duration 10

Scenarios (`--scenarios 1,2,...`; 1-5 once per client of `--clients rmq,java`):

  1  sync send, 1 thread, 1 KiB                          tps, p50, p99
  2  async send, 256 in flight                           tps
  3  batch send, 32 x 1 KiB per request, 4 threads       msgs/s
  4  SYNC_FLUSH brokers, sync send, 16 threads           tps, p99
  5  produce -> consume at 5,000 msg/s (sync producer, `--latency-threads` 16 sharing the
     rate, + push consumer of the same client)           born->consumed p50, p99, p99.9
  6  idle RSS of the broker side 5 s after start (rmq: the `standalone` process; Apache:
     name server + broker JVMs summed; VmRSS)
  7  start-up, exec -> registered (rmq: `broker registered with namesrv`; Apache: exec of the
     name server -> its RMQ_HARNESS_READY -> exec of the broker -> the broker's
     RMQ_HARNESS_READY, i.e. registered)
  8  transactions, commit path, 1 thread: `rmq-bench producer --mode tx` (half message, local
     transaction that commits at once, oneway END_TRANSACTION); rmq's client only (not in the
     default --scenarios)

Every measured run gets a fresh broker (fresh store directory) with the benchmark topic
created through UPDATE_AND_CREATE_TOPIC (8 read/write queues) the same way on both, waits
until the machine is idle (`--min-idle`, from /proc/stat), runs the client, records the result
and the CPU seconds of every process (per thread group for the servers), stops the broker and
removes its directory. Rounds alternate the order of the brokers (rmq first in odd rounds,
Apache first in even ones). Producers run `--warmup` seconds (the same for every broker and
client: JIT warm-up of the JVMs) before `--duration` measured seconds.

The output: one line per run as it happens, a Markdown table of medians (min-max) and the
ratio "how many times better rmq-broker is" (rmq/Apache for throughput, Apache/rmq for
latency, RSS and start-up), and a `RESULT {json}` line with everything (also written to
`--out`). Python 3 standard library only.
"""
import argparse
import datetime
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLK = os.sysconf("SC_CLK_TCK")

APACHE_DIR = os.path.join(ROOT, "tests", "java", "apache")
APACHE_TARGET = os.path.join(APACHE_DIR, "target", "5.3.3")
CLIENT_DIR = os.path.join(ROOT, "tests", "java", "client")

NAMESRV_JVM = ["-Xms512m", "-Xmx512m", "-XX:+UseG1GC"]
BROKER_JVM = ["-Xms1g", "-Xmx1g", "-XX:MaxDirectMemorySize=1g", "-XX:+UseG1GC"]
CLIENT_JVM = ["-Xms512m", "-Xmx512m", "-XX:+UseG1GC"]

QUEUES = 8
BODY = 1024
LATENCY_RATE = 5000
CONSUMER_SETTLE_S = 2  # consumer ready -> producer start (rebalance, first pulls held)

REQUEST_UPDATE_AND_CREATE_TOPIC = 17
REQUEST_GET_ROUTEINFO_BY_TOPIC = 105


class BenchError(Exception):
    pass


def log(msg=""):
    print(msg, flush=True)


# --------------------------------------------------------------------------- processes

CHILDREN = []  # every Popen started, killed (process group) at exit if still running


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, start_new_session=True, **kw)
    CHILDREN.append(p)
    return p


def kill_group(p, sig=signal.SIGKILL):
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def reap(p, timeout):
    try:
        p.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def kill_all_children():
    for p in CHILDREN:
        if p.poll() is None:
            kill_group(p, signal.SIGKILL)
            reap(p, 10)


class Proc:
    """A child process whose stdout+stderr lines are read by a thread, time-stamped relative
    to just before its exec, and copied to a log file."""

    def __init__(self, name, cmd, log_path, env=None, cwd=None, stdin=False):
        self.name = name
        self.log_path = log_path
        self.lines = []  # (seconds since t0, line)
        self.cond = threading.Condition()
        self.eof = False
        self._log = open(log_path, "w", buffering=1)
        self._log.write("$ " + " ".join(cmd) + "\n")
        self.t0 = time.perf_counter()
        self.p = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                       env=env, cwd=cwd, text=True, bufsize=1, errors="replace")
        self.pid = self.p.pid
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            now = time.perf_counter() - self.t0
            with self.cond:
                self.lines.append((now, line.rstrip("\n")))
                self.cond.notify_all()
            try:
                self._log.write(line)
            except ValueError:
                pass
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, regex, timeout):
        """(seconds since exec, match) of the first line matching `regex`; None when the
        process closed its output or `timeout` passed first."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for t, line in self.lines[seen:]:
                    m = rx.search(line)
                    if m:
                        return t, m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(min(left, 0.5))

    def text(self):
        with self.cond:
            return "\n".join(l for _, l in self.lines)

    def wait_eof(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.eof and time.monotonic() < deadline:
                self.cond.wait(0.2)

    def close_log(self):
        self.wait_eof(2)
        try:
            self._log.close()
        except Exception:
            pass


def keep_log(sources, label):
    """Copies the log files `sources` into one file that outlives the run's temp dirs."""
    path = os.path.join(tempfile.gettempdir(),
                        f"bench_vs_apache-{label}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
    with open(path, "w") as out:
        for src in sources:
            out.write(f"===== {src} =====\n")
            try:
                with open(src, errors="replace") as f:
                    out.write(f.read())
            except OSError as e:
                out.write(f"(unreadable: {e})\n")
    return path


def tail(text, n=30):
    return "\n".join(text.splitlines()[-n:])


# --------------------------------------------------------------------------- /proc

def cpu_seconds(pid):
    """(user, system) CPU seconds of a live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / CLK, int(fields[12]) / CLK
    except (OSError, IndexError):
        return None


def thread_cpu(pid):
    """{thread-group name: CPU seconds} of a live process; names lose their trailing numbers
    (NettyServerCodecThread_3 -> NettyServerCodecThread)."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        name = re.sub(r"[\s_#-]*\d+$", "", comm).strip() or comm
        name = re.sub(r"(_\d+)+$", "", name)
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK
    return out


def thread_delta(before, after, top=8):
    d = {k: round(after.get(k, 0.0) - before.get(k, 0.0), 2) for k in after}
    d = {k: v for k, v in d.items() if v > 0}
    return dict(sorted(d.items(), key=lambda kv: -kv[1])[:top])


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_sample():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return idle, sum(v[:8])


def idle_pct(seconds=1.0):
    i0, t0 = cpu_sample()
    time.sleep(seconds)
    i1, t1 = cpu_sample()
    return 100.0 * (i1 - i0) / max(1, t1 - t0)


def wait_idle(min_idle, timeout):
    """Waits until the machine was >= min_idle % idle over one second; returns that idle %
    (or the best seen when `timeout` passed, with a warning)."""
    deadline = time.monotonic() + timeout
    best = 0.0
    while True:
        pct = idle_pct(1.0)
        best = max(best, pct)
        if pct >= min_idle:
            return pct
        if time.monotonic() >= deadline:
            log(f"   WARNING: machine not {min_idle:.0f}% idle after {timeout:.0f} s (best {best:.1f}%); "
                "measuring anyway")
            return pct


# --------------------------------------------------------------------------- remoting

def remoting_call(addr, code, ext_fields, timeout=10):
    """One JSON-header remoting request on a fresh connection: (response header, body).

    frame = length:u32 BE (of the rest) | header length:u32 BE (high byte 0 = JSON) | header | body
    """
    header = json.dumps({"code": code, "language": "JAVA", "version": 401, "opaque": 1, "flag": 0,
                         "extFields": {k: str(v) for k, v in ext_fields.items()}}).encode()
    frame = struct.pack(">II", 4 + len(header), len(header)) + header
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(frame)

        def read(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise BenchError(f"request {code} to {addr}: connection closed")
                buf += chunk
            return buf

        (length,) = struct.unpack(">I", read(4))
        rest = read(length)
    (hl,) = struct.unpack(">I", rest[:4])
    if hl >> 24 != 0:
        raise BenchError(f"request {code} to {addr}: response header not JSON")
    hl &= 0xFFFFFF
    return json.loads(rest[4:4 + hl]), rest[4 + hl:]


def create_topic(broker_addr, namesrv, topic, queues=QUEUES):
    """UPDATE_AND_CREATE_TOPIC on the broker, then waits (<= 20 s) for the route."""
    h, _ = remoting_call(broker_addr, REQUEST_UPDATE_AND_CREATE_TOPIC, {
        "topic": topic, "defaultTopic": "TBW102", "readQueueNums": queues,
        "writeQueueNums": queues, "perm": 6, "topicFilterType": "SINGLE_TAG",
        "topicSysFlag": 0, "order": "false"})
    if h.get("code") != 0:
        raise BenchError(f"creating topic {topic} on {broker_addr} failed: {h}")
    deadline = time.monotonic() + 20
    while True:
        h, body = remoting_call(namesrv, REQUEST_GET_ROUTEINFO_BY_TOPIC, {"topic": topic})
        if h.get("code") == 0 and body.count(b"queueId") + body.count(b"readQueueNums") > 0:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"{namesrv} has no route of {topic} 20 s after it was created: {h}")
        time.sleep(0.05)


# --------------------------------------------------------------------------- ports

def bindable(port):
    for host in ("127.0.0.1", "0.0.0.0"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


_PORT = [21000 + random.randrange(0, 2000) * 5]


def free_java_port():
    """A port p below the ephemeral range with p-2 .. p+1 free (a Java broker listens on
    listenPort, listenPort-2 (VIP channel) and listenPort+1 (HA))."""
    for _ in range(4000):
        p = _PORT[0]
        _PORT[0] = 21000 if p > 31000 else p + 5
        if all(bindable(q) for q in range(p - 2, p + 2)):
            return p
    raise BenchError("no free port range for a Java broker")


# --------------------------------------------------------------------------- brokers

class RmqBroker:
    kind = "rmq"

    def __init__(self, binary, flush, tmp_root):
        self.dir = tempfile.mkdtemp(prefix="rmq-broker-", dir=tmp_root)
        self.flush = flush
        conf = os.path.join(self.dir, "broker.conf")
        with open(conf, "w") as f:
            f.write("brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\n"
                    "brokerRole=ASYNC_MASTER\nbrokerIP1=127.0.0.1\nlistenPort=0\n"
                    f"flushDiskType={flush}\nstorePathRootDir={self.dir}/store\n"
                    "autoCreateTopicEnable=true\ndiskMaxUsedSpaceRatio=95\n"
                    "diskSpaceWarningLevelRatio=0.99\n")
        self.proc = Proc("rmq-broker", [binary, "standalone", "-c", conf, "--namesrv-port", "0"],
                         os.path.join(self.dir, "standalone.log"))
        self.procs = {"standalone": self.proc}
        try:
            r = self.proc.wait_for(r"broker registered with namesrv", 30)
            if r is None:
                raise self._failed("exited" if self.proc.eof else "no 'broker registered' line in 30 s")
            self.startup_ms = r[0] * 1000
            ns = self.proc.wait_for(r"namesrv listening on (\S+)", 1)
            br = self.proc.wait_for(r"broker listening on (\S+)", 1)
            if ns is None or br is None:
                raise self._failed("no 'listening on' lines")
            self.namesrv = ns[1].group(1).replace("0.0.0.0", "127.0.0.1")
            self.addr = br[1].group(1).replace("0.0.0.0", "127.0.0.1")
        except BaseException:
            self.stop()
            raise

    def _failed(self, why):
        self.proc.wait_eof(1)
        kept = keep_log([self.proc.log_path], "rmq-broker")
        return BenchError(f"rmq-broker did not start ({why}); its log: {kept}\n{tail(self.proc.text())}")

    def pids(self):
        return {"standalone": self.proc.pid}

    def stop(self):
        p = self.proc.p
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            if not reap(p, 30):
                log("   WARNING: rmq-broker did not stop in 30 s after SIGTERM; killing it")
                kill_group(p)
                reap(p, 10)
        self.proc.close_log()
        shutil.rmtree(self.dir, ignore_errors=True)


class ApacheCluster:
    """An Apache RocketMQ 5.3.3 name server and broker (rmq.harness.Launch), started the way
    an operator does: the name server, then the broker once the name server is ready."""
    kind = "apache"

    def __init__(self, classpath, flush, tmp_root, java="java"):
        self.dir = tempfile.mkdtemp(prefix="apache-", dir=tmp_root)
        self.flush = flush
        self.classpath = classpath
        self.java = java
        self.ns = self.br = None
        try:
            ns_port = free_java_port()
            self.namesrv = f"127.0.0.1:{ns_port}"
            ns_work = os.path.join(self.dir, "ns")
            ns_conf = os.path.join(self.dir, "namesrv.conf")
            with open(ns_conf, "w") as f:
                f.write(f"listenPort={ns_port}\nbindAddress=127.0.0.1\n")
            t0 = time.perf_counter()
            self.ns = self._launch("namesrv", ns_work, NAMESRV_JVM, ns_conf)
            t_ns = self._ready(self.ns, ns_work)
            self.namesrv_ready_ms = (time.perf_counter() - t0) * 1000

            br_port = free_java_port()
            self.addr = f"127.0.0.1:{br_port}"
            br_work = os.path.join(self.dir, "br")
            store = os.path.join(br_work, "store")
            br_conf = os.path.join(self.dir, "broker.conf")
            with open(br_conf, "w") as f:
                f.write("brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\n"
                        f"brokerRole=ASYNC_MASTER\nflushDiskType={flush}\n"
                        f"namesrvAddr={self.namesrv}\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\n"
                        f"listenPort={br_port}\nstorePathRootDir={store}\n"
                        f"storePathCommitLog={store}/commitlog\nautoCreateTopicEnable=true\n"
                        "diskMaxUsedSpaceRatio=95\n")
            t_br0 = time.perf_counter()
            self.br = self._launch("broker", br_work, BROKER_JVM, br_conf)
            self._ready(self.br, br_work)
            t_end = time.perf_counter()
            self.startup_ms = (t_end - t0) * 1000
            self.broker_only_ms = (t_end - t_br0) * 1000
            self.namesrv_own_ms = t_ns * 1000
        except BaseException:
            self.stop()
            raise

    def _launch(self, role, work, jvm, conf):
        home = os.path.join(work, "home")
        os.makedirs(home, exist_ok=True)
        env = dict(os.environ, ROCKETMQ_HOME=home)
        cmd = [self.java, *jvm, f"-Duser.home={work}", f"-Drocketmq.home.dir={home}",
               "-Drocketmq.broker.diskSpaceWarningLevelRatio=0.99",
               f"-Drocketmq.client.logRoot={os.path.join(work, 'logs')}",
               "-cp", self.classpath, "rmq.harness.Launch", role, work, "-c", conf]
        # the launcher output lives outside WORK_DIR (Launch removes WORK_DIR when it stops)
        return Proc(f"apache-{role}", cmd, os.path.join(self.dir, f"{role}.out"), env=env,
                    cwd=self.dir, stdin=True)

    def _ready(self, proc, work):
        role = proc.name.split("-", 1)[1]
        r = proc.wait_for(rf"RMQ_HARNESS_READY {role}|RMQ_HARNESS_FAILED", 120)
        if r is None or "FAILED" in r[1].group(0):
            why = "exited" if proc.eof else ("failed" if r else "no RMQ_HARNESS_READY in 120 s")
            kill_group(proc.p)
            proc.wait_eof(2)
            server_log = os.path.join(work, "logs", "rocketmqlogs", f"{role}.log")
            kept = keep_log([proc.log_path, server_log], f"apache-{role}")
            raise BenchError(f"Apache RocketMQ 5.3.3 {role} did not start ({why}); its log: {kept} "
                             f"(launcher output and {server_log})\n{tail(proc.text())}")
        return r[0]

    def pids(self):
        return {"broker": self.br.pid, "namesrv": self.ns.pid}

    def stop(self):
        for proc in (self.br, self.ns):
            if proc is None:
                continue
            p = proc.p
            if p.poll() is None:
                try:
                    p.stdin.write("stop\n")
                    p.stdin.flush()
                    p.stdin.close()
                except (OSError, ValueError):
                    pass
                if not reap(p, 60):
                    log(f"   WARNING: Apache {proc.name} did not stop in 60 s; killing it")
                    kill_group(p)
                    reap(p, 10)
            proc.close_log()
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- clients

class Clients:
    def __init__(self, args, tmp_root):
        self.rmq_bench = args.rmq_bench
        self.java = args.java
        self.java_cp = args.client_cp
        self.java_home = os.path.join(tmp_root, "java-client-home")
        os.makedirs(self.java_home, exist_ok=True)
        self.logs = tmp_root

    def producer_cmd(self, client, ns, topic, mode, threads, duration, warmup, rate=None,
                     in_flight=256, batch=32):
        if client == "rmq":
            cmd = [self.rmq_bench, "producer", "-n", ns, "--topic", topic, "--mode", mode,
                   "--threads", str(threads), "--size", str(BODY), "--duration", str(duration),
                   "--warmup", str(warmup), "--in-flight", str(in_flight), "--batch", str(batch)]
        else:
            cmd = self._java() + ["bench-produce", "--namesrv", ns, "--topic", topic, "--mode", mode,
                                  "--threads", str(threads), "--size", str(BODY),
                                  "--duration", str(duration), "--warmup", str(warmup),
                                  "--in-flight", str(in_flight), "--batch", str(batch)]
        if rate:
            cmd += ["--rate", str(rate)]
        return cmd

    def consumer_cmd(self, client, ns, topic, group, duration, warmup):
        if client == "rmq":
            return [self.rmq_bench, "consumer", "-n", ns, "--topic", topic, "--group", group,
                    "--duration", str(duration), "--warmup", str(warmup)]
        return self._java() + ["bench-consume", "--namesrv", ns, "--topic", topic, "--group", group,
                               "--duration", str(duration), "--warmup", str(warmup)]

    def _java(self):
        return [self.java, *CLIENT_JVM, f"-Duser.home={self.java_home}",
                f"-Drocketmq.client.logRoot={os.path.join(self.java_home, 'logs')}",
                "-Drocketmq.client.logLevel=WARN", "-cp", self.java_cp, "rmq.driver.JavaClient"]

    def start(self, client, cmd, label):
        path = os.path.join(self.logs, f"client-{label}.log")
        return Proc(f"{client}-{label}", cmd, path)

    @staticmethod
    def result(client, proc):
        """The client's summary: rmq-bench's `RESULT {json}`, the Java driver's last JSON line."""
        text = proc.text()
        if client == "rmq":
            lines = [l for l in text.splitlines() if l.startswith("RESULT ")]
            if not lines:
                raise BenchError(f"rmq-bench printed no RESULT line (exit {proc.p.returncode}):\n{tail(text)}")
            return json.loads(lines[-1][len("RESULT "):])
        for line in reversed(text.splitlines()):
            line = line.strip()
            if line.startswith("{") and '"summary"' in line:
                s = json.loads(line)
                if s.get("error"):
                    raise BenchError(f"Java client: {s['error']}")
                return s
        raise BenchError(f"Java client printed no summary (exit {proc.p.returncode}):\n{tail(text)}")


def run_to_end(proc, timeout):
    if not reap(proc.p, timeout):
        kill_group(proc.p)
        reap(proc.p, 10)
        proc.close_log()
        raise BenchError(f"{proc.name} did not finish in {timeout:.0f} s:\n{tail(proc.text())}")
    proc.close_log()


# --------------------------------------------------------------------------- scenarios

SCENARIOS = {
    1: {"title": "sync send, 1 thread, 1 KiB", "flush": "ASYNC_FLUSH", "mode": "sync", "threads": 1,
        "metrics": [("tps", "msg/s", "high"), ("p50_ms", "p50 ms", "low"), ("p99_ms", "p99 ms", "low")]},
    2: {"title": "async send, 256 in flight", "flush": "ASYNC_FLUSH", "mode": "async", "threads": 1,
        "metrics": [("tps", "msg/s", "high")]},
    3: {"title": "batch send, 32 x 1 KiB, 4 threads", "flush": "ASYNC_FLUSH", "mode": "batch", "threads": 4,
        "metrics": [("tps", "msgs/s", "high")]},
    4: {"title": "SYNC_FLUSH, sync send, 16 threads", "flush": "SYNC_FLUSH", "mode": "sync", "threads": 16,
        "metrics": [("tps", "msg/s", "high"), ("p99_ms", "p99 ms", "low")]},
    5: {"title": f"produce -> consume at {LATENCY_RATE:,} msg/s, born -> consumed", "flush": "ASYNC_FLUSH", "mode": "sync",
        "threads": None, "metrics": [("p50_ms", "p50 ms", "low"), ("p99_ms", "p99 ms", "low"),
                                     ("p999_ms", "p99.9 ms", "low"),
                                     ("producer_tps", "achieved msg/s", "info")]},
    6: {"title": "idle RSS, broker side, 5 s after start", "client_independent": True,
        "metrics": [("rss_mib", "MiB", "low")]},
    7: {"title": "start-up, exec -> registered", "client_independent": True,
        "metrics": [("startup_ms", "ms", "low")]},
    8: {"title": "transactions, commit path, 1 thread (half send + local commit + oneway END_TRANSACTION)",
        "flush": "ASYNC_FLUSH", "mode": "tx", "threads": 1, "clients": ["rmq"],
        "metrics": [("tps", "tx/s", "high"), ("p50_ms", "p50 ms", "low"), ("p99_ms", "p99 ms", "low")]},
}

# "how many times better rmq is" targets, by scenario and metric
TARGETS = {("tps",): 2.0, ("p99_ms",): 2.0, ("rss_mib",): 10.0, ("startup_ms",): 20.0}


def target_for(metric):
    return TARGETS.get((metric,))


class Bench:
    def __init__(self, args, tmp_root):
        self.args = args
        self.tmp = tmp_root
        self.clients = Clients(args, tmp_root)
        self.runs = []
        self.errors = []

    def start_broker(self, kind, flush):
        if kind == "rmq":
            return RmqBroker(self.args.rmq_broker, flush, self.tmp)
        return ApacheCluster(self.args.apache_cp, flush, self.tmp, self.args.java)

    def record(self, run):
        self.runs.append(run)
        if run.get("error"):
            self.errors.append(run)
        log(describe(run))

    # ---- one measured run of scenarios 1-5
    def client_run(self, sc_id, client, broker_kind, rnd):
        sc = SCENARIOS[sc_id]
        a = self.args
        run = {"scenario": sc_id, "client": client, "broker": broker_kind, "round": rnd}
        broker = None
        try:
            run["idle_before_start_pct"] = round(wait_idle(a.min_idle, a.idle_timeout), 1)
            broker = self.start_broker(broker_kind, sc["flush"])
            topic = f"BenchTopic_s{sc_id}"
            create_topic(broker.addr, broker.namesrv, topic)
            # the servers are running now: their own background work counts here
            run["idle_pct"] = round(wait_idle(a.min_idle, 15), 1)
            pids = broker.pids()
            cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
            thr0 = {k: thread_cpu(p) for k, p in pids.items()}
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            w0 = time.perf_counter()
            # thread CPU again about when the measured window opens (client start-up + warm-up)
            thr_mid = {}
            timer = threading.Timer(a.warmup + (CONSUMER_SETTLE_S + 1.5 if sc_id == 5 else 1.0),
                                    lambda: thr_mid.update({k: thread_cpu(p) for k, p in pids.items()}))
            timer.daemon = True
            timer.start()
            label = f"s{sc_id}-{client}-{broker_kind}-r{rnd}"
            budget = a.warmup + a.duration + 120
            if sc_id == 5:
                group = f"bench_consumer_r{rnd}"
                c_warm = CONSUMER_SETTLE_S + a.warmup
                c_dur = a.duration + 2
                cons = self.clients.start(client, self.clients.consumer_cmd(
                    client, broker.namesrv, topic, group, c_dur, c_warm), label + "-consumer")
                ready = cons.wait_for(r'^consumer: group|"ready":\s*true', 60)
                if ready is None:
                    run_to_end(cons, 5)
                    raise BenchError(f"{client} consumer did not start:\n{tail(cons.text())}")
                time.sleep(CONSUMER_SETTLE_S)
                prod = self.clients.start(client, self.clients.producer_cmd(
                    client, broker.namesrv, topic, "sync", a.latency_threads, a.duration, a.warmup,
                    rate=LATENCY_RATE),
                    label + "-producer")
                try:
                    run_to_end(prod, budget)
                finally:
                    run_to_end(cons, budget)
                p = Clients.result(client, prod)
                c = Clients.result(client, cons)
                received = c.get("ok", c.get("received"))
                run["metrics"] = {"p50_ms": c.get("p50_ms"), "p99_ms": c.get("p99_ms"),
                                  "p999_ms": c.get("p999_ms"), "max_ms": c.get("max_ms"),
                                  "received": received, "producer_tps": p.get("tps"),
                                  "producer_failed": p.get("failed"),
                                  "producer_p50_ms": p.get("p50_ms"), "producer_p99_ms": p.get("p99_ms")}
                expected = LATENCY_RATE * a.duration
                if not received or received < 0.9 * expected:
                    run["note"] = f"consumer received {received} in its window, expected >= {expected}"
            else:
                prod = self.clients.start(client, self.clients.producer_cmd(
                    client, broker.namesrv, topic, sc["mode"], sc["threads"], a.duration, a.warmup),
                    label)
                run_to_end(prod, budget)
                p = Clients.result(client, prod)
                run["metrics"] = {k: p.get(k) for k in ("tps", "p50_ms", "p99_ms", "p999_ms", "max_ms")}
                run["metrics"]["failed"] = p.get("failed")
                if p.get("failed"):
                    run["note"] = f"{p.get('failed')} failed sends: {p.get('errors', '')}"
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            run["wall_s"] = round(time.perf_counter() - w0, 2)
            run["client_cpu_s"] = {"user": round(ru1.ru_utime - ru0.ru_utime, 2),
                                   "sys": round(ru1.ru_stime - ru0.ru_stime, 2)}
            run["server_cpu_s"] = {}
            run["server_threads_cpu_s"] = {}
            run["server_threads_cpu_window_s"] = {}
            timer.cancel()
            for k, pid in pids.items():
                c1 = cpu_seconds(pid)
                if c1 and cpu0[k]:
                    run["server_cpu_s"][k] = {"user": round(c1[0] - cpu0[k][0], 2),
                                              "sys": round(c1[1] - cpu0[k][1], 2)}
                thr1 = thread_cpu(pid)
                run["server_threads_cpu_s"][k] = thread_delta(thr0[k], thr1)
                if k in thr_mid:
                    run["server_threads_cpu_window_s"][k] = thread_delta(thr_mid[k], thr1)
        except BenchError as e:
            run["error"] = str(e)
        finally:
            if broker is not None:
                broker.stop()
        self.record(run)

    # ---- scenarios 6 and 7 from one start (start-up, then 5 s idle, then RSS)
    def idle_run(self, broker_kind, rnd, want_rss):
        a = self.args
        run = {"scenario": "6+7" if want_rss else 7, "client": "-", "broker": broker_kind, "round": rnd}
        broker = None
        try:
            run["idle_pct"] = round(wait_idle(a.min_idle, a.idle_timeout), 1)
            broker = self.start_broker(broker_kind, "ASYNC_FLUSH")
            m = {"startup_ms": round(broker.startup_ms, 2)}
            if broker_kind == "apache":
                m["namesrv_ready_ms"] = round(broker.namesrv_ready_ms, 1)
                m["broker_only_ms"] = round(broker.broker_only_ms, 1)
            if want_rss:
                time.sleep(5)
                per = {k: rss_kib(p) for k, p in broker.pids().items()}
                if any(v is None for v in per.values()):
                    raise BenchError(f"a {broker_kind} server process is gone: {per}")
                m["rss_mib"] = round(sum(per.values()) / 1024, 2)
                m["rss_mib_per_process"] = {k: round(v / 1024, 2) for k, v in per.items()}
                run["server_cpu_s"] = {k: cpu_seconds(p) for k, p in broker.pids().items()}
            run["metrics"] = m
        except BenchError as e:
            run["error"] = str(e)
        finally:
            if broker is not None:
                broker.stop()
        self.record(run)

    def run_all(self):
        a = self.args
        order = lambda rnd: ["rmq", "apache"] if rnd % 2 == 1 else ["apache", "rmq"]
        for sc_id in [s for s in a.scenarios if s <= 5 or s == 8]:
            sc = SCENARIOS[sc_id]
            for client in [c for c in a.clients if c in sc.get("clients", a.clients)]:
                log(f"\n## scenario {sc_id}: {sc['title']} ({sc['flush']}), client {client}")
                for rnd in range(1, a.runs + 1):
                    for kind in order(rnd):
                        self.client_run(sc_id, client, kind, rnd)
        if 6 in a.scenarios or 7 in a.scenarios:
            which = " and ".join(SCENARIOS[s]["title"] for s in (6, 7) if s in a.scenarios)
            log(f"\n## scenarios {','.join(str(s) for s in (6, 7) if s in a.scenarios)}: {which} "
                "(one start per run)")
            for rnd in range(1, a.runs + 1):
                for kind in order(rnd):
                    self.idle_run(kind, rnd, 6 in a.scenarios)


def describe(run):
    head = (f"[s{run['scenario']} {run['client']:>4} r{run['round']}] {run['broker']:>6}: ")
    if run.get("error"):
        return head + "ERROR " + run["error"]
    m = run.get("metrics", {})
    parts = []
    if "idle_before_start_pct" in run:
        parts.append(f"idle {run['idle_before_start_pct']}%/{run['idle_pct']}%")
    elif "idle_pct" in run:
        parts.append(f"idle {run['idle_pct']}%")
    for k in ("tps", "p50_ms", "p99_ms", "p999_ms", "received", "producer_tps", "rss_mib",
              "startup_ms", "namesrv_ready_ms", "broker_only_ms"):
        if m.get(k) is not None:
            v = m[k]
            parts.append(f"{k} {v:,.0f}" if k in ("tps", "received", "producer_tps") else f"{k} {v}")
    if run.get("server_cpu_s"):
        cpu = []
        for k, v in run["server_cpu_s"].items():
            if isinstance(v, dict):
                cpu.append(f"{k} {v['user'] + v['sys']:.2f}s")
            elif v:
                cpu.append(f"{k} {v[0] + v[1]:.2f}s")
        parts.append("cpu " + ", ".join(cpu))
    if run.get("client_cpu_s"):
        c = run["client_cpu_s"]
        parts.append(f"client {c['user'] + c['sys']:.2f}s")
    if run.get("note"):
        parts.append("NOTE " + run["note"])
    return head + "  ".join(parts)


# --------------------------------------------------------------------------- report

def fmt(metric, v):
    if v is None:
        return "n/a"
    if metric in ("tps", "producer_tps"):
        return f"{v:,.0f}"
    if metric == "rss_mib":
        return f"{v:,.1f} MiB"
    if metric == "startup_ms":
        return f"{v:,.1f} ms" if v < 100 else f"{v:,.0f} ms"
    return f"{v:.3f} ms"


def summarize(bench):
    rows = []
    a = bench.args
    for sc_id in a.scenarios:
        sc = SCENARIOS[sc_id]
        clients = ["-"] if sc.get("client_independent") else [
            c for c in a.clients if c in sc.get("clients", a.clients)]
        for client in clients:
            for metric, unit, better in sc["metrics"]:
                vals = {}
                for kind in ("rmq", "apache"):
                    vals[kind] = [r["metrics"][metric] for r in bench.runs
                                  if not r.get("error") and r["broker"] == kind and r["client"] == client
                                  and (r["scenario"] == sc_id or (r["scenario"] == "6+7" and sc_id in (6, 7)))
                                  and r.get("metrics", {}).get(metric) is not None]
                med = {k: statistics.median(v) if v else None for k, v in vals.items()}
                ratio = None
                if med["rmq"] and med["apache"] and better != "info":
                    ratio = med["rmq"] / med["apache"] if better == "high" else med["apache"] / med["rmq"]
                tgt = target_for(metric)
                rows.append({"scenario": sc_id, "title": sc["title"], "client": client, "metric": metric,
                             "unit": unit, "better": better, "rmq": vals["rmq"], "apache": vals["apache"],
                             "rmq_median": med["rmq"], "apache_median": med["apache"],
                             "ratio": round(ratio, 2) if ratio else None, "target": tgt,
                             "met": None if (tgt is None or ratio is None) else ratio >= tgt})
    return rows


def markdown(rows):
    out = ["| scenario | client | metric | rmq-broker median (range) | Apache 5.3.3 median (range) "
           "| rmq better by | target | met |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def cell(kind):
            v = r[kind]
            if not v:
                return "n/a"
            return f"{fmt(r['metric'], r[kind + '_median'])} ({fmt(r['metric'], min(v))}–{fmt(r['metric'], max(v))})"
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else "n/a"
        tgt = f"≥ {r['target']:g}×" if r["target"] else "—"
        met = "—" if r["met"] is None else ("yes" if r["met"] else "**no**")
        out.append(f"| {r['scenario']}. {r['title']} | {r['client']} | {r['unit']} | {cell('rmq')} "
                   f"| {cell('apache')} | {ratio} | {tgt} | {met} |")
    return "\n".join(out)


# --------------------------------------------------------------------------- setup

def classpath(target_dir, cp_file, build_cmd, cwd):
    classes = os.path.join(target_dir, "classes")
    cp = os.path.join(target_dir, cp_file)
    if not (os.path.isdir(classes) and os.path.exists(cp)):
        log(f"building {cwd}: {' '.join(build_cmd)}")
        subprocess.run(build_cmd, cwd=cwd, check=True)
    with open(cp) as f:
        return classes + ":" + f.read().strip()


def git_rev():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="rounds per scenario and client (default 5)")
    ap.add_argument("--duration", type=int, default=10, help="measured seconds per run (default 10)")
    ap.add_argument("--warmup", type=int, default=3,
                    help="seconds of load before the measurement, every broker and client (default 3)")
    ap.add_argument("--scenarios", default="1,2,3,4,5,6,7")
    ap.add_argument("--clients", default="rmq,java")
    ap.add_argument("--rmq-broker", default=os.path.join(ROOT, "target", "release", "rmq-broker"))
    ap.add_argument("--rmq-bench", default=os.path.join(ROOT, "target", "release", "rmq-bench"))
    ap.add_argument("--latency-threads", type=int, default=16,
                    help="sync producer threads of scenario 5, sharing the 5,000 msg/s (default 16: "
                         "fewer do not reach 5,000 msg/s against the Apache broker on 2 cores)")
    ap.add_argument("--java", default="java")
    ap.add_argument("--min-idle", type=float, default=85.0,
                    help="start a measured run only once the machine was this %% idle for 1 s (default 85)")
    ap.add_argument("--idle-timeout", type=float, default=60.0)
    ap.add_argument("--out", help="also write the JSON result to this file")
    args = ap.parse_args()
    args.scenarios = sorted({int(s) for s in args.scenarios.split(",") if s.strip()})
    args.clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if any(s not in SCENARIOS for s in args.scenarios):
        ap.error("--scenarios: 1..8")
    if any(c not in ("rmq", "java") for c in args.clients):
        ap.error("--clients: rmq, java")
    SCENARIOS[5]["threads"] = args.latency_threads
    SCENARIOS[5]["title"] += f" ({args.latency_threads} sync threads)"

    # SIGTERM/SIGHUP end the run like Ctrl-C: the finally below stops every child
    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, on_signal)

    tmp_root = tempfile.mkdtemp(prefix="bench_vs_apache-")
    bench = None
    interrupted = False
    try:
        # private copies: a rebuild of target/release during the run changes nothing
        for attr in ("rmq_broker", "rmq_bench"):
            src = getattr(args, attr)
            if not os.access(src, os.X_OK):
                raise BenchError(f"{src} not found: cargo build --release -p rmq --bin rmq-bench "
                                 "-p rmq-broker --bin rmq-broker")
            dst = os.path.join(tmp_root, os.path.basename(src))
            shutil.copy2(src, dst)
            setattr(args, attr + "_src", src)
            setattr(args, attr, dst)
        args.apache_cp = classpath(APACHE_TARGET, "classpath.txt",
                                   ["mvn", "-B", "-q", "compile", "dependency:build-classpath",
                                    "-Dmdep.includeScope=runtime",
                                    "-Dmdep.outputFile=target/5.3.3/classpath.txt"], APACHE_DIR)
        if "java" in args.clients:
            args.client_cp = classpath(os.path.join(CLIENT_DIR, "target"), "classpath.txt",
                                       ["mvn", "-B", "-q", "compile", "dependency:build-classpath",
                                        "-Dmdep.includeScope=runtime",
                                        "-Dmdep.outputFile=target/classpath.txt"], CLIENT_DIR)
        else:
            args.client_cp = None
        java_version = subprocess.run([args.java, "-version"], capture_output=True,
                                      text=True).stderr.splitlines()[:1]
        log(f"bench_vs_apache: {args.runs} round(s), {args.warmup} s warm-up + {args.duration} s, "
            f"scenarios {args.scenarios}, clients {args.clients}, {os.cpu_count()} cores, "
            f"{java_version[0] if java_version else 'java ?'}, commit {git_rev()}")
        log(f"rmq-broker {args.rmq_broker_src}, rmq-bench {args.rmq_bench_src} (copied to {tmp_root})")
        bench = Bench(args, tmp_root)
        bench.run_all()
    except KeyboardInterrupt as e:
        interrupted = True
        log(f"\ninterrupted ({e}); stopping every process")
    except BenchError as e:
        log(f"\nERROR: {e}")
        if bench is None:
            kill_all_children()
            shutil.rmtree(tmp_root, ignore_errors=True)
            return 2
    finally:
        kill_all_children()
        shutil.rmtree(tmp_root, ignore_errors=True)

    rows = summarize(bench) if bench else []
    table = markdown(rows)
    log("\n" + table + "\n")
    result = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": git_rev(),
        "cores": os.cpu_count(),
        "settings": {"runs": args.runs, "duration_s": args.duration, "warmup_s": args.warmup,
                     "scenarios": args.scenarios, "clients": args.clients, "queues": QUEUES,
                     "body_bytes": BODY, "latency_rate": LATENCY_RATE, "min_idle_pct": args.min_idle,
                     "namesrv_jvm": NAMESRV_JVM, "broker_jvm": BROKER_JVM, "client_jvm": CLIENT_JVM},
        "rows": rows,
        "runs": bench.runs if bench else [],
        "errors": len(bench.errors) if bench else 0,
        "interrupted": interrupted,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    log("RESULT " + json.dumps(result))
    if interrupted:
        return 130
    return 1 if bench is None or bench.errors else 0


if __name__ == "__main__":
    sys.exit(main())
