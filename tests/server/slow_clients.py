#!/usr/bin/env python3
"""Hostile-client probe for `tern serve` (README, "tern serve on a network"): starts the
server, opens N slow-header sockets (a byte every 100 ms) and N idle ones, then times
GET /health and a 4-token completion on fresh connections. Prints one JSON line (with the
server's VmRSS before and while holding the sockets). Extra arguments go to `tern serve`.

  tests/server/slow_clients.py --tern build/release/tern -m models/tern-demo-6m.gguf --sockets 25
"""
import argparse, json, resource, socket, subprocess, sys, threading, time, urllib.request

from load_test import free_port, rss_kb  # same folder


def timed(url, data=None, timeout=30.0):
    t0 = time.monotonic()
    try:
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            return r.status, round(time.monotonic() - t0, 3)
    except Exception as e:  # a timeout is the finding, not a failure of the probe
        return type(e).__name__, round(time.monotonic() - t0, 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tern", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("--sockets", type=int, default=200, help="slow sockets, and as many idle ones")
    ap.add_argument("--timeout", type=float, default=10.0, help="client timeout per probe request")
    args, extra = ap.parse_known_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = free_port()
    srv = subprocess.Popen([args.tern, "serve", "-m", args.model, "--port", str(port), "-t", "1", "-c", "256"] + extra,
                           stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if timed(base + "/health", timeout=1.0)[0] == 200:
                break
            time.sleep(0.1)
        rss_before = rss_kb(srv.pid)
        slow, idle = [], []
        for _ in range(args.sockets):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
            idle.append(socket.create_connection(("127.0.0.1", port)))
        stop = threading.Event()

        def drip():
            while not stop.is_set():
                for s in slow:
                    try:
                        s.send(b"X")
                    except OSError:
                        pass
                time.sleep(0.1)

        t = threading.Thread(target=drip)
        t.start()
        time.sleep(0.5)
        rss_held = rss_kb(srv.pid)
        health = timed(base + "/health", timeout=args.timeout)
        body = json.dumps({"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}).encode()
        completion = timed(base + "/v1/completions", data=body, timeout=args.timeout)
        stop.set()
        t.join()
        print(json.dumps({"sockets_slow": args.sockets, "sockets_idle": args.sockets,
                          "health": {"status": health[0], "seconds": health[1]},
                          "completion": {"status": completion[0], "seconds": completion[1]},
                          "rss_kb_before": rss_before, "rss_kb_holding": rss_held}))
        for s in slow + idle:
            s.close()
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    sys.exit(main())
