"""Byte-level BPE in the Llama 3 style, small enough to train in pure Python.

What it makes matches what Hugging Face's `tokenizers` does with a Llama-3-shaped
tokenizer.json (model.type "BPE", ignore_merges true, Split on the Llama 3 regex, then
ByteLevel without regex), so the C++ tokenizer in tern can load the file this writes:

  * ids 0..255 are the 256 bytes, in the order of GPT-2's byte-to-unicode table
    ("!" = 0, ..., "Ġ" (space) = 220),
  * ids 256.. are merges in the order they were learned (rank = id - 256),
  * the special tokens come last, in Llama 3's order (begin_of_text, end_of_text,
    reserved 0-3, start_header, end_header, reserved 4, eot, reserved 5...).

Training: count the pre-tokens of the corpus, then repeatedly merge the most frequent
adjacent pair (ties: the lexicographically smallest pair of strings), keeping pair counts
up to date incrementally so only the words containing the merged pair are revisited.
"""
import json
from collections import Counter, defaultdict

import regex

# Llama 3's pre-tokenizer regex (tiktoken cl100k-style), as in Meta's tokenizer.json.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
PRETOKENIZE = regex.compile(LLAMA3_PATTERN)

# Llama 3's first special tokens, in its id order; the rest are reserved_special_token_N.
SPECIAL_HEAD = ["<|begin_of_text|>", "<|end_of_text|>"] + \
               [f"<|reserved_special_token_{i}|>" for i in range(4)] + \
               ["<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_4|>",
                "<|eot_id|>"]


def special_tokens(count):
    """The first `count` Llama 3 special tokens (count >= 10)."""
    names = list(SPECIAL_HEAD)
    i = 5
    while len(names) < count:
        names.append(f"<|reserved_special_token_{i}|>")
        i += 1
    return names[:count]


