"""Measures the Spin app through `brightrun spin-up`: requests per second and
latency of single-stage endpoints, and whole jobs driven by status polls.

    brightrun spin-up --build --listen 127.0.0.1:3000 --state-dir /tmp/spin-bench &
    python3 host/benches/spin_app.py http://127.0.0.1:3000 [--requests N] [--concurrency C]

Stage calls: each endpoint gets N requests from C client threads (keep-alive
off, as a serverless client would); the inputs are made once from
examples/corpus/sqlite-faq.md through the app's own endpoints. Jobs: the
whole of examples/corpus as one upload, polled until done; the first job is
cold, a second upload of the same files is warm (its stage results are in the
key-value store, keyed by content).
"""
import argparse
import json
import os
import statistics
import threading
import time
import urllib.request
import uuid

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--requests", type=int, default=200)
parser.add_argument("--concurrency", type=int, default=2)
args = parser.parse_args()

corpus = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "corpus")


def call(method, path, body=None, content_type=None):
    request = urllib.request.Request(args.url + path, data=body, method=method)
    if content_type:
        request.add_header("content-type", content_type)
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.status, response.read()


def post_json(path, value):
    status, body = call("POST", path, json.dumps(value).encode(), "application/json")
    assert status == 200, (path, status, body[:200])
    return json.loads(body)


faq = open(os.path.join(corpus, "sqlite-faq.md"), "rb").read()
status, body = call("POST", "/v1/stages/ingest?name=sqlite-faq.md", faq, "text/markdown")
documents = json.loads(body)["documents"]
chunks = post_json("/v1/stages/segment", {"documents": documents})[0]["chunks"]
chunk = chunks[1]
analysis = post_json("/v1/stages/analyze", {"chunk": chunk})
pairs = post_json("/v1/stages/generate", {"chunk": chunk, "analysis": analysis})
all_pairs = []
for c in chunks:
    a = post_json("/v1/stages/analyze", {"chunk": c})
    all_pairs += post_json("/v1/stages/generate", {"chunk": c, "analysis": a})

endpoints = [
    ("ingest", "/v1/stages/ingest?name=sqlite-faq.md", faq, "text/markdown", f"{len(faq)} B markdown"),
    ("segment", "/v1/stages/segment", json.dumps({"documents": documents}).encode(), "application/json",
     f"1 document, {len(chunks)} chunks out"),
    ("analyze", "/v1/stages/analyze", json.dumps({"chunk": chunk}).encode(), "application/json", "1 chunk"),
    ("generate", "/v1/stages/generate", json.dumps({"chunk": chunk, "analysis": analysis}).encode(),
     "application/json", f"1 chunk, {len(pairs)} pairs out"),
    ("diversify", "/v1/stages/diversify", json.dumps({"pairs": all_pairs}).encode(), "application/json",
     f"{len(all_pairs)} pairs"),
    ("validate-export", "/v1/stages/validate-export", json.dumps({"pairs": all_pairs}).encode(), "application/json",
     f"{len(all_pairs)} pairs"),
]

print(f"stage endpoints: {args.requests} requests each, {args.concurrency} clients")
print(f"{'endpoint':<16} {'input':<28} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
for name, path, body, content_type, described in endpoints:
    latencies = []
    lock = threading.Lock()
    remaining = [args.requests]

    def worker():
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            started = time.perf_counter()
            status, _ = call("POST", path, body, content_type)
            assert status == 200, (name, status)
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    print(f"{name:<16} {described:<28} {len(latencies) / elapsed:>7.1f} {p50:>8.1f} {p95:>8.1f}")

files = [(name, open(os.path.join(corpus, name), "rb").read()) for name in sorted(os.listdir(corpus))]
boundary = uuid.uuid4().hex.encode()
upload = b"".join(
    b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n\r\n'
    + text + b"\r\n"
    for name, text in files
) + b"--" + boundary + b"--\r\n"

print(f"\nwhole jobs: examples/corpus ({len(files)} files, {sum(len(t) for _, t in files)} B), polled until done")
for label in ["cold", "warm"]:
    started = time.perf_counter()
    status, body = call("POST", "/v1/jobs", upload, "multipart/form-data; boundary=" + boundary.decode())
    job = json.loads(body)
    polls = 0
    while job["status"] in ("queued", "running"):
        status, body = call("GET", f"/v1/jobs/{job['id']}")
        job = json.loads(body)
        polls += 1
    elapsed = time.perf_counter() - started
    print(f"{label}: {job['status']} in {elapsed:.2f} s, {job['steps']} steps, {polls} polls, "
          f"{job['counts']['chunks']} chunks, {job['counts']['pairs_exported']} pairs")
