#!/usr/bin/python3
"""Writes the tiny transformer fixtures under tests/Models.Tests/Fixtures.

Run with Debian's python, which has torch:   apt-get install -y python3-torch python3-numpy python3-regex
                                             /usr/bin/python3 tools/make_model_fixtures.py
(the python3 first on PATH is a pyenv build without torch).

Everything is deterministic (fixed seeds). Three models are written in real Hugging Face layout:

  tiny-bert/   config.json, model.safetensors (fp32), tokenizer.json (WordPiece)
  tiny-llama/  config.json, model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json
               (mixed fp32 / fp16 / bf16 tensors), tokenizer.json (byte-level BPE)
  tiny-qwen3/  bf16 model.safetensors with q/k/v biases, per-head q/k norms, head_dim != hidden/heads and
               tied embeddings; the same tokenizer

plus dtypes.safetensors (known values in F32/F16/BF16), the reference token ids (tokens.json) and the
reference activations (reference.safetensors, fp32 holding values computed in float64).

The HF `tokenizers` library is not available on the build machine, so the reference token ids come from
the plain-Python implementations of its algorithms below (BertNormalizer + BertPreTokenizer + WordPiece;
ByteLevel with the GPT-2 regex + BPE merges; added-token splitting; TemplateProcessing). They follow
the Rust sources of tokenizers 0.19-0.21.

The forward passes are plain PyTorch written here (no transformers library), in float64.
"""
import json
import os
import struct
import sys
import unicodedata
from collections import Counter

import numpy as np
import regex
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "Models.Tests", "Fixtures")

TEST_STRINGS = [
    "The search engine finds documents.",
    "Café résumé naïve — déjà vu!",
    "  leading spaces and   runs of spaces",
    "Numbers 2024, 3.14159 and 42nd street",
    "unknownzzqx words: xylophonequirk?",
    "emoji 😀 and CJK 中文 and ünïcödé",
    "Don't stop: we'll see; it's ok... (really)",
    "tabs\tand\nnewlines\r\nhere",
    "[CLS] literal special [SEP] tokens",
    "",
]

# ---------------------------------------------------------------------------------------------------
# safetensors writer


def bf16_bits(t32):
    """fp32 -> bf16 bit patterns with round-to-nearest-even (as torch does)."""
    return t32.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2")


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype, torch tensor in that dtype). Order in file = given order."""
    header = {}
    blobs = []
    offset = 0
    for name, dtype, t in tensors:
        t = t.contiguous()
        if dtype == "F32":
            raw = t.to(torch.float32).numpy().astype("<f4").tobytes()
        elif dtype == "F16":
            raw = t.to(torch.float16).numpy().astype("<f2").tobytes()
        elif dtype == "BF16":
            raw = bf16_bits(t.to(torch.float32)).tobytes()
        elif dtype == "I64":
            raw = t.numpy().astype("<i8").tobytes()
        else:
            raise ValueError(dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)  # the reference writer pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def round_to(dtype, t):
    """The fp32 value a reader gets back after storing t in dtype."""
    if dtype == "F16":
        return t.to(torch.float16).to(torch.float64)
    if dtype == "BF16":
        return t.to(torch.float32).to(torch.bfloat16).to(torch.float64)
    return t.to(torch.float32).to(torch.float64)


# ---------------------------------------------------------------------------------------------------
# WordPiece (BertNormalizer, BertPreTokenizer, WordPiece model)


def is_bert_whitespace(c):
    return is_rust_whitespace(c)


def is_bert_control(c):
    # Rust's is_other: every C* category; tab, newline and carriage return count as whitespace instead
    if c in "\t\n\r":
        return False
    return unicodedata.category(c).startswith("C")


def is_chinese_char(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B920 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def bert_normalize(text):
    out = []
    for c in text:  # clean_text
        if ord(c) == 0 or ord(c) == 0xFFFD or is_bert_control(c):
            continue
        out.append(" " if is_bert_whitespace(c) else c)
    s = "".join(out)
    s = "".join(f" {c} " if is_chinese_char(ord(c)) else c for c in s)  # handle_chinese_chars
    s = "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")  # strip_accents
    return s.lower()


def is_rust_whitespace(c):
    # Rust char::is_whitespace is the Unicode White_Space property.
    return c in "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def is_bert_punct(c):
    return (c.isascii() and not c.isalnum() and c.isprintable() and c != " ") or unicodedata.category(c).startswith("P")


def bert_pre_tokenize(s):
    words, cur = [], []
    for c in s:
        if is_rust_whitespace(c):
            if cur:
                words.append("".join(cur))
                cur = []
        elif is_bert_punct(c):
            if cur:
                words.append("".join(cur))
                cur = []
            words.append(c)
        else:
            cur.append(c)
    if cur:
        words.append("".join(cur))
    return words


def wordpiece(word, vocab, unk="[UNK]", prefix="##", max_chars=100):
    if len(word) > max_chars:
        return [vocab[unk]]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = word[start:end]
            if start > 0:
                sub = prefix + sub
            if sub in vocab:
                found = vocab[sub]
                break
            end -= 1
        if found is None:
            return [vocab[unk]]
        ids.append(found)
        start = end
    return ids


def split_added(text, added):
    """Splits text on added-token contents (leftmost, then longest), as tokenizers' AddedVocabulary."""
    parts, i, last = [], 0, 0
    contents = sorted(added, key=len, reverse=True)
    while i < len(text):
        hit = next((a for a in contents if text.startswith(a, i)), None)
        if hit:
            if last < i:
                parts.append((text[last:i], False))
            parts.append((hit, True))
            i += len(hit)
            last = i
        else:
            i += 1
    if last < len(text):
        parts.append((text[last:], False))
    return parts


