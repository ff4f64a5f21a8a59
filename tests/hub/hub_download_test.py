#!/usr/bin/env python3
"""`tern pull` and `-hf` against the fake Hub (fake_hub.py): HTTPS on loopback with a
certificate trusted only through CURL_CA_BUNDLE, never a real network.

  tests/hub/hub_download_test.py --tern build/release/tern --model models/tern-demo-6m.gguf [--checkpoint DIR]

Each test gets its own HF_HOME (the Hub cache) and TERN_CACHE_DIR in a temporary folder.
"""
import argparse, hashlib, os, shutil, subprocess, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_hub import Hub, Repo, make_certificate  # noqa: E402

ARGS = None
HUB = None
WORK = None
CERT = None
DEMO = b""
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class HubTest(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(dir=WORK)
        self.cache = os.path.join(self.home, "hub")
        HUB.faults.clear()
        HUB.log.clear()

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "CA_BUNDLE" not in k
               and k != "SSL_CERT_FILE"}
        env.update(HF_HOME=self.home, HF_ENDPOINT=HUB.endpoint, CURL_CA_BUNDLE=CERT,
                   TERN_CACHE_DIR=os.path.join(self.home, "tern"))
        env.update(extra)
        return {k: v for k, v in env.items() if v is not None}

    def tern(self, *args, **env):
        p = subprocess.run([ARGS.tern, *args], env=self.env(**env), capture_output=True, text=True, timeout=300)
        return p

    def pull(self, spec, ok=True, **env):
        p = self.tern("pull", spec, **env)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout.strip()
        self.assertNotEqual(p.returncode, 0, p.stdout)
        return p.stderr

    def repo_dir(self, name):
        return os.path.join(self.cache, "models--" + name.replace("/", "--"))

    def assert_cached(self, path, name, file, data):
        """The huggingface_hub layout: a relative snapshot symlink to blobs/{sha256}, refs/main."""
        repo = self.repo_dir(name)
        self.assertEqual(path, os.path.join(repo, "snapshots", COMMIT, file))
        self.assertEqual(os.readlink(path), "../../blobs/" + sha256(data))
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        with open(os.path.join(repo, "refs", "main")) as f:
            self.assertEqual(f.read(), COMMIT)
        self.assertEqual([n for n in os.listdir(os.path.join(repo, "blobs")) if n.endswith(".incomplete")], [])

    def cdn_gets(self):
        return HUB.requests("GET", "/cdn/")

    # ---- fresh download, choice of file, cache reuse ----------------------------------------

    def test_fresh_download_picks_i2_s_through_cdn_redirect(self):
        path = self.pull("org/bitnet-gguf", HF_TOKEN="not-for-the-cdn")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-i2_s.gguf", DEMO)
        gets = self.cdn_gets()
        self.assertEqual(len(gets), 1)
        self.assertEqual(gets[0][2]["host"].split(":")[0], "localhost")  # the CDN is another host...
        self.assertNotIn("authorization", gets[0][2])                     # ...that never sees the token
        heads = HUB.requests("HEAD", "/org/bitnet-gguf/resolve/main/")
        self.assertEqual(heads[0][2].get("authorization"), "Bearer not-for-the-cdn")
        # Pulled again: the blob is in the cache, only metadata is asked.
        self.assertEqual(self.pull("org/bitnet-gguf"), path)
        self.assertEqual(len(self.cdn_gets()), 1)

    def test_file_and_quant_tag(self):
        path = self.pull("org/bitnet-gguf:ggml-model-f16.gguf")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-f16.gguf", F16)
        self.assertEqual(self.pull("org/bitnet-gguf:I2_S"), os.path.join(os.path.dirname(path), "ggml-model-i2_s.gguf"))
        err = self.pull("org/bitnet-gguf:q9_z", ok=False)
        self.assertIn("q9_z: no GGUF match", err)
        self.assertIn("ggml-model-f16.gguf", err)
        err = self.pull("org/bitnet-gguf:missing.gguf", ok=False)
        self.assertIn("HTTP 404", err)
        self.assertIn("no such file", err)

    def test_non_lfs_file_from_resolve_with_etag(self):
        path = self.pull("org/small-gguf")
        repo = self.repo_dir("org/small-gguf")
        blob = os.readlink(path)
        self.assertTrue(blob.startswith("../../../blobs/"), blob)  # sub/model.gguf: one more ../
        self.assertTrue(os.path.exists(os.path.join(repo, "blobs", os.path.basename(blob))))
        self.assertEqual(self.cdn_gets(), [])

    # ---- resume ------------------------------------------------------------------------------

    def test_resume_after_cut_connection(self):
        HUB.faults["cut_after"] = 1000000
        path = self.pull("org/bitnet-gguf")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-i2_s.gguf", DEMO)
        gets = self.cdn_gets()
        self.assertEqual(len(gets), 2)
        self.assertNotIn("range", gets[0][2])
        self.assertEqual(gets[1][2]["range"], "bytes=1000000-")

    def incomplete(self, name, data):
        blobs = os.path.join(self.repo_dir("org/bitnet-gguf"), "blobs")
        os.makedirs(blobs, exist_ok=True)
        with open(os.path.join(blobs, sha256(DEMO) + ".incomplete"), "wb") as f:
            f.write(data)

    def test_resume_of_partial_file_left_by_an_earlier_run(self):
        self.incomplete("org/bitnet-gguf", DEMO[:123457])
        path = self.pull("org/bitnet-gguf")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-i2_s.gguf", DEMO)
        self.assertEqual([g[2].get("range") for g in self.cdn_gets()], ["bytes=123457-"])

    def test_server_ignoring_range_restarts_from_zero(self):
        self.incomplete("org/bitnet-gguf", DEMO[:5000])
        HUB.faults["ignore_range"] = True
        path = self.pull("org/bitnet-gguf")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-i2_s.gguf", DEMO)

    def test_416_and_wrong_content_range_start_over(self):
        self.incomplete("org/bitnet-gguf", b"x" * 5000)  # not a prefix of the file
        HUB.faults["always_416"] = True
        path = self.pull("org/bitnet-gguf")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-i2_s.gguf", DEMO)
        self.assertEqual([g[2].get("range") for g in self.cdn_gets()], ["bytes=5000-", None])
        shutil.rmtree(self.cache)
        self.incomplete("org/bitnet-gguf", DEMO[:7000])
        HUB.log.clear()
        HUB.faults.clear()
        HUB.faults["wrong_content_range"] = True
        path = self.pull("org/bitnet-gguf")
        self.assert_cached(path, "org/bitnet-gguf", "ggml-model-i2_s.gguf", DEMO)
        self.assertEqual([g[2].get("range") for g in self.cdn_gets()], ["bytes=7000-", None])

    # ---- integrity ---------------------------------------------------------------------------

    def test_sha256_mismatch_is_refused_and_kept_out_of_the_cache(self):
        HUB.faults["corrupt"] = True
        err = self.pull("org/bitnet-gguf", ok=False)
        self.assertIn("SHA-256 mismatch", err)
        bad = DEMO[:-1] + bytes([DEMO[-1] ^ 1])
        self.assertIn(sha256(DEMO), err)
        self.assertIn(sha256(bad), err)
        blobs = os.path.join(self.repo_dir("org/bitnet-gguf"), "blobs")
        self.assertEqual(os.listdir(blobs), [])
        self.assertFalse(os.path.exists(os.path.join(self.repo_dir("org/bitnet-gguf"), "snapshots")))

    def test_certificate_is_verified(self):
        err = self.pull("org/bitnet-gguf", ok=False, CURL_CA_BUNDLE=None)
        self.assertIn("TLS", err)
        self.assertEqual(self.cdn_gets(), [])

    # ---- offline -----------------------------------------------------------------------------

    def test_offline_with_and_without_a_cached_file(self):
        err = self.pull("org/bitnet-gguf", ok=False, HF_HUB_OFFLINE="1")
        self.assertIn("HF_HUB_OFFLINE is set", err)
        self.assertIn("not in the local cache", err)
        path = self.pull("org/bitnet-gguf")
        HUB.log.clear()
        self.assertEqual(self.pull("org/bitnet-gguf", HF_HUB_OFFLINE="1"), path)
        self.assertEqual(self.pull("org/bitnet-gguf:ggml-model-i2_s.gguf", HF_HUB_OFFLINE="1"), path)
        err = self.pull("org/bitnet-gguf:ggml-model-f16.gguf", ok=False, HF_HUB_OFFLINE="1")
        self.assertIn("not in the local cache", err)
        self.assertEqual(HUB.log, [])
        # No network at all (nothing listens on the endpoint): the cache answers, with a note.
        p = self.tern("pull", "org/bitnet-gguf", HF_ENDPOINT="https://127.0.0.1:%d" % CLOSED_PORT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), path)
        self.assertIn("using the local cache", p.stderr)

    def test_huggingface_cli_layout_is_found(self):
        repo = self.repo_dir("org/cli-fetched")
        os.makedirs(os.path.join(repo, "blobs"))
        os.makedirs(os.path.join(repo, "refs"))
        os.makedirs(os.path.join(repo, "snapshots", COMMIT))
        with open(os.path.join(repo, "blobs", sha256(DEMO)), "wb") as f:
            f.write(DEMO)
        with open(os.path.join(repo, "refs", "main"), "w") as f:
            f.write(COMMIT)
        os.symlink("../../blobs/" + sha256(DEMO), os.path.join(repo, "snapshots", COMMIT, "model-I2_S.gguf"))
        expected = os.path.join(repo, "snapshots", COMMIT, "model-I2_S.gguf")
        self.assertEqual(self.pull("org/cli-fetched", HF_HUB_OFFLINE="1"), expected)
        # HF_HUB_CACHE wins over HF_HOME.
        moved = os.path.join(self.home, "elsewhere")
        shutil.move(self.cache, moved)
        self.assertEqual(self.pull("org/cli-fetched", HF_HUB_OFFLINE="1", HF_HUB_CACHE=moved),
                         expected.replace(self.cache, moved))

    # ---- auth --------------------------------------------------------------------------------

    def test_gated_repo_401_named_clearly(self):
        err = self.pull("org/gated", ok=False)
        self.assertIn("org/gated", err)
        self.assertIn("401", err)
        self.assertIn("gated", err)
        self.assertIn("HF_TOKEN", err)
        self.assertIn("request access at %s/org/gated" % HUB.endpoint, err)
        err = self.pull("org/gated", ok=False, HF_TOKEN="wrong")
        self.assertIn("has no access", err)
        path = self.pull("org/gated", HF_TOKEN="sesame")
        self.assert_cached(path, "org/gated", "model-tq2_0.gguf", DEMO)
        shutil.rmtree(self.cache)
        with open(os.path.join(self.home, "token"), "w") as f:  # huggingface-cli login's file
            f.write("sesame\n")
        self.assertEqual(self.pull("org/gated"), path)

    # ---- the CLI end to end ------------------------------------------------------------------

    def test_run_with_hf_flag(self):
        p = self.tern("run", "-hf", "org/bitnet-gguf", "-p", "Once upon a time", "-n", "8", "--temp", "0", "-t", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.strip())
        q = subprocess.run([ARGS.tern, "run", "-m", ARGS.model, "-p", "Once upon a time", "-n", "8", "--temp", "0", "-t", "1"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.stdout, q.stdout)  # the same model, the same text
        p = self.tern("run", "-hf", "org/bitnet-gguf", "-m", ARGS.model, "-p", "x")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("give one", p.stderr)
        p = self.tern("run", "-p", "x")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("-hf REPO", p.stderr)

    def test_checkpoint_is_downloaded_and_converted(self):
        if not ARGS.checkpoint:
            self.skipTest("no --checkpoint folder (../shared/golden/tiny-a)")
        path = self.pull("org/tiny-checkpoint")
        self.assertEqual(path, os.path.join(self.home, "tern", "converted", "models--org--tiny-checkpoint", COMMIT,
                                            "model-tern_t2.gguf"))
        with open(path, "rb") as f:
            self.assertEqual(f.read(4), b"GGUF")
        snap = os.path.join(self.repo_dir("org/tiny-checkpoint"), "snapshots", COMMIT)
        self.assertEqual(sorted(os.listdir(snap)), sorted(n for n in CHECKPOINT if n != "README.md"))
        HUB.log.clear()
        self.assertEqual(self.pull("org/tiny-checkpoint", HF_HUB_OFFLINE="1"), path)  # converted once per commit


CHECKPOINT = {}
F16 = b"GGUF-not-really-f16" * 100
CLOSED_PORT = 0


def main():
    global ARGS, HUB, WORK, CERT, DEMO, CLOSED_PORT
    ap = argparse.ArgumentParser()
    ap.add_argument("--tern", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--checkpoint", default="")
    ARGS, rest = ap.parse_known_args()
    started = time.time()
    WORK = tempfile.mkdtemp(prefix="tern-hub-test-")
    try:
        CERT, key = make_certificate(WORK)
        with open(ARGS.model, "rb") as f:
            DEMO = f.read()
        HUB = Hub(CERT, key)
        lfs = {"ggml-model-i2_s.gguf", "ggml-model-f16.gguf"}
        HUB.add("org/bitnet-gguf", Repo({"ggml-model-i2_s.gguf": DEMO, "ggml-model-f16.gguf": F16,
                                         "README.md": b"# a model card\n"}, lfs, COMMIT))
        HUB.add("org/small-gguf", Repo({"sub/model.gguf": b"GGUF small, not in LFS"}, (), COMMIT))
        HUB.add("org/gated", Repo({"model-tq2_0.gguf": DEMO}, {"model-tq2_0.gguf"}, COMMIT, token="sesame"))
        if ARGS.checkpoint:
            for name in sorted(os.listdir(ARGS.checkpoint)):
                full = os.path.join(ARGS.checkpoint, name)
                if os.path.isfile(full):
                    with open(full, "rb") as f:
                        CHECKPOINT[name] = f.read()
            CHECKPOINT["README.md"] = b"# card\n"
            HUB.add("org/tiny-checkpoint", Repo(CHECKPOINT, {n for n in CHECKPOINT if n.endswith(".safetensors")}, COMMIT))
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        CLOSED_PORT = s.getsockname()[1]
        s.close()  # nothing listens there now
        HUB.start()
        result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
        print("hub_download_test: %.1f s" % (time.time() - started))
        sys.exit(0 if result.wasSuccessful() else 1)
    finally:
        if HUB:
            HUB.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
