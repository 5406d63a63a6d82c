#!/usr/bin/env python3
"""rmq interop driver: a command line over the official Apache RocketMQ C++ client.

The C++ client (librocketmq.so, rocketmq-client-cpp) ships inside the PyPI wheel
rocketmq==0.4.4 (Python module rocketmq.client); tests/interop/install.sh puts it
into a venv. The integration tests use this script as the interop oracle.

Output contract: every line on stdout is one JSON object and the last one has
"summary": true. Exit status 0 means the expectations were met; 1 means they were
not (failed sends, missing messages, order violations); 2 means a usage error or
a client that could not start; 3 means a C++ shutdown hung and the driver quit hard.

Message bodies are ASCII: "<prefix>-<index:08d>-s<shard>-t<unix_ms>|" padded with
'x' up to --size bytes. consume and pull count a body as expected when its prefix
equals --prefix and its index is below --expect.

The C++ library writes its log to $HOME/logs/rocketmq-cpp/<pid>_rocketmq-cpp.log.0
(the log-path setters of this build are no-ops) and broadcast-mode offsets to
$HOME/.rocketmq_offsets/, so the driver points HOME at $RMQ_CPP_CLIENT_HOME
(default /tmp/rmq-cpp-client) before the library is loaded.
"""

import argparse
import ctypes
import json
import os
import signal
import sys
import threading
import time

CLIENT_HOME = os.environ.get("RMQ_CPP_CLIENT_HOME") or "/tmp/rmq-cpp-client"
# HOME is repointed below (and inherited by a re-exec), so remember the user's own.
USER_HOME = os.environ.setdefault("RMQ_CPP_DRIVER_USER_HOME", os.path.expanduser("~"))
DEFAULT_VENV = os.path.join(USER_HOME, ".cache", "rmq-interop", "venv")
EXIT_OK, EXIT_UNMET, EXIT_USAGE, EXIT_HUNG = 0, 1, 2, 3


def _venv_python():
    explicit = os.environ.get("RMQ_INTEROP_PYTHON")
    if explicit:
        return explicit
    return os.path.join(os.environ.get("RMQ_INTEROP_VENV") or DEFAULT_VENV, "bin", "python3")


def _prune_client_logs(keep=500):
    """Each driver process leaves its own log file; keep only the newest `keep`."""
    log_dir = os.path.join(CLIENT_HOME, "logs", "rocketmq-cpp")
    try:
        names = os.listdir(log_dir)
    except OSError:
        return
    if len(names) <= keep + 100:
        return

    def mtime(path):
        try:
            return os.path.getmtime(path)
        except OSError:  # removed meanwhile by a parallel driver
            return 0

    paths = sorted((os.path.join(log_dir, n) for n in names), key=mtime)
    for path in paths[:len(paths) - keep]:
        try:
            os.remove(path)
        except OSError:
            pass


