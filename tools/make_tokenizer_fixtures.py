#!/usr/bin/env python3
"""Writes SentencePiece-style and Qwen2-style tokenizer.json fixtures with the ids Hugging Face `tokenizers` gives.

usage: make_tokenizer_fixtures.py OUT_DIR

Needs the `tokenizers` package, which the build machine lacks (the GPU machine lent by the device tool has it):
run it there and copy OUT_DIR's files to tests/Models.Tests/Fixtures/tokenizers/. Three tokenizers are trained on a
small fixed corpus and rebuilt in the layouts real checkpoints ship:
  metaspace.json  Mistral-7B-v0.3: BPE over characters with byte fallback (<0x00>..<0xFF>) and fused unknowns,
                  Metaspace(prepend_scheme=first, split=false), "<s>" template, [INST]/[/INST] control tokens
  legacy.json     Llama-2 / Mistral-v0.1: the same model with Prepend("▁") + Replace(" ", "▁") normalizers, no pre-tokenizer
  qwen2.json      Qwen2: NFC, Split(Qwen2's regex) + ByteLevel(use_regex=false), <|endoftext|>, <|im_start|>, <|im_end|>
expected.json holds each tokenizer's ids for each test string, with and without special tokens, and the versions used.
Deterministic: same corpus, same trainer settings.
"""
import json, os, sys
import tokenizers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers, decoders

CORPUS = [
    "The search engine finds documents that answer the question.",
    "Refunds are due within thirty days after the termination of the agreement.",
    "The meeting discussed the remote control, its battery and the budget for the casing.",
    "Passages are ranked by the attention the query gives them in one context.",
    "Each passage attends to itself and to the instruction; the query attends to everything.",
    "Café résumé naïve — déjà vu! Über straße, œuvre, façade.",
    "Numbers 2024, 3.14159 and 42nd street; version 1.0.2 of the model.",
    "Don't stop: we'll see; it's ok... (really) — they're here, I'm there.",
    "tabs\tand\nnewlines\r\nhere and   runs of   spaces",
    "Which document is most relevant to answer the query? Print out the ID of the document.",
    "ID: 0 | CONTENT: the first passage | END ID: 0",
    "You will be given a query and a list of documents.",
] * 3
TEST_STRINGS = [
    "The search engine finds documents.",
    "Café résumé naïve — déjà vu!",
    "  leading spaces and   runs of spaces",
    "Numbers 2024, 3.14159 and 42nd street",
    "unknownzzqx words: xylophonequirk?",
    "emoji 😀 and CJK 中文 and ünïcödé",
    "Don't stop: we'll see; it's ok... (really)",
    "tabs\tand\nnewlines\r\nhere",
    "",
    " ",
    "<s>[INST] Which document is most relevant? [/INST] Final Answer: [",
    "ID: 3 | CONTENT: refunds after termination | END ID: 3",
    "<|im_start|>user\nWhich passage?<|im_end|>\n<|im_start|>assistant\n",
]


def sentencepiece_model():
    """Trains a character BPE as SentencePiece would split words, then rebuilds it in Llama's vocabulary layout."""
    t = Tokenizer(models.BPE(unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>"], show_progress=False, min_frequency=2))
    trained = json.loads(t.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "[INST]": 3, "[/INST]": 4}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token in sorted(trained["vocab"], key=trained["vocab"].get):
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in trained["merges"]]
    return vocab, merges


def with_specials(t, specials):
    t.add_special_tokens([tokenizers.AddedToken(s, special=True, normalized=False) for s in specials])
    return t


def metaspace(vocab, merges):
    t = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    t.decoder = decoders.Sequence([decoders.Metaspace(replacement="\u2581", prepend_scheme="first", split=False), decoders.ByteFallback(), decoders.Fuse()])
    t.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return with_specials(t, ["<unk>", "<s>", "</s>", "[INST]", "[/INST]"])


def legacy(vocab, merges):
    t = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    t.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    t.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    t.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return with_specials(t, ["<unk>", "<s>", "</s>", "[INST]", "[/INST]"])


QWEN2_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def qwen2():
    t = Tokenizer(models.BPE())
    t.normalizer = normalizers.NFC()
    t.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers.Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False, trim_offsets=False),
    ])
    t.decoder = decoders.ByteLevel()
    t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=500, show_progress=False, min_frequency=2,
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    t.post_processor = processors.ByteLevel(trim_offsets=False)
    return with_specials(t, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])


def main(out):
    os.makedirs(out, exist_ok=True)
    vocab, merges = sentencepiece_model()
    built = {"metaspace": metaspace(vocab, merges), "legacy": legacy(vocab, merges), "qwen2": qwen2()}
    expected = {"tokenizers_version": tokenizers.__version__, "strings": TEST_STRINGS, "ids": {}}
    for name, t in built.items():
        t.save(os.path.join(out, name + ".json"))
        # Round trip through the saved file, as the C# side reads it.
        loaded = Tokenizer.from_file(os.path.join(out, name + ".json"))
        expected["ids"][name] = {
            "with_special": [loaded.encode(s, add_special_tokens=True).ids for s in TEST_STRINGS],
            "without_special": [loaded.encode(s, add_special_tokens=False).ids for s in TEST_STRINGS],
        }
        print(name, loaded.get_vocab_size(), loaded.encode(TEST_STRINGS[5]).tokens, file=sys.stderr)
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
