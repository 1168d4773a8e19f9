#!/usr/bin/env python3
"""BlockRank's scoring, as its published code computes it, on tiny random-weight Mistral and Qwen2 checkpoints.

usage: make_blockrank_fixtures.py OUT_DIR

Needs torch, transformers and tokenizers (the GPU machine the device tool lends has them; the build machine does not):
the reference is Hugging Face's own MistralForCausalLM / Qwen2ForCausalLM in float64 with eager attention, fed the
BlockRank context (nilesh2797/BlockRank: instruction with the query, "ID: i | CONTENT: … | END ID: i" document blocks,
the query block ending at the answer position "[", the model's chat template around it) under BlockRank's mask
(instruction causal; each document its own block after the instruction; the query everything) and position ids
(the instruction from 0, every document from the instruction's length, the query from 16384). A document's score is
BlockRank's readout: at a layer, the attention of the last two query rows over document tokens, renormalised over
them, averaged over heads and the two rows, summed per document.

Writes OUT_DIR/tiny-mistral/{config.json, model.safetensors}, OUT_DIR/tiny-qwen2/{config.json, model.safetensors} and
OUT_DIR/blockrank.json (each model's blocks as token ids and its scores at every layer). The tokenizers are the
committed tests/Models.Tests/Fixtures/tokenizers/{metaspace,qwen2}.json; copy the outputs into tests/Models.Tests/Fixtures/.
"""
import json, os, sys
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZERS = os.path.join(ROOT, "tests", "Models.Tests", "Fixtures", "tokenizers")

INSTRUCTION = ("You will be given a query and a list of documents. Each document will be formatted as ID: <id> | CONTENT: <content> | "
               "END ID: <id>. You need to read carefully and understand all of them and your goal is to find all document(s) from the "
               "list that can help answer the query.\nQuery: {query}\n\nDocuments:")
DOCUMENT = "\nID: {i} | CONTENT: {content} | END ID: {i}"
QUERY = ("\n\n====== Now let's start! ======\nWhich document is most relevant to answer the query? Print out the ID of the "
         "document.\nQuery: {query}\nThe following document(s) can help answer the query:")
# The chat template around the user turn, and the assistant's "Final Answer: " (BlockRank tokenizes the "[" after it
# on its own, as the completion, and appends it to the query block).
CHAT = {
    "mistral": ("<s>[INST] ", "[/INST]", " Final Answer: "),
    "qwen2": ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n", "Final Answer: "),
}
QUERY_POSITION = 16384
MAX_DOCUMENT_TOKENS = 40
TEXT_QUERY = "which clause says when a refund is due after termination"
PASSAGES = [
    "Refunds are due within thirty days after the termination of the agreement.",
    "The meeting discussed the remote control, its battery and the budget for the casing.",
    "Café résumé naïve — déjà vu! 😀 and 中文 " + "the search engine finds documents " * 4,
    "Passages are ranked by the attention the query gives them in one context.",
]


def blocks(family, tok, query, passages):
    prefix, suffix, answer = CHAT[family]
    enc = lambda s: tok.encode(s, add_special_tokens=False).ids
    out = [enc(prefix + INSTRUCTION.format(query=query))]
    for i, p in enumerate(passages):
        out.append(enc(DOCUMENT.format(i=i, content=p))[:MAX_DOCUMENT_TOKENS])
    out.append(enc(QUERY.format(query=query) + suffix + answer) + enc("["))
    return out


def layout(blk):
    ids = [t for b in blk for t in b]
    T = len(ids)
    allowed = torch.zeros(T, T, dtype=torch.bool)
    pos = torch.zeros(T, dtype=torch.long)
    L0 = len(blk[0])
    spans, off = [], 0
    for bi, b in enumerate(blk):
        n = len(b)
        for i in range(n):
            r = off + i
            if bi == 0:
                allowed[r, : r + 1] = True
                pos[r] = i
            elif bi < len(blk) - 1:
                allowed[r, :L0] = True
                allowed[r, off: r + 1] = True
                pos[r] = L0 + i
            else:
                allowed[r, : r + 1] = True
                pos[r] = QUERY_POSITION + i
        spans.append((off, off + n))
        off += n
    return ids, allowed, pos, spans


