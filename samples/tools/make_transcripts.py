#!/usr/bin/env python3
"""Build the third-party sample documents in samples/ from the shared dev data.

Produces (standard library only, deterministic):

  meeting-<id>.vtt     an AMI product-design meeting from QMSum, as WebVTT
                       with <v Speaker> voice tags
  committee-<id>.json  a parliamentary committee meeting from QMSum, as
                       {"title": ..., "segments": [{"start", "end",
                       "speaker", "text"}, ...]}
  judgment-<id>.txt    an Indian Supreme Court judgment (Law-AI
                       semantic-segmentation data), sentences joined into
                       paragraphs at the gold segment boundaries (a new
                       paragraph wherever a rhetorical-role segment starts)

QMSum has no timestamps. Cue times are synthetic: each speaker turn lasts
(words / 150 wpm), at least 1 second, and turns follow each other without
gaps. Empty turns are skipped. QMSum transcription markers ({vocalsound},
{disfmarker}, ...) are tidied for readability unless --keep-markers is given;
turns that are empty after tidying are skipped too.

Usage:
  python3 samples/tools/make_transcripts.py [--data DIR] [--out DIR]
        [--meeting ES2010c] [--committee education_19] [--judgment 2009_B_16]
"""
import argparse
import json
import os
import re
import sys

WORDS_PER_MINUTE = 150.0
MIN_TURN_SECONDS = 1.0

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "corpus")  # samples/corpus/
DEFAULT_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "shared", "data")  # ../shared/data beside the repo

# Human-readable titles for the chosen meetings (QMSum titles are only
# "<domain> meeting <id>"). Unknown ids fall back to the dataset title.
TITLES = {
    "ES2010c": "AMI product-design meeting ES2010c: conceptual design of a "
               "new TV remote control (energy source, casing, logo)",
    "education_19": "Children, Young People and Education Committee "
                    "(Welsh Assembly): the impact of Brexit on higher and "
                    "further education (QMSum education_19)",
}


def tidy(text, keep_markers=False):
    """Make a QMSum turn readable: drop {markers}, undo tokenised spacing."""
    if not keep_markers:
        text = text.replace("{disfmarker}", "...")
        text = re.sub(r"\{[a-z_]+\}", " ", text)          # {vocalsound}, {gap}, ...
        text = re.sub(r"\b([A-Za-z])_", r"\1", text)       # T_V_ -> TV, A_s -> As
        text = re.sub(r"\s+([,.?!;:])", r"\1", text)       # "okay , so" -> "okay, so"
        text = re.sub(r"(\.\.\.)(?:\s*\.\.\.)+", r"\1", text)
        text = re.sub(r"^[\s.,]+", "", text)               # leading "..." / ","
    return re.sub(r"\s+", " ", text).strip()


def word_count(text):
    return len(re.findall(r"\w+", text))


def timed_turns(turns, keep_markers=False):
    """Yield (start, end, speaker, text) with synthetic 150-wpm timing."""
    t = 0.0
    for turn in turns:
        text = tidy(turn.get("text", ""), keep_markers)
        if not text:
            continue
        dur = max(MIN_TURN_SECONDS, word_count(text) * 60.0 / WORDS_PER_MINUTE)
        start, t = t, t + dur
        yield round(start, 3), round(t, 3), turn.get("speaker", "").strip(), text


def vtt_time(seconds):
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def vtt_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def load_jsonl(path, key, wanted):
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get(key) == wanted:
                return d
    sys.exit(f"{wanted!r} not found in {path}")


def write_vtt(doc, path, keep_markers):
    title = TITLES.get(doc["_id"], doc.get("title", doc["_id"]))
    out = ["WEBVTT", "",
           f"NOTE {title}.",
           "Source: QMSum (Yale-LILY/QMSum, MIT licence), from the AMI Meeting",
           "Corpus (CC BY 4.0). Cue timestamps are SYNTHETIC (150 words per",
           "minute, at least 1 s per turn); QMSum has no timing information.",
           ""]
    n = 0
    for start, end, speaker, text in timed_turns(doc["turns"], keep_markers):
        n += 1
        speaker = speaker.replace(">", "").replace("&", "and")
        out += [str(n), f"{vtt_time(start)} --> {vtt_time(end)}",
                f"<v {speaker}>{vtt_escape(text)}", ""]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out))
    return n


def write_json(doc, path, keep_markers):
    segments = [{"start": s, "end": e, "speaker": sp, "text": tx}
                for s, e, sp, tx in timed_turns(doc["turns"], keep_markers)]
    obj = {"title": TITLES.get(doc["_id"], doc.get("title", doc["_id"])),
           "segments": segments}
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return len(segments)


def join_sentences(sentences):
    """The source split sentences at full stops and dropped them; put one back.

    The source also often lacks the space after a comma or full stop
    ("Indisputably,Dr", "9.12.1997.Yakshagana"); a space is restored before
    a letter (after a comma) or before a capitalised word (after a full stop).
    Nothing else in the sentence text is changed.
    """
    parts = []
    for s in sentences:
        s = s.strip()
        s = re.sub(r",(?=[A-Za-z])", ", ", s)
        s = re.sub(r"(?<=[a-z0-9])\.(?=[A-Z][a-z])", ". ", s)
        if not s:
            continue
        if not re.search(r"[.?!:;\"']$", s):
            s += "."
        parts.append(s)
    return " ".join(parts)


def write_judgment(doc, path):
    sents = doc["sentences"]
    cuts = [0] + list(doc.get("boundaries", [])) + [len(sents)]
    paragraphs = [join_sentences(sents[a:b]) for a, b in zip(cuts, cuts[1:])]
    paragraphs = [p for p in paragraphs if p]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"Supreme Court of India — judgment {doc['id']}\n\n")
        f.write("\n\n".join(paragraphs))
        f.write("\n")
    return len(paragraphs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help="shared/data directory")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (samples/corpus/)")
    ap.add_argument("--meeting", default="ES2010c", help="QMSum Product meeting id")
    ap.add_argument("--committee", default="education_19", help="QMSum Committee meeting id")
    ap.add_argument("--judgment", default="2009_B_16", help="legal_indian_sc_rhetorical_roles id")
    ap.add_argument("--keep-markers", action="store_true",
                    help="keep QMSum {markers} and tokenised spacing verbatim")
    a = ap.parse_args()

    qmsum = os.path.join(a.data, "qmsum_retrieval", "documents.jsonl")
    legal = os.path.join(a.data, "legal_indian_sc_rhetorical_roles", "documents.jsonl")
    os.makedirs(a.out, exist_ok=True)

    m = load_jsonl(qmsum, "_id", a.meeting)
    if m.get("domain") != "Product":
        print(f"warning: {a.meeting} is a {m.get('domain')} meeting", file=sys.stderr)
    p = os.path.join(a.out, f"meeting-{a.meeting}.vtt")
    print(f"{p}: {write_vtt(m, p, a.keep_markers)} cues")

    c = load_jsonl(qmsum, "_id", a.committee)
    if c.get("domain") != "Committee":
        print(f"warning: {a.committee} is a {c.get('domain')} meeting", file=sys.stderr)
    p = os.path.join(a.out, f"committee-{a.committee}.json")
    print(f"{p}: {write_json(c, p, a.keep_markers)} segments")

    j = load_jsonl(legal, "id", a.judgment)
    p = os.path.join(a.out, f"judgment-{a.judgment}.txt")
    print(f"{p}: {write_judgment(j, p)} paragraphs")


if __name__ == "__main__":
    main()
