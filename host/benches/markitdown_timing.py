"""Times markitdown converting files in-process (Python start-up and imports
excluded), for host/benches/ingest.rs. Prints one JSON object: per file, the
seconds per conversion and the structure markitdown's Markdown output has.

    python3 host/benches/markitdown_timing.py REPEATS FILE...
"""
import json
import re
import sys
import time

from markitdown import MarkItDown


def structure(markdown):
    lines = markdown.splitlines()
    return {
        "headings": sum(1 for l in lines if re.match(r"#{1,6} ", l)),
        "list_items": sum(1 for l in lines if re.match(r"\s*([-*+]|\d+[.)]) ", l)),
        "table_rows": sum(1 for l in lines if l.startswith("|") and not re.match(r"^\|[\s:|-]+\|$", l)),
        "chars": len(markdown),
    }


def main():
    repeats = int(sys.argv[1])
    converter = MarkItDown()
    results = {}
    for path in sys.argv[2:]:
        converter.convert(path)  # warm-up: lazy imports, caches
        started = time.perf_counter()
        for _ in range(repeats):
            markdown = converter.convert(path).text_content
        elapsed = (time.perf_counter() - started) / repeats
        results[path] = {"seconds": elapsed, **structure(markdown)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
