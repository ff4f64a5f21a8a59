#!/usr/bin/env python3
"""A fake Hugging Face Hub for tern's download tests: HTTPS on a loopback port with a
certificate made for the test (openssl), serving the routes tern uses the way the Hub does:

  GET  /api/models/{repo}/tree/{rev}?recursive=true   the file listing (lfs.oid for LFS files)
  HEAD /{repo}/resolve/{rev}/{path}                    X-Repo-Commit, ETag; for LFS files a 302
  GET  /{repo}/resolve/{rev}/{path}                    to the "CDN" with X-Linked-Etag (SHA-256)
  GET  /cdn/{sha256}                                   and X-Linked-Size; Range -> 206
                                                       Content-Range (416 past the end)

The CDN answers on https://localhost:PORT while the Hub is https://127.0.0.1:PORT, another host
name, so a test can see that the token is not sent there. Gated repos answer 401 (X-Error-Code:
GatedRepo) without the right "Authorization: Bearer". Knobs (Hub.faults) make the CDN cut the
connection, ignore Range, answer 416 or a wrong Content-Range, or serve corrupt bytes.
Every request is logged in Hub.log as (method, path, headers). Standard library only.
"""
import hashlib, http.server, json, os, socket, ssl, subprocess, threading, urllib.parse


def make_certificate(directory):
    """A self-signed certificate for localhost and 127.0.0.1; returns (cert, key) paths."""
    cert, key = os.path.join(directory, "hub-cert.pem"), os.path.join(directory, "hub-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Repo:
    def __init__(self, files, lfs=(), commit=None, token=None):
        self.files = dict(files)           # path -> bytes
        self.lfs = set(lfs)                # paths stored in LFS
        self.commit = commit or hashlib.sha1(repr(sorted(self.files)).encode()).hexdigest()
        self.token = token                 # gated: the token that opens it


class Hub:
    def __init__(self, cert, key):
        self.repos = {}
        self.blobs = {}                    # sha256 -> bytes, what the CDN serves
        self.faults = {}                   # name -> value, see Handler.cdn
        self.log = []
        self.lock = threading.Lock()
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.route(head=True)

            def do_GET(self):
                self.route(head=False)

            def send(self, status, headers=(), body=b"", head=False):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def route(self, head):
                url = urllib.parse.urlsplit(self.path)
                with hub.lock:
                    hub.log.append((self.command, url.path, {k.lower(): v for k, v in self.headers.items()}))
                parts = url.path.strip("/").split("/")
                if parts[:2] == ["api", "models"] and len(parts) >= 6 and parts[4] == "tree":
                    return self.tree("/".join(parts[2:4]), head)
                if parts[0] == "cdn" and len(parts) == 2:
                    return self.cdn(parts[1], head)
                if len(parts) >= 5 and parts[2] == "resolve":
                    return self.resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]), head)
                self.send(404, [("X-Error-Code", "RepoNotFound")], b"not found", head)

            def gate(self, name, repo, head):
                if repo.token and self.headers.get("Authorization") != "Bearer " + repo.token:
                    self.send(401, [("X-Error-Code", "GatedRepo"),
                                    ("X-Error-Message", "Access to model %s is restricted. You must have access to it "
                                                        "and be authenticated to access it. Please log in." % name)],
                              b"gated", head)
                    return False
                return True

            def tree(self, name, head):
                repo = hub.repos.get(name)
                if repo is None:
                    return self.send(404, [("X-Error-Code", "RepoNotFound")], b"", head)
                if not self.gate(name, repo, head):
                    return
                entries = []
                for path, data in sorted(repo.files.items()):
                    e = {"type": "file", "path": path, "size": len(data), "oid": git_blob_id(data)}
                    if path in repo.lfs:
                        e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 130}
                    entries.append(e)
                self.send(200, [("Content-Type", "application/json")], json.dumps(entries).encode(), head)

            def resolve(self, name, rev, path, head):
                repo = hub.repos.get(name)
                if repo is None:
                    return self.send(404, [("X-Error-Code", "RepoNotFound")], b"", head)
                if not self.gate(name, repo, head):
                    return
                if rev not in ("main", repo.commit):
                    return self.send(404, [("X-Error-Code", "RevisionNotFound")], b"", head)
                data = repo.files.get(urllib.parse.unquote(path))
                if data is None:
                    return self.send(404, [("X-Error-Code", "EntryNotFound"), ("X-Repo-Commit", repo.commit)], b"", head)
                common = [("X-Repo-Commit", repo.commit)]
                if path in repo.lfs:
                    sha = hashlib.sha256(data).hexdigest()
                    hub.blobs[sha] = data
                    linked = hub.faults.get("linked_etag", sha)
                    port = self.server.server_address[1]
                    return self.send(302, common + [("Location", "https://localhost:%d/cdn/%s" % (port, sha)),
                                                    ("ETag", '"%s"' % git_blob_id(b"pointer " + sha.encode())),
                                                    ("X-Linked-Etag", '"%s"' % linked),
                                                    ("X-Linked-Size", str(len(data)))], b"", head)
                self.send(200, common + [("ETag", '"%s"' % git_blob_id(data))], data, head)

            def cdn(self, sha, head):
                data = hub.blobs.get(sha)
                if data is None:
                    return self.send(404, [], b"", head)
                f = hub.faults
                if f.get("corrupt"):
                    data = data[:-1] + bytes([data[-1] ^ 1])
                rng = self.headers.get("Range")
                if rng and f.get("always_416"):
                    return self.send(416, [("Content-Range", "bytes */%d" % len(data))], b"", head)
                start = 0
                if rng and not f.get("ignore_range"):
                    start = int(rng.split("=", 1)[1].split("-", 1)[0])
                    if start >= len(data):
                        return self.send(416, [("Content-Range", "bytes */%d" % len(data))], b"", head)
                    shown = 0 if f.get("wrong_content_range") else start
                    if f.get("wrong_content_range"):
                        f["wrong_content_range"] = False  # once
                    body = data[shown:]
                    headers = [("Content-Range", "bytes %d-%d/%d" % (shown, len(data) - 1, len(data)))]
                    status = 206
                else:
                    body, headers, status = data, [], 200
                cut = f.get("cut_after")
                if cut is not None and not head and len(body) > cut:
                    f["cut_after"] = None  # once: the retry gets the rest
                    self.send_response(status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send(status, headers, body, head)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.endpoint = "https://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, name, repo):
        self.repos[name] = repo
        return repo

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self, method=None, prefix=""):
        with self.lock:
            return [r for r in self.log if (method is None or r[0] == method) and r[1].startswith(prefix)]