def gpt2_byte_alphabet():
    """GPT-2 bytes_to_unicode, returned as a list: index = position in GPT-2's table
    (which is our token id), value = (byte, unicode char)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table = [(b, chr(b)) for b in printable]
    extra = 0
    for b in range(256):
        if b not in printable:
            table.append((b, chr(256 + extra)))
            extra += 1
    return table


BYTE_TABLE = gpt2_byte_alphabet()
BYTE_TO_CHAR = {b: c for b, c in BYTE_TABLE}
CHAR_TO_BYTE = {c: b for b, c in BYTE_TABLE}


def to_byte_chars(text):
    """UTF-8 bytes of `text` spelled in the GPT-2 alphabet (what ByteLevel does)."""
    return "".join(BYTE_TO_CHAR[b] for b in text.encode("utf-8"))


def train(text_chunks, n_merges, min_count=2, log=print):
    """Learns `n_merges` merges from an iterable of strings. Returns the merge list
    [(left, right)] in the GPT-2 alphabet, most important first."""
    counts = Counter()
    for chunk in text_chunks:
        counts.update(PRETOKENIZE.findall(chunk))
    words, freqs = [], []
    for w, n in counts.items():
        if n >= min_count:
            words.append(list(to_byte_chars(w)))
            freqs.append(n)
    log(f"bpe: {len(counts)} distinct pre-tokens, {len(words)} kept (count >= {min_count})")

    pair_count = defaultdict(int)
    where = defaultdict(set)          # pair -> indices of words that contain it
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += freqs[i]
            where[(a, b)].add(i)

    merges = []
    for step in range(n_merges):
        if not pair_count:
            break
        top = max(pair_count.values())
        best = min(p for p, n in pair_count.items() if n == top)
        merges.append(best)
        a, b = best
        joined = a + b
        for i in list(where.pop(best, ())):
            w, f = words[i], freqs[i]
            # remove this word's old pairs, merge, add its new pairs
            for p in zip(w, w[1:]):
                pair_count[p] -= f
                if pair_count[p] <= 0:
                    del pair_count[p]
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(joined)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):
                pair_count[p] += f
                where[p].add(i)
        pair_count.pop(best, None)
        if step % 500 == 0:
            log(f"bpe: merge {step}: {a!r} + {b!r}")
    return merges


class Tokenizer:
    """Encoder/decoder with Hugging Face BPE semantics (ignore_merges, lowest rank first)."""

    def __init__(self, merges, n_special):
        self.merges = merges
        self.vocab = {c: i for i, (_, c) in enumerate(BYTE_TABLE)}
        self.rank = {}
        for r, (a, b) in enumerate(merges):
            self.rank[(a, b)] = r
            self.vocab.setdefault(a + b, 256 + r)
        assert len(self.vocab) == 256 + len(merges), "duplicate merge result"
        self.specials = special_tokens(n_special)
        self.special_ids = {s: len(self.vocab) + i for i, s in enumerate(self.specials)}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        for s, i in self.special_ids.items():
            self.id_to_token[i] = s
        self.cache = {}
        self.special_split = regex.compile(
            "(" + "|".join(regex.escape(s) for s in self.specials) + ")")

    @property
    def size(self):
        return len(self.vocab) + len(self.specials)

    def bos(self):
        return self.special_ids["<|begin_of_text|>"]

    def _bpe(self, word):
        if word in self.vocab:                      # ignore_merges: whole pre-token
            return [self.vocab[word]]
        parts = list(word)
        while len(parts) > 1:
            best, best_rank = None, None
            for p in zip(parts, parts[1:]):
                r = self.rank.get(p)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = p, r
            if best is None:
                break
            a, b = best
            out, j = [], 0
            while j < len(parts):
                if j + 1 < len(parts) and parts[j] == a and parts[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(parts[j])
                    j += 1
            parts = out
        return [self.vocab[p] for p in parts]

    def encode_plain(self, text):
        """Text without special tokens -> ids (no BOS)."""
        ids = []
        for pre in PRETOKENIZE.findall(text):
            got = self.cache.get(pre)
            if got is None:
                got = self._bpe(to_byte_chars(pre))
                if len(self.cache) < 1_000_000:
                    self.cache[pre] = got
            ids.extend(got)
        return ids

    def encode(self, text):
        """Text in which special-token strings are parsed as special tokens (no BOS)."""
        ids = []
        for piece in self.special_split.split(text):
            if piece in self.special_ids:
                ids.append(self.special_ids[piece])
            elif piece:
                ids.extend(self.encode_plain(piece))
        return ids

    def decode(self, ids):
        out, buf = [], []
        for i in ids:
            t = self.id_to_token[int(i)]
            if t in self.special_ids:
                out.append(bytes(buf).decode("utf-8", "replace"))
                buf = []
                out.append(t)
            else:
                buf.extend(CHAR_TO_BYTE[c] for c in t)
        out.append(bytes(buf).decode("utf-8", "replace"))
        return "".join(out)

    # ------------------------------------------------------------------ HF files

    def tokenizer_json(self):
        """The tokenizer.json dict, laid out like Meta's Llama 3 / the golden tiny models."""
        bos = "<|begin_of_text|>"
        added = [{"id": i, "content": s, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False, "special": True}
                 for s, i in self.special_ids.items()]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN},
                 "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                 "use_regex": False}]},
            "post_processor": {"type": "Sequence", "processors": [
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                 "use_regex": True},
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                            {"Sequence": {"id": "A", "type_id": 0}}],
                 "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                          {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": bos, "type_id": 1}},
                          {"Sequence": {"id": "B", "type_id": 1}}],
                 "special_tokens": {bos: {"id": bos, "ids": [self.bos()], "tokens": [bos]}}}]},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                        "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None,
                      "continuing_subword_prefix": None, "end_of_word_suffix": None,
                      "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                      "vocab": self.vocab,
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False, indent=2)


def load_merges(path):
    """Merges back from a tokenizer.json this module wrote."""
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    merges = [tuple(m.split(" ")) for m in d["model"]["merges"]]
    return merges, len(d["added_tokens"])
