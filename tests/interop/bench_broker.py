#!/usr/bin/env python3
"""Broker benchmark: start-up time, idle RSS, and the C++ client's bench-produce against
`rmq-broker standalone` (1 and 4 threads, 1 KiB). Prints one JSON object of medians.

    python tests/interop/bench_broker.py --broker target/release/rmq-broker --runs 5 --duration 10

Run it with the interop venv's python (tests/interop/install.sh prints it).
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Broker:
    def __init__(self, binary, conf_extra=""):
        self.dir = tempfile.mkdtemp(prefix="rmq-bench-")
        conf = os.path.join(self.dir, "broker.conf")
        with open(conf, "w") as f:
            f.write("brokerIP1=127.0.0.1\nlistenPort=0\nflushDiskType=ASYNC_FLUSH\n"
                    f"storePathRootDir={self.dir}/store\n{conf_extra}\n")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([binary, "standalone", "-c", conf, "--namesrv-port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.events = {}
        self.namesrv = None
        ready = threading.Event()

        def read():
            for line in self.proc.stdout:
                now = time.perf_counter() - self.t0
                m = re.search(r"namesrv listening on (\S+)", line)
                if m:
                    self.namesrv = m.group(1)
                if "broker listening on" in line:
                    self.events.setdefault("listening", now)
                if "broker registered" in line:
                    self.events.setdefault("registered", now)
                    ready.set()
        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(20):
            raise SystemExit("broker did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)
        subprocess.run(["rm", "-rf", self.dir])


def bench(py, namesrv, threads, duration, topic):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([py, os.path.join(HERE, "cpp_client.py"), "bench-produce", "--namesrv", namesrv,
                          "--topic", topic, "--threads", str(threads), "--duration", str(duration),
                          "--size", "1024"], capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    summary["client_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--broker", default="target/release/rmq-broker")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10)
    args = ap.parse_args()
    py = sys.executable
    starts, regs, rss = [], [], []
    for _ in range(args.runs):
        b = Broker(args.broker)
        time.sleep(1.0)  # let start-up settle before reading the idle RSS
        starts.append(b.events["listening"] * 1000)
        regs.append(b.events["registered"] * 1000)
        rss.append(rss_kib(b.proc.pid) / 1024)
        b.stop()
    result = {"start_to_listening_ms": statistics.median(starts),
              "start_to_registered_ms": statistics.median(regs),
              "idle_rss_mib": statistics.median(rss)}
    for threads in (1, 4):
        runs = []
        for i in range(args.runs):
            b = Broker(args.broker)
            cpu0 = cpu_seconds(b.proc.pid)
            s = bench(py, b.namesrv, threads, args.duration, f"bench{threads}x{i}")
            s["broker_cpu_s"] = cpu_seconds(b.proc.pid) - cpu0
            runs.append(s)
            b.stop()
        key = f"threads_{threads}"
        result[key] = {k: statistics.median(r[k] for r in runs)
                       for k in ("tps", "p50_ms", "p99_ms", "p999_ms", "max_ms", "failed",
                                 "broker_cpu_s", "client_cpu_s")}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