def bert_encode(text, vocab, specials):
    ids = []
    for part, is_added in split_added(text, specials):
        if is_added:
            ids.append(vocab[part])
            continue
        for w in bert_pre_tokenize(bert_normalize(part)):
            ids.extend(wordpiece(w, vocab))
    return [vocab["[CLS]"]] + ids + [vocab["[SEP]"]]


def make_wordpiece_vocab():
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789") + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["—", "中"]
    cont = ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    words = ["the", "search", "engine", "find", "##s", "document", "##ing", "##ed", "cafe", "resume", "naive",
             "deja", "vu", "leading", "space", "and", "run", "of", "number", "street", "##nd", "words", "emoji",
             "un", "##ic", "##ode", "don", "stop", "we", "see", "it", "ok", "really", "tab", "new", "##line",
             "here", "literal", "special", "token", "##en", "##er", "##ly", "2024", "##14", "##159", "42", "cjk",
             "known", "##own", "word", "lead", "##ers", "##re", "is", "in", "to", "on"]
    toks = specials + chars + cont + [w for w in words if w not in chars]
    seen, out = set(), []
    for t in toks:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return {t: i for i, t in enumerate(out)}


def wordpiece_tokenizer_json(vocab):
    special_names = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    added = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for s in special_names]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [vocab["[CLS]"]], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [vocab["[SEP]"]], "tokens": ["[SEP]"]},
            },
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


# ---------------------------------------------------------------------------------------------------
# Byte-level BPE (GPT-2 byte map and regex, merges)

GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_MAP = bytes_to_unicode()


def byte_level_words(text):
    return ["".join(BYTE_MAP[b] for b in m.encode("utf-8")) for m in GPT2_PATTERN.findall(text)]