def config(family, vocab):
    common = dict(vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, head_dim=16, hidden_act="silu", max_position_embeddings=32768, rms_norm_eps=1e-5,
                  rope_theta=1000000.0, tie_word_embeddings=False, torch_dtype="float32", initializer_range=0.02)
    if family == "mistral":
        return dict(common, architectures=["MistralForCausalLM"], model_type="mistral", sliding_window=None, bos_token_id=1, eos_token_id=2)
    return dict(common, architectures=["Qwen2ForCausalLM"], model_type="qwen2", use_sliding_window=False, sliding_window=None,
                max_window_layers=2, bos_token_id=vocab - 3, eos_token_id=vocab - 3)


def build(family, vocab, seed):
    cfg = config(family, vocab)
    conf = transformers.AutoConfig.for_model(**{k: v for k, v in cfg.items() if k not in ("architectures",)})
    model = transformers.AutoModelForCausalLM.from_config(conf, attn_implementation="eager")
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, t in model.state_dict().items():
        if name.endswith("norm.weight"):
            v = 1 + 0.1 * torch.randn(t.shape, generator=g, dtype=torch.float64)
        elif name.endswith("embed_tokens.weight"):
            v = torch.randn(t.shape, generator=g, dtype=torch.float64)
        elif name.endswith("bias"):
            v = 0.1 * torch.randn(t.shape, generator=g, dtype=torch.float64)
        elif any(s in name for s in ("q_proj", "k_proj")):
            v = 0.35 * torch.randn(t.shape, generator=g, dtype=torch.float64)
        elif "o_proj" in name or "down_proj" in name or "lm_head" in name:
            v = 0.15 * torch.randn(t.shape, generator=g, dtype=torch.float64)
        else:
            v = 0.2 * torch.randn(t.shape, generator=g, dtype=torch.float64)
        state[name] = v.float()  # the checkpoint holds fp32; the reference runs those values in fp64
    model.load_state_dict(state)
    model = model.double().eval()
    return cfg, model, state


def scores(model, blk):
    ids, allowed, pos, spans = layout(blk)
    mask = torch.zeros(allowed.shape, dtype=torch.float64).masked_fill(~allowed, float("-inf"))[None, None]
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), attention_mask=mask, position_ids=pos[None], output_attentions=True, use_cache=False)
    T = len(ids)
    doc_cols = torch.cat([torch.arange(s, e) for s, e in spans[1:-1]])
    per_layer = []
    for probs in out.attentions:
        p = probs[0]  # [heads, T, T]
        # The mask must have been applied as given: a document never sees another, rows sum to one.
        assert torch.allclose(p.sum(-1), torch.ones_like(p.sum(-1)), atol=1e-9)
        for (s, e), (s2, e2) in [(spans[1], spans[2]), (spans[2], spans[1])]:
            assert float(p[:, s:e, s2:e2].abs().max()) == 0.0, "documents attended to each other: the 4D mask was not used"
        rows = p[:, T - 2:T, :][:, :, doc_cols]  # [heads, 2, doc tokens]
        rows = rows / rows.sum(-1, keepdim=True)
        result, off = [], 0
        for s, e in spans[1:-1]:
            n = e - s
            result.append(float(rows[:, :, off:off + n].sum(-1).mean()))
            off += n
        per_layer.append(result)
    return per_layer


def main(out):
    reference = {"transformers": transformers.__version__, "torch": torch.__version__, "query": TEXT_QUERY, "passages": PASSAGES,
                 "max_document_tokens": MAX_DOCUMENT_TOKENS, "query_position": QUERY_POSITION, "models": {}}
    for family, tokfile, seed in (("mistral", "metaspace.json", 11), ("qwen2", "qwen2.json", 12)):
        tok = Tokenizer.from_file(os.path.join(TOKENIZERS, tokfile))
        vocab = tok.get_vocab_size(with_added_tokens=True)
        cfg, model, state = build(family, vocab, seed)
        directory = os.path.join(out, "tiny-" + family)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        save_file({k: v.contiguous() for k, v in state.items()}, os.path.join(directory, "model.safetensors"), {"format": "pt"})
        blk = blocks(family, tok, TEXT_QUERY, PASSAGES)
        s = scores(model, blk)
        reference["models"][family] = {"blocks": blk, "scores_per_layer": s}
        print(family, "blocks", [len(b) for b in blk], "scores", [[round(x, 5) for x in l] for l in s], file=sys.stderr)
    with open(os.path.join(out, "blockrank.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
