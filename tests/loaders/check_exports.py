"""Loads a brightrun export folder with the trainers' own loader code.

Run by the e2e test `exports_load_in_the_trainers_real_loaders` with the
virtual environment `tests/loaders/setup` makes. Every check uses the
libraries' real functions:

- `datasets.load_dataset("json", ...)` on every file, as every trainer does;
- LLaMA-Factory 0.9.5: `get_dataset_list` reads our `dataset_info.json`, and
  its `AlpacaDatasetConverter` / `SharegptDatasetConverter` convert every row
  (its `llamafactory.data` package imports torch for the collator, so the
  package `__init__`s, `extras.misc` and `peft.utils` are stubbed; parser,
  converter, data_utils, constants, logging and DataArguments are theirs);
- TRL: `is_conversational` and `maybe_apply_chat_template` (with SmolLM2's
  chat template, written below) on `openai.jsonl` and `completion.jsonl`, the
  files the README names for TRL. (TRL's `maybe_convert_to_chatml` keeps
  ShareGPT's `human`/`gpt` as role names, so `sharegpt.json`, written for
  LLaMA-Factory and axolotl, is not a TRL file.)

axolotl and Unsloth import torch (and Unsloth a GPU) at import time; the
script says whether they were importable and checks them only then.

A row any loader drops, rejects or changes fails the check: the script prints
each problem and exits 1. It prints one JSON line of counts on success.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# TRL warns that the stubbed peft has no version; nothing here uses peft.
warnings.filterwarnings("ignore", message="Failed to check peft version")

import datasets  # noqa: E402

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()

# SmolLM2-135M-Instruct's chat template (ChatML), from its tokenizer_config.json.
SMOLLM2_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

problems: list[str] = []


def problem(text: str) -> None:
    if len(problems) < 50:
        problems.append(text)
    elif len(problems) == 50:
        problems.append("... (more problems left out)")


def load_llamafactory():
    """Imports LLaMA-Factory's parser and converter modules without the
    torch-only parts of the package."""
    spec = importlib.util.find_spec("llamafactory")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llamafactory is not installed (pip install --no-deps llamafactory==0.9.5)")
    root = Path(list(spec.submodule_search_locations)[0])

    def package(name: str, folder: Path) -> None:
        module = types.ModuleType(name)
        module.__path__ = [str(folder)]
        sys.modules[name] = module

    package("llamafactory", root)
    package("llamafactory.extras", root / "extras")
    package("llamafactory.data", root / "data")
    package("llamafactory.hparams", root / "hparams")
    misc = types.ModuleType("llamafactory.extras.misc")
    misc.use_modelscope = lambda: False
    misc.use_openmind = lambda: False
    sys.modules["llamafactory.extras.misc"] = misc
    if importlib.util.find_spec("peft") is None:
        peft = types.ModuleType("peft")
        peft_utils = types.ModuleType("peft.utils")
        peft_utils.SAFETENSORS_WEIGHTS_NAME = "adapter_model.safetensors"
        peft_utils.WEIGHTS_NAME = "adapter_model.bin"
        peft.utils = peft_utils
        sys.modules["peft"] = peft
        sys.modules["peft.utils"] = peft_utils

    import llamafactory.data.converter as converter
    import llamafactory.data.parser as parser
    import llamafactory.hparams.data_args as data_args

    return parser, converter, data_args


def load_json(out: Path, name: str):
    return datasets.load_dataset("json", data_files=str(out / name), split="train")


def check_llamafactory(out: Path, raw: dict[str, list]) -> dict[str, int]:
    parser, converter, data_args = load_llamafactory()
    info = json.loads((out / "dataset_info.json").read_text())
    names = sorted(info)
    attrs = parser.get_dataset_list(names, str(out))
    args = data_args.DataArguments(dataset_dir=str(out))
    converted = {}
    for name, attr in zip(names, attrs):
        if attr.load_from != "file":
            problem(f"LLaMA-Factory: {attr} loads from {attr.load_from}, not from the folder")
            continue
        dataset = load_json(out, attr.dataset_name)
        try:
            convert = converter.get_dataset_converter(attr.formatting, attr, args)
            rows = dataset.map(convert, batched=False, remove_columns=list(dataset.column_names))
        except Exception as error:  # the loader's own failure is the finding
            problem(f"LLaMA-Factory: {attr} ({attr.dataset_name}) fails to convert: {type(error).__name__}: {error}")
            continue
        expected = raw[attr.dataset_name]
        if len(rows) != len(expected):
            problem(f"LLaMA-Factory: {attr} has {len(rows)} rows, the file {len(expected)}")
        kept = 0
        for index, row in enumerate(rows):
            # LLaMA-Factory's preprocessors skip these rows as abnormal.
            if len(row["_prompt"]) % 2 != 1 or len(row["_response"]) != 1:
                problem(f"LLaMA-Factory: {attr} row {index} is dropped as abnormal: {row['_prompt']!r}")
                continue
            if not row["_prompt"][-1]["content"].strip() or not row["_response"][0]["content"].strip():
                problem(f"LLaMA-Factory: {attr} row {index} has an empty turn")
                continue
            kept += 1
        converted[name] = kept
    return converted


def chat_tokenizer():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import PreTrainedTokenizerFast

    # The template is what is checked; a word-level vocabulary stands in for
    # SmolLM2's BPE, which nothing here tokenises with.
    backend = Tokenizer(WordLevel({"<unk>": 0, "<|im_start|>": 1, "<|im_end|>": 2}, unk_token="<unk>"))
    backend.pre_tokenizer = Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", eos_token="<|im_end|>")
    tokenizer.chat_template = SMOLLM2_CHAT_TEMPLATE
    return tokenizer


def check_trl(out: Path, raw: dict[str, list]) -> dict[str, int]:
    from trl.data_utils import (
        is_conversational,
        maybe_apply_chat_template,
    )

    tokenizer = chat_tokenizer()
    counts = {}
    openai = load_json(out, "openai.jsonl")
    kept = 0
    for index, row in enumerate(openai):
        if not is_conversational(row):
            problem(f"TRL: openai.jsonl row {index} is not conversational")
            continue
        text = maybe_apply_chat_template(row, tokenizer)["text"]
        for message in raw["openai.jsonl"][index]["messages"]:
            if f"<|im_start|>{message['role']}\n{message['content']}<|im_end|>" not in text:
                problem(f"TRL: openai.jsonl row {index}: the chat template lost a {message['role']} turn")
                break
        else:
            kept += 1
    counts["openai.jsonl"] = kept
    if (out / "completion.jsonl").exists() and raw.get("completion.jsonl"):
        completion = load_json(out, "completion.jsonl")
        kept = 0
        for index, row in enumerate(completion):
            if is_conversational(row):
                problem(f"TRL: completion.jsonl row {index} is taken as conversational")
                continue
            applied = maybe_apply_chat_template(row, tokenizer)
            if applied["prompt"] != raw["completion.jsonl"][index]["prompt"] or not applied["completion"].strip():
                problem(f"TRL: completion.jsonl row {index} changed or lost its completion")
                continue
            kept += 1
        counts["completion.jsonl"] = kept
    return counts


def optional_trainers() -> dict[str, str]:
    found = {}
    for name in ("axolotl", "unsloth"):
        if importlib.util.find_spec(name) is None:
            found[name] = "not installed"
            continue
        try:
            importlib.import_module(name)
            found[name] = "importable, not checked"
        except Exception as error:  # torch or a GPU missing
            found[name] = f"not importable: {type(error).__name__}"
    return found


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: check_exports.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    raw = {
        "alpaca.json": json.loads((out / "alpaca.json").read_text()),
        "sharegpt.json": json.loads((out / "sharegpt.json").read_text()),
        "openai.jsonl": [json.loads(line) for line in (out / "openai.jsonl").read_text().splitlines()],
        "completion.jsonl": [json.loads(line) for line in (out / "completion.jsonl").read_text().splitlines()]
        if (out / "completion.jsonl").exists()
        else [],
    }
    for name, rows in raw.items():
        if name == "completion.jsonl" and not rows:
            continue
        loaded = load_json(out, name)
        if len(loaded) != len(rows):
            problem(f"datasets: {name} loads {len(loaded)} rows of {len(rows)}")
    summary = {
        "rows": {name: len(rows) for name, rows in raw.items()},
        "llamafactory": check_llamafactory(out, raw),
        "trl": check_trl(out, raw),
        "optional": optional_trainers(),
    }
    for text in problems:
        print(text, file=sys.stderr)
    print(json.dumps(summary, sort_keys=True))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
