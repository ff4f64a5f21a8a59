#!/usr/bin/env python3
"""Three `tern serve` replicas of the demo model behind HAProxy (scripts/serve_replicas.sh,
deploy/haproxy.cfg), under sequential and concurrent streaming load plus non-streaming
requests: one replica is stopped with SIGTERM mid-load (it drains and exits), then the
script's rolling-restart drains and restarts every replica, one at a time, still under load.
Passes only if no request failed, every stream ended with `data: [DONE]` after a chunk with
finish_reason "length", and the drains did have generations in flight.

  tests/deploy/replicas_test.py --tern build/release/tern
"""
import argparse, http.client, json, os, random, re, shutil, socket, subprocess, sys, tempfile, threading, time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "serve_replicas.sh")
N = 3
MAX_TOKENS = 200
WAIT = 120  # seconds for any one state to be reached (a loaded or emulated machine)


def free_base_port(n):
    """A base port P with P..P+n+1 all free on loopback."""
    for _ in range(200):
        base = random.randrange(20000, 60000)
        socks = []
        try:
            for p in range(base, base + n + 2):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    sys.exit("no free port range found")


def request(port, stream, seed):
    """One completion through HAProxy; an error string, or None when the reply is whole."""
    body = json.dumps({"prompt": "Once upon a time", "max_tokens": MAX_TOKENS, "ignore_eos": True,
                       "temperature": 0.8, "seed": seed, "stream": stream})
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        c.request("POST", "/v1/completions", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        if r.status != 200:
            return f"status {r.status}: {r.read()[:200]!r}"
        if not stream:
            j = json.loads(r.read())
            reason = j["choices"][0]["finish_reason"]
            return None if reason == "length" else f"finish_reason {reason}"
        reason, done = None, False
        for line in r:
            line = line.strip()
            if line == b"data: [DONE]":
                done = True
            elif line.startswith(b"data: "):
                j = json.loads(line[6:])
                if j.get("choices") and j["choices"][0].get("finish_reason"):
                    reason = j["choices"][0]["finish_reason"]
        if not done:
            return "stream ended without data: [DONE]"
        return None if reason == "length" else f"finish_reason {reason}"
    except Exception as e:  # a reset, a timeout, a malformed reply: all failures
        return f"{type(e).__name__}: {e}"
    finally:
        c.close()


class Load:
    """Clients looping over requests until stopped: `streams` concurrent streaming ones
    (the first alone is the sequential load) and one non-streaming one."""

    def __init__(self, port, streams):
        self.port, self.stop, self.lock = port, threading.Event(), threading.Lock()
        self.done = [0] * (streams + 1)
        self.failures = []
        self.threads = [threading.Thread(target=self.client, args=(i, i < streams)) for i in range(streams + 1)]
        for t in self.threads:
            t.start()

    def client(self, i, stream):
        seed = i * 100000
        while not self.stop.is_set():
            seed += 1
            err = request(self.port, stream, seed)
            with self.lock:
                self.done[i] += 1
                if err:
                    self.failures.append(f"client {i} ({'stream' if stream else 'whole'}): {err}")

    def wait_each(self, more):
        """Until every client has finished `more` further requests."""
        with self.lock:
            goal = [d + more for d in self.done]
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            with self.lock:
                if all(d >= g for d, g in zip(self.done, goal)):
                    return
            time.sleep(0.05)
        sys.exit(f"load stalled: done {self.done}, wanted {goal}")

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def in_flight(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/metrics")
        m = re.search(rb"\ntern_generations_in_flight (\d+)\n", c.getresponse().read())
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tern", required=True)
    ap.add_argument("-m", default=os.path.join(REPO, "models", "tern-demo-6m.gguf"))
    a = ap.parse_args()
    state = tempfile.mkdtemp(prefix="tern-replicas-test-")
    env = dict(os.environ, TERN_REPLICAS_DIR=state)
    port = free_base_port(N)

    def script(*args):
        subprocess.run([SCRIPT, *args], env=env, check=True, timeout=WAIT * 3)

    script("start", "-n", str(N), "--port", str(port), "-m", a.m, "--tern", a.tern, "--drain-timeout", "60",
           "--", "-t", "1", "-c", "512", "--parallel", "2")
    load = None
    try:
        load = Load(port, streams=4)
        load.wait_each(2)
        # SIGTERM replica 2 while it generates (its gauge says so), as an orchestrator would.
        end = time.monotonic() + WAIT
        while in_flight(port + 2) == 0 and time.monotonic() < end:
            time.sleep(0.01)
        pid = int(open(os.path.join(state, "replica-2.pid")).read())
        os.kill(pid, 15)
        end = time.monotonic() + WAIT
        while not gone(pid):
            if time.monotonic() > end:
                sys.exit("replica 2 did not exit after SIGTERM")
            time.sleep(0.05)
        load.wait_each(3)  # served by the two left
        script("rolling-restart")
        load.wait_each(2)
    finally:
        if load:
            load.end()
        script("stop")

    logs = "".join(open(os.path.join(state, f"replica-{k}.log")).read() for k in range(1, N + 1))
    drained = [json.loads(l) for l in logs.splitlines() if '"event":"drained"' in l]
    total = sum(load.done)
    print(f"{total} requests ({load.done} per client), {len(drained)} drains, "
          f"in flight at their start: {[d['in_flight'] for d in drained]}")
    ok = True
    if load.failures:
        ok = False
        print(f"FAIL: {len(load.failures)} failed requests:\n  " + "\n  ".join(load.failures[:20]))
    # SIGTERM of replica 2, the rolling restart's other two (replica 2 had already exited),
    # and stop's three.
    if len(drained) != 2 * N:
        ok = False
        print(f"FAIL: {len(drained)} drained lines in the replicas' logs, expected {2 * N}")
    if sum(d["in_flight"] for d in drained) == 0 or any(d["cancelled"] for d in drained):
        ok = False
        print("FAIL: the drains had no generation in flight, or cancelled one")
    if ok:
        shutil.rmtree(state, ignore_errors=True)
    else:
        print(f"logs kept in {state}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
