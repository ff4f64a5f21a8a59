#!/usr/bin/env python3
"""deploy/ without Docker or a cluster: kubernetes.yaml parses and its probes, drain timing
and autoscaler metric agree with the Dockerfile and with what `tern serve` exports;
the Dockerfile has the stages, user, port, health check and entry point it promises;
HAProxy accepts haproxy.cfg (`haproxy -c`) and it checks /health and retries.

  tests/deploy/deploy_files_test.py
"""
import json, os, re, subprocess, sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(REPO, "deploy")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def read(*path):
    with open(os.path.join(REPO, *path)) as f:
        return f.read()


def dockerfile():
    """Instructions of deploy/Dockerfile (continuations joined), as (KEYWORD, rest)."""
    text = re.sub(r"\\\n", " ", read("deploy", "Dockerfile"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def flag(args, name):
    return args[args.index(name) + 1] if name in args else None


def main():
    # --- Dockerfile ---------------------------------------------------------------------
    ins = dockerfile()
    froms = [r for k, r in ins if k == "FROM"]
    check(len(froms) == 2 and froms[0].startswith("debian:12 ") and froms[1] == "debian:12-slim",
          f"Dockerfile: two stages, debian:12 then debian:12-slim: {froms}")
    users = [r for k, r in ins if k == "USER"]
    check(users and users[-1] not in ("root", "0"), f"Dockerfile: runs as a user without rights: {users}")
    check(("EXPOSE", "8080") in ins, "Dockerfile: EXPOSE 8080")
    health = [r for k, r in ins if k == "HEALTHCHECK"]
    check(health and "/health" in health[0] and "8080" in health[0], f"Dockerfile: HEALTHCHECK on /health: {health}")
    entry = json.loads(next(r for k, r in ins if k == "ENTRYPOINT"))
    cmd = json.loads(next(r for k, r in ins if k == "CMD"))
    check(entry[:2] == ["tern", "serve"] and flag(entry, "--host") == "0.0.0.0" and flag(entry, "--port") == "8080",
          f"Dockerfile: ENTRYPOINT tern serve --host 0.0.0.0 --port 8080: {entry}")
    drain = float(flag(entry, "--drain-timeout") or "nan")
    check(0 < drain <= 3600, f"Dockerfile: ENTRYPOINT sets --drain-timeout: {entry}")
    model = flag(cmd, "-m")
    copies = [r.split() for k, r in ins if k == "COPY"]
    check(any(c[-1] == model and os.path.isfile(os.path.join(REPO, c[0])) for c in copies),
          f"Dockerfile: the CMD's model {model} is copied into the image from the repository")

    # --- kubernetes.yaml ----------------------------------------------------------------
    docs = list(yaml.safe_load_all(read("deploy", "kubernetes.yaml")))
    kinds = {d["kind"]: d for d in docs}
    check(set(kinds) == {"Deployment", "Service", "HorizontalPodAutoscaler"}, f"kubernetes.yaml kinds: {list(kinds)}")
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    check(ports.get("http") == 8080, f"container port http = 8080 (the image's): {ports}")
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        g = c.get(probe, {}).get("httpGet", {})
        check(g.get("path") == "/health" and g.get("port") in ("http", 8080), f"{probe} GETs /health: {g}")
    live = c["livenessProbe"]
    check(live["periodSeconds"] * live["failureThreshold"] > drain,
          "livenessProbe: failing longer than the drain, so a draining pod is not restarted")
    check(c["readinessProbe"].get("failureThreshold") == 1, "readinessProbe: out at the first 503")
    pre = c["lifecycle"]["preStop"]["exec"]["command"]
    pre_s = float(pre[1]) if pre[0] == "sleep" else 0
    check(pod["terminationGracePeriodSeconds"] >= pre_s + drain + 5,
          f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']} covers preStop {pre_s} s + "
          f"--drain-timeout {drain} s + 5 s")
    check(flag(c["args"], "-m") == model, "the Deployment serves the model the image holds")
    res = c["resources"]
    check(all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("cpu", "memory")),
          f"resources: requests and limits of cpu and memory: {res}")
    svc = kinds["Service"]["spec"]
    check(svc["selector"] == kinds["Deployment"]["spec"]["selector"]["matchLabels"], "Service selects the Deployment's pods")
    check(svc["ports"][0]["targetPort"] in ("http", 8080), "Service targets the http port")
    hpa = kinds["HorizontalPodAutoscaler"]["spec"]
    metric = hpa["metrics"][0]
    check(hpa["scaleTargetRef"]["name"] == kinds["Deployment"]["metadata"]["name"], "the autoscaler scales the Deployment")
    check(metric["type"] == "Pods", "the autoscaler reads a Pods metric")
    name = metric["pods"]["metric"]["name"]
    check(f'"{name} "' in read("src", "server", "metrics.cpp"),
          f"the autoscaler's metric {name} is one tern serve exports (src/server/metrics.cpp)")

    # --- haproxy.cfg --------------------------------------------------------------------
    cfg = os.path.join(DEPLOY, "haproxy.cfg")
    r = subprocess.run(["haproxy", "-c", "-f", cfg], capture_output=True, text=True)
    check(r.returncode == 0, f"haproxy -c -f deploy/haproxy.cfg: {r.stdout}{r.stderr}")
    text = re.sub(r"^\s*#.*$", "", read("deploy", "haproxy.cfg"), flags=re.M)
    check(re.search(r"^\s*http-check send meth GET uri /health$", text, re.M) is not None, "haproxy.cfg checks /health")
    check(re.search(r"^\s*retry-on .*\b503\b", text, re.M) and re.search(r"^\s*option redispatch", text, re.M),
          "haproxy.cfg retries 503s on another server")
    check("shutdown-sessions" not in text, "haproxy.cfg does not cut the streams of a server marked down")

    for f in failures:
        print("FAIL:", f)
    print("PASS" if not failures else f"FAIL ({len(failures)})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
