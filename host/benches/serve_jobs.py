"""Times whole jobs through `brightrun serve` over HTTP.

Each run uploads the files as one multipart job, follows its server-sent
events to `end`, and reads the job's report.json. The first run is cold (the
server's stage cache is empty), the next ones are warm.

    brightrun serve --data-dir /tmp/b/data --cache-dir /tmp/b/cache &
    python3 host/benches/serve_jobs.py http://127.0.0.1:8080 [--copies N] [--runs R]

With --copies N the job is N distinct documents made from examples/corpus
(a numbered first line, then an example's text), as the e2e load tests do.
"""
import argparse
import json
import os
import time
import urllib.request
import uuid

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--copies", type=int, default=0)
parser.add_argument("--runs", type=int, default=2)
args = parser.parse_args()

corpus = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "corpus")
examples = [(name, open(os.path.join(corpus, name), "rb").read()) for name in sorted(os.listdir(corpus))]
if args.copies:
    files = []
    for index in range(args.copies):
        name, text = examples[index % len(examples)]
        files.append((f"{index:04}-{name}", f"Copy {index} of {name}, kept for the load test.\n\n".encode() + text))
else:
    files = examples

boundary = uuid.uuid4().hex.encode()
body = b"".join(
    b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n\r\n'
    + text + b"\r\n"
    for name, text in files
) + b"--" + boundary + b"--\r\n"
headers = {"content-type": "multipart/form-data; boundary=" + boundary.decode()}

for run in range(args.runs):
    start = time.perf_counter()
    request = urllib.request.Request(args.url + "/v1/jobs", data=body, headers=headers)
    job = json.load(urllib.request.urlopen(request))
    with urllib.request.urlopen(f"{args.url}/v1/jobs/{job['id']}/events") as events:
        for line in events:
            if line.startswith(b"event: end"):
                break
    total = time.perf_counter() - start
    report = json.load(urllib.request.urlopen(f"{args.url}/v1/jobs/{job['id']}/files/report.json"))
    print(
        f"run {run + 1}: {len(files)} files, {len(body) / 1e6:.1f} MB uploaded, "
        f"end to end {total:.2f} s, pipeline {report['elapsed_s']:.2f} s, "
        f"{report['counts']['pairs_exported']} pairs"
    )