def _load_client():
    """Point HOME at the client home, then import the wheel (re-exec'ing into the venv if needed)."""
    os.makedirs(CLIENT_HOME, exist_ok=True)
    os.environ["HOME"] = CLIENT_HOME
    try:
        import rocketmq.client  # noqa: F401
        return
    except ImportError as e:
        reason = str(e)
    venv_py = _venv_python()
    if os.path.exists(venv_py) and not os.environ.get("RMQ_CPP_DRIVER_REEXEC"):
        os.environ["RMQ_CPP_DRIVER_REEXEC"] = "1"
        os.execv(venv_py, [venv_py, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write("cpp_client.py: cannot import rocketmq.client (%s); run tests/interop/install.sh\n" % reason)
    sys.exit(EXIT_USAGE)


_load_client()
_prune_client_logs()

from rocketmq import ffi  # noqa: E402
from rocketmq.client import Message, Producer, PullConsumer, PushConsumer, RecvMessage  # noqa: E402
from rocketmq.exceptions import ffi_check  # noqa: E402
from rocketmq.ffi import MessageModel, dll  # noqa: E402

_out_lock = threading.Lock()
_stop = threading.Event()  # set by SIGTERM/SIGINT: finish early, still print the summary
SEND_STATUS = {0: "SEND_OK", 1: "FLUSH_DISK_TIMEOUT", 2: "FLUSH_SLAVE_TIMEOUT", 3: "SLAVE_NOT_AVAILABLE"}
LOG_LEVELS = ("fatal", "error", "warn", "info", "debug", "trace")


def emit(obj):
    line = json.dumps(obj)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def now_ms():
    return int(time.time() * 1000)


def client_log():
    return os.path.join(CLIENT_HOME, "logs", "rocketmq-cpp", "%d_rocketmq-cpp.log.0" % os.getpid())


def error_text(e):
    return "%s: %s" % (type(e).__name__, e)


def _on_signal(signum, _frame):
    _stop.set()


def sleep_unless_stopped(seconds):
    """Sleep, but return early (False) once a stop signal arrived."""
    return not _stop.wait(seconds) if seconds > 0 else not _stop.is_set()


def finish(summary_fn, shutdowns, hang_seconds=20):
    """Shut the clients down, print the summary, and leave without C++ static teardown.

    A watchdog prints the summary and exits with EXIT_HUNG when a C++ shutdown hangs, so
    the caller always gets a summary line.
    """
    done = threading.Event()

    def watchdog():
        if not done.wait(hang_seconds):
            s = summary_fn()
            s.pop("_exit", None)
            s["shutdown_hung"] = True
            emit(s)
            os._exit(EXIT_HUNG)

    threading.Thread(target=watchdog, daemon=True).start()
    errors = []
    for fn in shutdowns:
        try:
            fn()
        except Exception as e:
            errors.append(error_text(e))
    done.set()
    s = summary_fn()
    code = s.pop("_exit", EXIT_OK)
    if errors:
        s["shutdown_errors"] = errors
    emit(s)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the wheel's __del__ methods shut down and destroy the
    # C++ objects again, which can crash or hang at exit.
    os._exit(code)


def fail_start(cmd, what, e):
    emit({"summary": True, "cmd": cmd, "error": "%s: %s" % (what, error_text(e)), "client_log": client_log()})
    sys.stdout.flush()
    os._exit(EXIT_USAGE)


def set_log_level(kind, handle, level):
    setter = {"producer": dll.SetProducerLogLevel, "push": dll.SetPushConsumerLogLevel,
              "pull": dll.SetPullConsumerLogLevel}[kind]
    setter(handle, getattr(ffi._CLogLevel, level.upper()))


# ----------------------------------------------------------------------------- bodies

def make_body(prefix, index, shard, size, sent_ms):
    head = "%s-%08d-s%d-t%d|" % (prefix, index, shard, sent_ms)
    return head + "x" * max(0, size - len(head))


def parse_body(body):
    """(prefix, index, shard, sent_ms) of a driver body, or None for anything else."""
    try:
        head = body.split(b"|", 1)[0].decode("ascii")
        prefix, index, shard, sent = head.rsplit("-", 3)
        if not (shard.startswith("s") and sent.startswith("t")):
            return None
        return prefix, int(index), int(shard[1:]), int(sent[1:])
    except (ValueError, UnicodeDecodeError):
        return None


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return round(sorted_values[i], 3)


def latency_fields(values):
    v = sorted(values)
    return {"p50_ms": percentile(v, 0.50), "p99_ms": percentile(v, 0.99), "p999_ms": percentile(v, 0.999),
            "max_ms": round(v[-1], 3) if v else None}


# ----------------------------------------------------------------------------- produce

def new_producer(args, group=None, instance=None):
    p = Producer(group or args.group, timeout=args.send_timeout_ms)
    set_log_level("producer", p._handle, args.log_level)
    instance = instance or args.instance
    if instance:
        ffi_check(dll.SetProducerInstanceName(p._handle, instance.encode()))
    p.set_namesrv_addr(args.namesrv)
    p.start()
    return p


def cmd_produce(args):
    tags = [t for t in args.tags.split(",") if t] if args.tags else ([args.tag] if args.tag else [])
    mode = ("oneway-orderly" if args.orderly else "oneway") if args.oneway else ("orderly" if args.orderly else "sync")
    try:
        producer = new_producer(args)
    except Exception as e:
        fail_start("produce", "producer start failed", e)

    queue_count = {}  # the selector sees the topic's queue count; remember it per call

    def selector(mq_size, _msg, arg):
        queue_count["n"] = mq_size
        return ctypes.cast(arg, ctypes.POINTER(ctypes.c_int))[0] % mq_size

    st = {"sent": 0, "failed": 0, "statuses": {}, "lat": [], "timed_out": False, "errors": {}}
    t0 = time.perf_counter()
    deadline = t0 + args.timeout if args.timeout else None
    end = args.start_index + args.count
    for index in range(args.start_index, end):
        if _stop.is_set() or (deadline and time.perf_counter() > deadline):
            st["timed_out"] = not _stop.is_set()
            break
        shard = index % args.shards if args.orderly else 0
        tag = tags[index % len(tags)] if tags else None
        rec = {"index": index, "shard": shard, "tag": tag}
        try:
            msg = Message(args.topic)
            if tag:
                msg.set_tags(tag)
            if args.keys:
                msg.set_keys("%s-key-%d" % (args.prefix, index))
            if args.delay_level:
                msg.set_delay_time_level(args.delay_level)
            rec["sent_ms"] = now_ms()
            msg.set_body(make_body(args.prefix, index, shard, args.size, rec["sent_ms"]))
            s = time.perf_counter()
            if args.oneway and args.orderly:
                producer.send_oneway_orderly(msg, shard, queue_selector=selector)
                result = None
            elif args.oneway:
                producer.send_oneway(msg)
                result = None
            elif args.orderly:
                result = producer.send_orderly(msg, shard, retry_times=args.orderly_retries, queue_selector=selector)
            else:
                result = producer.send_sync(msg)
            ms = (time.perf_counter() - s) * 1000
            st["lat"].append(ms)
            status = "ONEWAY" if result is None else SEND_STATUS.get(int(result.status), str(int(result.status)))
            st["statuses"][status] = st["statuses"].get(status, 0) + 1
            st["sent"] += 1
            if result is not None:
                rec.update({"msg_id": result.msg_id, "offset_msg_id": None, "queue_offset": result.offset,
                            "status": status, "latency_ms": round(ms, 3)})
                if args.orderly and "n" in queue_count:
                    rec["queue_id"] = shard % queue_count["n"]
                if not args.quiet:
                    emit(rec)
        except Exception as e:
            st["failed"] += 1
            key = str(e)[:300]
            st["errors"][key] = st["errors"].get(key, 0) + 1
            rec["error"] = error_text(e)
            emit(rec)
            if args.fail_fast:
                break
        if args.interval_ms and not sleep_unless_stopped(args.interval_ms / 1000.0):
            break
    elapsed_ms = (time.perf_counter() - t0) * 1000
    if args.shutdown_delay:
        sleep_unless_stopped(args.shutdown_delay)

    def summary():
        ok = (st["sent"] == args.count and st["failed"] == 0
              and all(k in ("SEND_OK", "ONEWAY") for k in st["statuses"]))
        s = {"summary": True, "cmd": "produce", "mode": mode, "topic": args.topic, "prefix": args.prefix,
             "count": args.count, "sent": st["sent"], "failed": st["failed"], "statuses": st["statuses"],
             "elapsed_ms": round(elapsed_ms, 1), "timed_out": st["timed_out"], "stopped": _stop.is_set(),
             "errors": st["errors"], "client_log": client_log(), "_exit": EXIT_OK if ok else EXIT_UNMET}
        if args.orderly and "n" in queue_count:
            s["queue_count"] = queue_count["n"]
        s.update(latency_fields(st["lat"]))
        return s

    finish(summary, [producer.shutdown])


# ----------------------------------------------------------------------------- consume / pull

class Tally(object):
    """Counts deliveries of driver bodies against the expected set (thread-safe)."""

    def __init__(self, args):
        self.prefix = args.prefix
        self.expect = args.expect
        self.lock = threading.Lock()
        self.expected = set(range(args.expect))
        produced = [t for t in (args.produced_tags or "").split(",") if t]
        subscribed = set(t.strip() for t in (args.tag or "*").split("||"))
        if produced and "*" not in subscribed:
            self.expected = set(i for i in self.expected if produced[i % len(produced)] in subscribed)
        self.seen = {}  # index -> msg id of the first delivery
        self.total = 0
        self.duplicates = 0
        self.unexpected = 0
        self.reconsumed = 0
        self.order_violations = 0
        self.last_index_per_shard = {}
        self.tags = {}
        self.per_queue = {}
        self.delays = []
        self.rejected = 0
        self.deliveries = {}  # index -> deliveries so far (for --fail-first)
        self.done = threading.Event()
        if not self.expected:
            self.done.set()

    def add(self, msg, recv_ms, reject_first=0):
        """Record one delivery; False when it is to be answered with RECONSUME_LATER.

        With reject_first=K the first K deliveries of each expected body are rejected and
        not counted as received; the delivery after them is.
        """
        body = msg.body or b""
        parsed = parse_body(body)
        with self.lock:
            self.total += 1
            if msg.reconsume_times > 0:
                self.reconsumed += 1
            if parsed is None or parsed[0] != self.prefix or parsed[1] not in self.expected:
                self.unexpected += 1
                return True
            _, index, shard, sent_ms = parsed
            earlier = self.deliveries.get(index, 0)
            self.deliveries[index] = earlier + 1
            if earlier < reject_first:
                self.rejected += 1
                return False
            if index in self.seen:
                self.duplicates += 1
                return True
            self.seen[index] = msg.id
            tag = (msg.tags or b"").decode("utf-8", "replace")
            self.tags[tag] = self.tags.get(tag, 0) + 1
            qid = str(msg.queue_id)
            self.per_queue[qid] = self.per_queue.get(qid, 0) + 1
            self.delays.append(recv_ms - sent_ms)
            last = self.last_index_per_shard.get(shard)
            if last is not None and index < last:
                self.order_violations += 1
            self.last_index_per_shard[shard] = index if last is None else max(last, index)
            if len(self.seen) == len(self.expected):
                self.done.set()
            return True

    def summary(self, cmd, elapsed_ms, strict_order):
        with self.lock:
            received = len(self.seen)
            s = {"summary": True, "cmd": cmd, "expected": len(self.expected), "received": received,
                 "total": self.total, "duplicates": self.duplicates, "unexpected": self.unexpected,
                 "reconsumed": self.reconsumed, "rejected": self.rejected, "msg_ids": sorted(self.seen.values()), "tags": self.tags,
                 "per_queue": self.per_queue, "order_violations": self.order_violations,
                 "max_delay_ms": max(self.delays) if self.delays else None,
                 "min_delay_ms": min(self.delays) if self.delays else None,
                 "elapsed_ms": round(elapsed_ms, 1), "stopped": _stop.is_set(), "client_log": client_log()}
            missing = sorted(self.expected - set(self.seen))
            s["missing"] = len(missing)
            if missing:
                s["missing_indices"] = missing[:50]
            ok = received == len(self.expected) and (not strict_order or self.order_violations == 0)
            s["_exit"] = EXIT_OK if ok else EXIT_UNMET
            return s


def describe(msg, recv_ms):
    body = msg.body or b""
    parsed = parse_body(body)
    return {"recv": body[:40].decode("ascii", "replace"), "index": parsed[1] if parsed else None,
            "msg_id": msg.id, "uniq_key": (msg.get_property("UNIQ_KEY") or b"").decode("utf-8", "replace"),
            "queue_id": msg.queue_id, "queue_offset": msg.queue_offset,
            "tag": (msg.tags or b"").decode("utf-8", "replace"), "keys": (msg.keys or b"").decode("utf-8", "replace"),
            "reconsume_times": msg.reconsume_times, "recv_ms": recv_ms}


def wait_done(tally, timeout):
    deadline = time.monotonic() + timeout
    while not _stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if tally.done.wait(min(left, 0.2)):
            return True
    return False


def cmd_consume(args):
    tally = Tally(args)
    model = MessageModel.BROADCASTING if args.broadcast else MessageModel.CLUSTERING
    try:
        consumer = PushConsumer(args.group, orderly=args.orderly, message_model=model)
        set_log_level("push", consumer._handle, args.log_level)
        consumer.set_namesrv_addr(args.namesrv)
        if args.instance:
            consumer.set_instance_name(args.instance)
        if args.threads:
            consumer.set_thread_count(args.threads)
        if args.batch_size:
            consumer.set_message_batch_max_size(args.batch_size)
    except Exception as e:
        fail_start("consume", "consumer setup failed", e)

    success = ffi._CConsumeStatus.CONSUME_SUCCESS.value
    later = ffi._CConsumeStatus.RECONSUME_LATER.value

    # Registered directly rather than through PushConsumer.subscribe: the wheel's wrapper
    # re-raises callback exceptions, so the status a ctypes callback then returns is
    # undefined, and RECONSUME_LATER cannot be answered deliberately through it.
    def on_message(_consumer, handle):
        try:
            msg = RecvMessage(handle)
            recv_ms = now_ms()
            accepted = tally.add(msg, recv_ms, args.fail_first)
            if args.verbose:
                rec = describe(msg, recv_ms)
                rec["accepted"] = accepted
                emit(rec)
            if not accepted:
                return later
        except Exception as e:  # a driver bug must not turn into redeliveries
            emit({"warn": "callback error", "error": error_text(e)})
        return success

    callback = ffi.MSG_CALLBACK_FUNC(on_message)
    t0 = time.perf_counter()
    try:
        ffi_check(dll.Subscribe(consumer._handle, args.topic.encode(), (args.tag or "*").encode()))
        register = dll.RegisterMessageCallbackOrderly if args.orderly else dll.RegisterMessageCallback
        ffi_check(register(consumer._handle, callback))
        consumer.start()
    except Exception as e:
        fail_start("consume", "consumer start failed", e)
    emit({"ready": True, "cmd": "consume", "group": args.group, "topic": args.topic,
          "model": "BROADCASTING" if args.broadcast else "CLUSTERING", "orderly": args.orderly,
          "expected": len(tally.expected), "pid": os.getpid()})
    if wait_done(tally, args.timeout) and args.linger:
        sleep_unless_stopped(args.linger)
    elapsed_ms = (time.perf_counter() - t0) * 1000

    def summary():
        s = tally.summary("consume", elapsed_ms, args.orderly)
        s.update({"group": args.group, "topic": args.topic, "orderly": args.orderly,
                  "model": "BROADCASTING" if args.broadcast else "CLUSTERING"})
        return s

    finish(summary, [consumer.shutdown])


def cmd_pull(args):
    """DefaultMQPullConsumer path: every queue of the topic from offset 0, offsets kept here."""
    tally = Tally(args)
    try:
        consumer = PullConsumer(args.group)
        set_log_level("pull", consumer._handle, args.log_level)
        consumer.set_namesrv_addr(args.namesrv)
        consumer.start()
    except Exception as e:
        fail_start("pull", "pull consumer start failed", e)
    emit({"ready": True, "cmd": "pull", "group": args.group, "topic": args.topic, "pid": os.getpid()})
    status = ffi._CPullStatus
    offsets = {}  # (broker, queue id) -> next offset
    stats = {"pulls": 0, "errors": 0, "queues": 0, "statuses": {}}
    t0 = time.perf_counter()
    deadline = time.monotonic() + args.timeout
    expr = (args.tag or "*").encode()
    while not tally.done.is_set() and not _stop.is_set() and time.monotonic() < deadline:
        mqs = ctypes.POINTER(ffi._CMessageQueue)()
        size = ctypes.c_int()
        try:
            ffi_check(dll.FetchSubscriptionMessageQueues(consumer._handle, args.topic.encode(),
                                                             ctypes.byref(mqs), ctypes.byref(size)))
        except Exception as e:
            stats["errors"] += 1
            if stats["errors"] <= 5:
                emit({"warn": "fetch queues failed", "error": error_text(e)})
            sleep_unless_stopped(0.5)
            continue
        found_any = False
        try:
            stats["queues"] = size.value
            for i in range(size.value):
                mq = mqs[i]
                key = (mq.brokerName, mq.queueId)
                while not tally.done.is_set() and not _stop.is_set() and time.monotonic() < deadline:
                    offset = offsets.get(key, 0)
                    res = dll.Pull(consumer._handle, ctypes.byref(mq), expr, offset, args.batch)
                    stats["pulls"] += 1
                    name = status(res.pullStatus).name if res.pullStatus in status._value2member_map_ else str(res.pullStatus)
                    stats["statuses"][name] = stats["statuses"].get(name, 0) + 1
                    try:
                        if res.pullStatus == status.FOUND:
                            recv_ms = now_ms()
                            for j in range(res.size):
                                msg = RecvMessage(res.msgFoundList[j])
                                tally.add(msg, recv_ms)
                                if args.verbose:
                                    emit(describe(msg, recv_ms))
                            found_any = True
                        if res.pullStatus == status.BROKER_TIMEOUT:
                            # the C wrapper also reports a failed pull (exception) as BROKER_TIMEOUT
                            stats["errors"] += 1
                            break
                        moved = res.nextBeginOffset != offset
                        offsets[key] = res.nextBeginOffset
                        if res.pullStatus != status.FOUND and not moved:
                            break
                        if res.pullStatus == status.NO_NEW_MSG:
                            break
                    finally:
                        dll.ReleasePullResult(res)
        finally:
            dll.ReleaseSubscriptionMessageQueue(mqs)
        if not found_any and not tally.done.is_set():
            sleep_unless_stopped(0.2)
    elapsed_ms = (time.perf_counter() - t0) * 1000

    def summary():
        s = tally.summary("pull", elapsed_ms, False)
        s.update({"group": args.group, "topic": args.topic, "pulls": stats["pulls"], "pull_errors": stats["errors"],
                  "pull_statuses": stats["statuses"], "queue_count": stats["queues"],
                  "next_offsets": {"%s/%d" % (b.decode(), q): o for (b, q), o in sorted(offsets.items())}})
        return s

    finish(summary, [consumer.shutdown])


# ----------------------------------------------------------------------------- bench

def cmd_bench(args):
    producers = []
    try:
        if args.shared_producer:
            producers.append(new_producer(args))
        else:
            # One producer per thread, each its own client instance (a second producer of a
            # group in one instance is refused: "The producer group has been created
            # before"). Threads sharing one instance contend for its connection-table lock,
            # whose 3 ms try-lock fails under load: sends then fail at once with the
            # misleading "No route info of this topic".
            for t in range(args.threads):
                producers.append(new_producer(args, instance="%s%d_%d" % (args.instance or "bench", os.getpid(), t)))
    except Exception as e:
        for p in producers:
            try:
                p.shutdown()
            except Exception:
                pass
        fail_start("bench-produce", "producer start failed", e)
    warmup_errors = []
    for p in producers:  # route lookup, topic auto-creation and connections happen here, untimed
        try:
            m = Message(args.topic)
            m.set_body(make_body(args.prefix + "warmup", 0, 0, args.size, now_ms()))
            p.send_sync(m)
        except Exception as e:
            warmup_errors.append(error_text(e))
    if args.warmup:
        # The C++ client refreshes topic routes 3 s after start and every 30 s after; while a
        # refresh waits for the name server, concurrent sends of that client instance fail at
        # once ("No route info of this topic"). Starting the clock after the first refresh
        # keeps runs shorter than 30 s clear of it.
        sleep_unless_stopped(args.warmup)
    body = make_body(args.prefix, 0, 0, args.size, now_ms())
    results = [None] * args.threads
    barrier = threading.Barrier(args.threads + 1)
    stop_at = [0.0]

    def worker(tid):
        producer = producers[tid % len(producers)]
        lat, ok, failed, errors = [], 0, 0, {}
        barrier.wait()
        while not _stop.is_set():
            s = time.perf_counter()
            if s >= stop_at[0]:
                break
            try:
                msg = Message(args.topic)
                msg.set_body(body)
                r = producer.send_sync(msg)
                lat.append((time.perf_counter() - s) * 1000)
                if int(r.status) == 0:
                    ok += 1
                else:
                    failed += 1
                    k = SEND_STATUS.get(int(r.status), str(int(r.status)))
                    errors[k] = errors.get(k, 0) + 1
            except Exception as e:
                failed += 1
                k = str(e)[:300]
                errors[k] = errors.get(k, 0) + 1
        results[tid] = (ok, failed, lat, errors)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(args.threads)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + args.duration
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    done = [r for r in results if r]
    sent = sum(r[0] for r in done)
    failed = sum(r[1] for r in done)
    errors = {}
    for r in done:
        for k, v in r[3].items():
            errors[k] = errors.get(k, 0) + v

    def summary():
        s = {"summary": True, "cmd": "bench-produce", "topic": args.topic, "threads": args.threads,
             "producers": len(producers), "size": args.size, "duration_s": round(elapsed, 3), "sent": sent,
             "failed": failed, "tps": round(sent / elapsed, 1) if elapsed > 0 else 0.0,
             "errors": errors, "warmup_errors": warmup_errors, "client_log": client_log(),
             "_exit": EXIT_OK if sent > 0 and failed <= args.max_failed else EXIT_UNMET}
        s.update(latency_fields([x for r in done for x in r[2]]))
        return s

    finish(summary, [p.shutdown for p in producers])


def cmd_check(_args):
    """Load the C++ library and report where it came from (no broker needed)."""
    emit({"summary": True, "cmd": "check", "ok": True, "python": sys.executable, "library": ffi._DYLIB_PATH,
          "client_home": CLIENT_HOME})
    sys.stdout.flush()
    os._exit(EXIT_OK)


# ----------------------------------------------------------------------------- CLI

def positive_int(text):
    v = int(text)
    if v <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return v


def build_parser():
    ap = argparse.ArgumentParser(
        prog="cpp_client.py",
        description="Drive the official Apache RocketMQ C++ client (PyPI rocketmq==0.4.4). Every stdout line "
                    "is JSON; the last has \"summary\": true. Exit 0 = expectations met, 1 = not met, "
                    "2 = usage/start error, 3 = client shutdown hung.")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")

    def common(p, group):
        p.add_argument("--namesrv", required=True, metavar="HOST:PORT", help="name server address(es), ';'-separated")
        p.add_argument("--topic", default="RmqInteropTopic")
        p.add_argument("--group", default=group, help="producer/consumer group (default %(default)s)")
        p.add_argument("--prefix", default="rmq", help="body prefix, no '|' (default %(default)s)")
        p.add_argument("--log-level", default="info", choices=LOG_LEVELS, help="C++ client log level")
        p.add_argument("--instance", default=None, help="client instance name (separate client id)")

    p = sub.add_parser("produce", help="send --count messages; one JSON line per sync send")
    common(p, "rmq_interop_producer")
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--start-index", type=int, default=0, help="first body index (default 0)")
    p.add_argument("--size", type=int, default=64, help="body size in bytes (default 64)")
    p.add_argument("--tag", default=None, help="tag for every message")
    p.add_argument("--tags", default=None, help="comma-separated tags, assigned round-robin by index")
    p.add_argument("--keys", action="store_true", help="set keys to <prefix>-key-<index>")
    p.add_argument("--oneway", action="store_true", help="fire-and-forget sends (no per-message lines)")
    p.add_argument("--orderly", action="store_true", help="send_orderly, selector arg = index %% --shards")
    p.add_argument("--shards", type=positive_int, default=4)
    p.add_argument("--orderly-retries", type=int, default=3, help="retry count passed to send_orderly")
    p.add_argument("--delay-level", type=int, default=0, help="RocketMQ delay level (1..18)")
    p.add_argument("--send-timeout-ms", type=int, default=3000, help="producer send timeout (default 3000)")
    p.add_argument("--interval-ms", type=float, default=0, help="pause between sends")
    p.add_argument("--timeout", type=float, default=0, help="stop sending after this many seconds (0 = never)")
    p.add_argument("--shutdown-delay", type=float, default=0, help="seconds to wait before producer shutdown")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failed send")
    p.add_argument("--quiet", action="store_true", help="print only failures and the summary")

    def consuming(p):
        p.add_argument("--expect", type=int, required=True, help="indices 0..N-1 of --prefix are expected")
        p.add_argument("--timeout", type=float, default=60, help="give up after this many seconds (default 60)")
        p.add_argument("--tag", default=None, help="subscription expression, e.g. 'TagA||TagB' (default *)")
        p.add_argument("--produced-tags", default=None,
                       help="the producer's --tags list: only indices whose tag matches --tag are expected")
        p.add_argument("--verbose", action="store_true", help="one JSON line per delivery")

    p = sub.add_parser("consume", help="push consumer; wait for --expect distinct bodies")
    common(p, "rmq_interop_consumer")
    consuming(p)
    p.add_argument("--broadcast", action="store_true", help="BROADCASTING message model")
    p.add_argument("--orderly", action="store_true", help="orderly listener; exit 1 on order violations")
    p.add_argument("--linger", type=float, default=0, help="keep consuming this long after success (duplicates)")
    p.add_argument("--threads", type=int, default=0, help="consume thread count (C++ default otherwise)")
    p.add_argument("--batch-size", type=int, default=0, help="consumeMessageBatchMaxSize")
    p.add_argument("--fail-first", type=int, default=0,
                   help="answer RECONSUME_LATER to the first K deliveries of each expected body; "
                        "a body counts as received at delivery K+1")

    p = sub.add_parser("pull", help="pull consumer over every queue from offset 0")
    common(p, "rmq_interop_pull")
    consuming(p)
    p.add_argument("--batch", type=int, default=32, help="max messages per pull")

    p = sub.add_parser("bench-produce", help="T threads doing sync sends for --duration seconds")
    common(p, "rmq_interop_bench")
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--send-timeout-ms", type=int, default=3000)
    p.add_argument("--warmup", type=float, default=4,
                   help="seconds between the untimed warm-up send and the timed run (default 4)")
    p.add_argument("--max-failed", type=int, default=0, help="failed sends tolerated for exit 0 (default 0)")
    p.add_argument("--shared-producer", action="store_true",
                   help="one producer shared by all threads instead of one per thread (expect spurious "
                        "'No route info' failures under contention)")

    sub.add_parser("check", help="load the C++ library and print where it is (no broker needed)")
    return ap


def main():
    ap = build_parser()
    args = ap.parse_args()
    if not args.cmd:
        ap.print_help(sys.stderr)
        return EXIT_USAGE
    if args.cmd == "check":
        return cmd_check(args)
    if "|" in args.prefix or not args.prefix:
        ap.error("--prefix must be non-empty and must not contain '|'")
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    return {"produce": cmd_produce, "consume": cmd_consume, "pull": cmd_pull,
            "bench-produce": cmd_bench}[args.cmd](args)


if __name__ == "__main__":
    rc = main()
    sys.stdout.flush()
    os._exit(rc or 0)