def bpe_word(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        best, best_rank = None, None
        for i in range(len(parts) - 1):
            r = ranks.get((parts[i], parts[i + 1]))
            if r is not None and (best_rank is None or r < best_rank):
                best, best_rank = i, r
        if best is None:
            break
        # tokenizers merges every occurrence of the best pair in one left-to-right pass
        a, b = parts[best], parts[best + 1]
        merged, i = [], 0
        while i < len(parts):
            if i < len(parts) - 1 and parts[i] == a and parts[i + 1] == b:
                merged.append(a + b)
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged
    return parts


def train_bpe(corpus, num_merges):
    words = Counter(byte_level_words(corpus))
    splits = {w: list(w) for w in words}
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for w, n in words.items():
            s = splits[w]
            for i in range(len(s) - 1):
                pairs[(s[i], s[i + 1])] += n
        if not pairs:
            break
        (a, b), _ = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        merges.append((a, b))
        for w in words:
            s, out, i = splits[w], [], 0
            while i < len(s):
                if i < len(s) - 1 and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return merges


BPE_CORPUS = """The search engine finds documents and ranks the passages that answer the question.
A document is split into sections; each section has segments of text. Searching documents is
the engine's job: it reads the query, scores the segments, and returns the best ones first.
Contracts, terms of service, meeting transcripts, reports and books are documents too. Numbers like
2024 and 3.14 appear in reports. The instruction says: rank the documents for the query below.
Café and résumé have accents. Don't worry, we'll see what it's like."""

BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"


def make_bpe():
    merges = train_bpe(BPE_CORPUS, 160)
    vocab = {}
    for b in range(256):
        vocab[BYTE_MAP[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    for s in (BOS, EOS):
        vocab[s] = len(vocab)
    return vocab, merges


def bpe_encode(text, vocab, merges, add_bos=True):
    ranks = {m: i for i, m in enumerate(merges)}
    ids = [vocab[BOS]] if add_bos else []
    for part, is_added in split_added(text, [BOS, EOS]):
        if is_added:
            ids.append(vocab[part])
            continue
        for w in byte_level_words(part):
            ids.extend(vocab[p] for p in bpe_word(w, ranks))
    return ids


def bpe_tokenizer_json(vocab, merges):
    added = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for s in (BOS, EOS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": BOS, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": BOS, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {BOS: {"id": BOS, "ids": [vocab[BOS]], "tokens": [BOS]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }


# ---------------------------------------------------------------------------------------------------
# BERT


def make_bert(vocab_size, g):
    H, L, I, P = 32, 2, 64, 64
    cfg = {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": vocab_size, "hidden_size": H,
           "num_hidden_layers": L, "num_attention_heads": 4, "intermediate_size": I, "hidden_act": "gelu",
           "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": P,
           "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
           "position_embedding_type": "absolute", "torch_dtype": "float32"}

    def rnd(*shape, std=0.3):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    w = {"embeddings.word_embeddings.weight": rnd(vocab_size, H, std=1.0),
         "embeddings.position_embeddings.weight": rnd(P, H, std=0.5),
         "embeddings.token_type_embeddings.weight": rnd(2, H, std=0.5),
         "embeddings.LayerNorm.weight": 1 + rnd(H, std=0.1),
         "embeddings.LayerNorm.bias": rnd(H, std=0.1)}
    for l in range(L):
        p = f"encoder.layer.{l}."
        for n in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            w[p + n + ".weight"] = rnd(H, H)
            w[p + n + ".bias"] = rnd(H, std=0.1)
        w[p + "attention.output.LayerNorm.weight"] = 1 + rnd(H, std=0.1)
        w[p + "attention.output.LayerNorm.bias"] = rnd(H, std=0.1)
        w[p + "intermediate.dense.weight"] = rnd(I, H)
        w[p + "intermediate.dense.bias"] = rnd(I, std=0.1)
        w[p + "output.dense.weight"] = rnd(H, I, std=0.2)
        w[p + "output.dense.bias"] = rnd(H, std=0.1)
        w[p + "output.LayerNorm.weight"] = 1 + rnd(H, std=0.1)
        w[p + "output.LayerNorm.bias"] = rnd(H, std=0.1)
    w["pooler.dense.weight"] = rnd(H, H)
    w["pooler.dense.bias"] = rnd(H, std=0.1)
    w = {k: round_to("F32", v) for k, v in w.items()}
    return cfg, w


def layer_norm(x, wt, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * wt + b


def bert_forward(cfg, w, ids, mask):
    """ids, mask: [B, T] (mask 1 = real token). Returns last hidden states [B, T, H]."""
    B, T = ids.shape
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    d = H // nh
    eps = cfg["layer_norm_eps"]
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][torch.arange(T)][None] \
        + w["embeddings.token_type_embeddings.weight"][0][None, None]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - mask[:, None, None, :].to(torch.float64)) * torch.finfo(torch.float64).min
    for l in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{l}."

        def lin(n, t):
            return t @ w[p + n + ".weight"].T + w[p + n + ".bias"]

        q = lin("attention.self.query", x).view(B, T, nh, d).transpose(1, 2)
        k = lin("attention.self.key", x).view(B, T, nh, d).transpose(1, 2)
        v = lin("attention.self.value", x).view(B, T, nh, d).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / d ** 0.5 + bias
        a = torch.softmax(s, -1) @ v
        a = a.transpose(1, 2).reshape(B, T, H)
        x = layer_norm(lin("attention.output.dense", a) + x, w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], eps)
        h = lin("intermediate.dense", x)
        h = 0.5 * h * (1 + torch.erf(h / 2 ** 0.5))
        x = layer_norm(lin("output.dense", h) + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x


# ---------------------------------------------------------------------------------------------------
# Llama


LLAMA_DTYPES = {  # which tensors are stored in reduced precision, so the reader's conversions are exercised
    "model.embed_tokens.weight": "BF16",
    "model.layers.0.mlp.gate_proj.weight": "F16",
    "model.layers.1.self_attn.k_proj.weight": "BF16",
    "model.layers.1.mlp.down_proj.weight": "F16",
    "lm_head.weight": "F16",
}


def make_llama(vocab_size, g):
    H, L, nh, nkv, I = 64, 2, 4, 2, 128
    d = H // nh
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": vocab_size, "hidden_size": H,
           "intermediate_size": I, "num_hidden_layers": L, "num_attention_heads": nh, "num_key_value_heads": nkv,
           "head_dim": d, "hidden_act": "silu", "max_position_embeddings": 256, "rms_norm_eps": 1e-6,
           "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False, "mlp_bias": False,
           "tie_word_embeddings": False, "bos_token_id": vocab_size - 2, "eos_token_id": vocab_size - 1,
           "initializer_range": 0.02, "torch_dtype": "float32"}

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    w = {"model.embed_tokens.weight": rnd(vocab_size, H, std=1.0)}
    for l in range(L):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + rnd(H, std=0.1)
        w[p + "self_attn.q_proj.weight"] = rnd(nh * d, H, std=0.35)
        w[p + "self_attn.k_proj.weight"] = rnd(nkv * d, H, std=0.35)
        w[p + "self_attn.v_proj.weight"] = rnd(nkv * d, H)
        w[p + "self_attn.o_proj.weight"] = rnd(H, nh * d, std=0.15)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(H, std=0.1)
        w[p + "mlp.gate_proj.weight"] = rnd(I, H)
        w[p + "mlp.up_proj.weight"] = rnd(I, H)
        w[p + "mlp.down_proj.weight"] = rnd(H, I, std=0.1)
    w["model.norm.weight"] = 1 + rnd(H, std=0.1)
    w["lm_head.weight"] = rnd(vocab_size, H, std=0.1)
    w = {k: round_to(LLAMA_DTYPES.get(k, "F32"), v) for k, v in w.items()}
    return cfg, w


def make_qwen(vocab_size, g):
    """Qwen2/Qwen3 features in one tiny model: head_dim != hidden/heads, q/k/v biases, q/k norms, tied embeddings."""
    H, L, nh, nkv, d, I = 48, 2, 4, 2, 16, 96
    cfg = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": vocab_size, "hidden_size": H,
           "intermediate_size": I, "num_hidden_layers": L, "num_attention_heads": nh, "num_key_value_heads": nkv,
           "head_dim": d, "hidden_act": "silu", "max_position_embeddings": 256, "rms_norm_eps": 1e-6,
           "rope_theta": 1000000.0, "rope_scaling": None, "attention_bias": True, "tie_word_embeddings": True,
           "use_sliding_window": False, "torch_dtype": "bfloat16"}

    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=g, dtype=torch.float64) * std

    w = {"model.embed_tokens.weight": rnd(vocab_size, H, std=1.0)}
    for l in range(L):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + rnd(H, std=0.1)
        w[p + "self_attn.q_proj.weight"] = rnd(nh * d, H, std=0.35)
        w[p + "self_attn.q_proj.bias"] = rnd(nh * d, std=0.1)
        w[p + "self_attn.k_proj.weight"] = rnd(nkv * d, H, std=0.35)
        w[p + "self_attn.k_proj.bias"] = rnd(nkv * d, std=0.1)
        w[p + "self_attn.v_proj.weight"] = rnd(nkv * d, H)
        w[p + "self_attn.v_proj.bias"] = rnd(nkv * d, std=0.1)
        w[p + "self_attn.q_norm.weight"] = 1 + rnd(d, std=0.3)
        w[p + "self_attn.k_norm.weight"] = 1 + rnd(d, std=0.3)
        w[p + "self_attn.o_proj.weight"] = rnd(H, nh * d, std=0.15)
        w[p + "post_attention_layernorm.weight"] = 1 + rnd(H, std=0.1)
        w[p + "mlp.gate_proj.weight"] = rnd(I, H)
        w[p + "mlp.up_proj.weight"] = rnd(I, H)
        w[p + "mlp.down_proj.weight"] = rnd(H, I, std=0.1)
    w["model.norm.weight"] = 1 + rnd(H, std=0.1)
    # stored entirely in bf16, like the real checkpoints
    w = {k: round_to("BF16", v) for k, v in w.items()}
    return cfg, w


def rms_norm(x, wt, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * wt


def rope(x, pos, theta):
    """x: [..., T, d] (HF rotate_half convention), pos: [T] float positions."""
    d = x.shape[-1]
    inv = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    ang = pos[:, None].to(torch.float64) * inv[None]
    cos = torch.cat([ang.cos(), ang.cos()], -1)
    sin = torch.cat([ang.sin(), ang.sin()], -1)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def llama_forward(cfg, w, ids, pos, allowed, key_pos=None, mass_layers=(), mass_rows=None, blocks=None):
    """A single sequence. pos: [T] position of each token as a query; key_pos: [T, T] position at which
    query row i sees key j (defaults to pos[j]); allowed: [T, T] bool. Returns final-normed hidden states
    and, for mass_layers, the attention mass (summed over heads) of mass_rows on each of `blocks`."""
    T = len(ids)
    H, nh, nkv, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]
    d = cfg.get("head_dim") or H // nh
    theta, eps = cfg["rope_theta"], cfg["rms_norm_eps"]
    if key_pos is None:
        key_pos = pos[None, :].expand(T, T)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    masses = []
    for l in range(L):
        p = f"model.layers.{l}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        def proj(n):
            y = h @ w[p + f"self_attn.{n}_proj.weight"].T
            return y + w[p + f"self_attn.{n}_proj.bias"] if p + f"self_attn.{n}_proj.bias" in w else y

        q, k, v = proj("q").view(T, nh, d), proj("k").view(T, nkv, d), proj("v").view(T, nkv, d)
        if p + "self_attn.q_norm.weight" in w:  # Qwen3: per-head RMSNorm before RoPE
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        qr = rope(q, pos, theta)  # [nh, T, d]
        rep = nh // nkv
        scores = torch.empty(nh, T, T, dtype=torch.float64)
        for i in range(T):
            kr = rope(k, key_pos[i], theta)  # keys as row i sees them
            kr = kr.repeat_interleave(rep, 0)
            scores[:, i, :] = (qr[:, i:i + 1, :] @ kr.transpose(-1, -2))[:, 0, :] / d ** 0.5
        scores = scores.masked_fill(~allowed[None], float("-inf"))
        probs = torch.softmax(scores, -1)
        if l in mass_layers:
            ps = probs.sum(0)  # summed over heads: [T, T]
            masses.append(torch.stack([torch.stack([ps[r, s:e].sum() for s, e in blocks]) for r in mass_rows]))
        a = probs @ v.repeat_interleave(rep, 0)  # [nh, T, d]
        a = a.transpose(0, 1).reshape(T, nh * d)
        x = x + a @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate * torch.sigmoid(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    return rms_norm(x, w["model.norm.weight"], eps), masses


def blockrank_layout(instr, docs, query):
    """Token ids, block spans and the BlockRank mask: instruction causal; doc tokens causal in their own block
    plus the whole instruction; query tokens causal over everything."""
    ids = instr + [t for dd in docs for t in dd] + query
    T = len(ids)
    allowed = torch.zeros(T, T, dtype=torch.bool)
    li = len(instr)
    for i in range(li):
        allowed[i, : i + 1] = True
    spans, off = [], li
    for dd in docs:
        for i in range(len(dd)):
            allowed[off + i, :li] = True
            allowed[off + i, off: off + i + 1] = True
        spans.append((off, off + len(dd)))
        off += len(dd)
    for i in range(len(query)):
        allowed[off + i, : off + i + 1] = True
    return ids, spans, allowed, off


# ---------------------------------------------------------------------------------------------------


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1234)
    os.makedirs(os.path.join(OUT, "tiny-bert"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "tiny-llama"), exist_ok=True)
    refs = {}
    tokens = {"strings": TEST_STRINGS}

    # --- tokenizers
    wp_vocab = make_wordpiece_vocab()
    with open(os.path.join(OUT, "tiny-bert", "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(wordpiece_tokenizer_json(wp_vocab), f, ensure_ascii=False, indent=1)
    tokens["bert"] = [bert_encode(s, wp_vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]) for s in TEST_STRINGS]
    bpe_vocab, merges = make_bpe()
    with open(os.path.join(OUT, "tiny-llama", "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(bpe_tokenizer_json(bpe_vocab, merges), f, ensure_ascii=False, indent=1)
    tokens["llama"] = [bpe_encode(s, bpe_vocab, merges) for s in TEST_STRINGS]

    # --- BERT: batched with padding
    bcfg, bw = make_bert(len(wp_vocab), g)
    with open(os.path.join(OUT, "tiny-bert", "config.json"), "w") as f:
        json.dump(bcfg, f, indent=2)
    write_safetensors(os.path.join(OUT, "tiny-bert", "model.safetensors"),
                      [(k, "F32", v) for k, v in bw.items()], {"format": "pt"})
    batch = [tokens["bert"][i] for i in (0, 1, 2, 4, 5, 9)]
    tokens["bert_batch"] = [0, 1, 2, 4, 5, 9]
    T = max(len(b) for b in batch)
    ids = torch.tensor([b + [0] * (T - len(b)) for b in batch])
    mask = torch.tensor([[1] * len(b) + [0] * (T - len(b)) for b in batch])
    hs = bert_forward(bcfg, bw, ids, mask)
    m = mask[..., None].to(torch.float64)
    refs["bert.hidden"] = hs * m  # padded rows are zeroed: they are not compared
    refs["bert.mean"] = (hs * m).sum(1) / m.sum(1)
    refs["bert.cls"] = hs[:, 0]
    refs["bert.mask"] = mask.to(torch.float64)

    # --- Llama: full causal prefill
    lcfg, lw = make_llama(len(bpe_vocab), g)
    with open(os.path.join(OUT, "tiny-llama", "config.json"), "w") as f:
        json.dump(lcfg, f, indent=2)
    names = list(lw.keys())
    shards = {1: names[: len(names) // 2], 2: names[len(names) // 2:]}
    weight_map = {}
    for s, ns in shards.items():
        fn = f"model-0000{s}-of-00002.safetensors"
        write_safetensors(os.path.join(OUT, "tiny-llama", fn), [(n, LLAMA_DTYPES.get(n, "F32"), lw[n]) for n in ns],
                          {"format": "pt"})
        weight_map.update({n: fn for n in ns})
    with open(os.path.join(OUT, "tiny-llama", "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=2)

    seq = tokens["llama"][0] + tokens["llama"][6][1:]
    Tl = len(seq)
    causal = torch.tril(torch.ones(Tl, Tl, dtype=torch.bool))
    hl, _ = llama_forward(lcfg, lw, seq, torch.arange(Tl), causal)
    tokens["llama_prefill"] = seq
    refs["llama.prefill"] = hl

    # --- BlockRank: [instruction][docs][query]
    def enc(s, bos=False):
        return bpe_encode(s, bpe_vocab, merges, add_bos=bos)

    instr = enc("Rank the documents for the query.", bos=True)
    docs = [enc(" Contracts and terms of service."), enc(" Meeting transcripts with speakers and times."),
            enc(" The search engine ranks passages."), enc(" Café résumé 2024 😀")]
    query = enc(" Query: which document is about search?")
    ids_br, spans, allowed, qoff = blockrank_layout(instr, docs, query)
    Tb = len(ids_br)
    rows = list(range(qoff, Tb))
    mass_layers = (0, 1)
    h_br, masses = llama_forward(lcfg, lw, ids_br, torch.arange(Tb), allowed, mass_layers=mass_layers,
                                 mass_rows=rows, blocks=spans)
    tokens["blockrank"] = {"instruction": instr, "docs": docs, "query": query, "mass_layers": list(mass_layers)}
    refs["blockrank.query_hidden"] = h_br[qoff:]
    refs["blockrank.masses"] = torch.stack(masses)  # [layers, query rows, docs]
    # sanity: the block mask gives doc tokens the same states as a causal prefill of [instruction][that doc]
    # when the doc sits at the same positions, which is what makes the first block's cache exact.

    # --- KV reuse: each doc block encoded as if it stood right after the instruction (positions li..),
    # its keys re-encoded by RoPE to the assembled offsets when the query reads them.
    li = len(instr)
    pos = torch.arange(Tb)
    key_pos = pos[None, :].repeat(Tb, 1)
    for s, e in spans:
        local = torch.arange(li, li + (e - s))
        pos[s:e] = local
        key_pos[:, s:e] = torch.arange(s, e)[None]  # the query sees them at their assembled offsets
        key_pos[s:e, s:e] = local[None]  # the block's own tokens see each other where they were encoded
    key_pos[:, :li] = torch.arange(li)[None]
    h_kv, masses_kv = llama_forward(lcfg, lw, ids_br, pos, allowed, key_pos=key_pos, mass_layers=mass_layers,
                                    mass_rows=rows, blocks=spans)
    refs["kvreuse.query_hidden"] = h_kv[qoff:]
    refs["kvreuse.masses"] = torch.stack(masses_kv)
    # Each doc block alone after the instruction gives the cached states the reuse path starts from.
    for b, dd in enumerate(docs):
        alone = instr + dd
        ta = len(alone)
        h_alone, _ = llama_forward(lcfg, lw, alone, torch.arange(ta), torch.tril(torch.ones(ta, ta, dtype=torch.bool)))
        refs[f"kvreuse.doc{b}_alone_hidden"] = h_alone[li:]
        # the reuse assembly's doc states equal the standalone ones
        assert torch.allclose(h_alone[li:], h_kv[spans[b][0]:spans[b][1]], atol=1e-10)
    assert torch.allclose(h_kv[: li], h_br[: li], atol=1e-10)
    assert torch.allclose(h_kv[spans[0][0]:spans[0][1]], h_br[spans[0][0]:spans[0][1]], atol=1e-10)

    # --- Qwen3-style decoder (same tokenizer), causal prefill only
    gq = torch.Generator().manual_seed(99)
    qcfg, qw = make_qwen(len(bpe_vocab), gq)
    os.makedirs(os.path.join(OUT, "tiny-qwen3"), exist_ok=True)
    with open(os.path.join(OUT, "tiny-qwen3", "config.json"), "w") as f:
        json.dump(qcfg, f, indent=2)
    write_safetensors(os.path.join(OUT, "tiny-qwen3", "model.safetensors"), [(k, "BF16", v) for k, v in qw.items()],
                      {"format": "pt"})
    with open(os.path.join(OUT, "tiny-qwen3", "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(bpe_tokenizer_json(bpe_vocab, merges), f, ensure_ascii=False, indent=1)
    hq, _ = llama_forward(qcfg, qw, seq, torch.arange(Tl), causal)
    refs["qwen3.prefill"] = hq
    refs["qwen3.last_logits"] = hq[-1] @ qw["model.embed_tokens.weight"].T

    # --- safetensors dtype fixture
    vals = torch.tensor([0.0, 1.0, -2.5, 0.333251953125, 65504.0, -1e-3, 3.0e-5, 1234.5], dtype=torch.float64)
    dt = [("f32", "F32", vals.reshape(2, 4)), ("f16", "F16", vals.reshape(4, 2)), ("bf16", "BF16", vals.reshape(8))]
    write_safetensors(os.path.join(OUT, "dtypes.safetensors"), dt)
    tokens["dtypes"] = {n: round_to(d, v).flatten().tolist() for n, d, v in dt}

    write_safetensors(os.path.join(OUT, "reference.safetensors"),
                      [(k, "F32", v.to(torch.float64)) for k, v in refs.items()])
    with open(os.path.join(OUT, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f"fixtures written to {OUT}: {total} bytes")


if __name__ == "__main__":
    if sys.version_info < (3, 9):
        sys.exit("python 3.9+ needed")
    main()
