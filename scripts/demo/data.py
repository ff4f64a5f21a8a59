"""Corpus preparation for the demo model: split, tokenizer, token streams, chat samples.

Held-out split: the corpus is cut into ~100 kB blocks at line boundaries and every 100th
block (offset 50) is held out (~1% of the bytes, spread over all the books rather than the
last two books, which is what a plain tail split would give).

Chat samples: the corpus has no dialogues, so some paragraphs are wrapped in the chat
template (user asks to continue / write about a word; assistant answers with book text),
which teaches the model the template tokens and to stop with <|eot_id|>.
"""
import random

import numpy as np
import regex

BLOCK = 100_000
HOLDOUT_EVERY = 100
HOLDOUT_PHASE = 50


def split_corpus(text):
    """(train_text, heldout_text)."""
    train, held = [], []
    pos, k = 0, 0
    while pos < len(text):
        end = text.find("\n", pos + BLOCK)
        end = len(text) if end < 0 else end + 1
        (held if k % HOLDOUT_EVERY == HOLDOUT_PHASE else train).append(text[pos:end])
        pos, k = end, k + 1
    return "".join(train), "".join(held)


# A user turn, then the assistant's reply: both trimmed, as the template's `| trim` does.
def turn(role, content):
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n{content.strip()}<|eot_id|>"


SYSTEM_PROMPTS = [
    "You are a storyteller who writes in the style of old English novels.",
    "You write prose like a nineteenth-century novelist.",
    "You are a helpful assistant.",
]
CONTINUE_PROMPTS = ["Continue the story: {s}", "Continue: {s}", "Go on from here: {s}",
                    "Please continue this passage. {s}", "{s}"]
TOPIC_PROMPTS = ["Write a passage about {w}.", "Tell me about {w}.", "Write a story about {w}.",
                 "Describe {w}.", "Say something about {w}."]
FREE_PROMPTS = ["Tell me a story.", "Write a paragraph.", "Write something in the style of an "
                "old novel.", "Hello!", "Tell me something.", "Write a passage from a book.",
                "Once upon a time", "What happened next?"]
MORE_PROMPTS = ["Go on.", "Continue.", "What happened next?", "More, please.", "And then?",
                "Tell me more."]

SENTENCE_END = regex.compile(r"[.!?][\"'”’)]?\s")
WORD = regex.compile(r"\b[a-z]{6,}\b")


def paragraphs(text):
    """Paragraphs of running prose, unwrapped into single lines."""
    out = []
    for p in regex.split(r"\n\s*\n", text):
        flat = " ".join(p.split())
        if 150 <= len(flat) <= 1400 and sum(c.isalpha() for c in flat) > 0.7 * len(flat) \
                and not flat.isupper():
            out.append(flat)
    return out


def chat_samples(paras, n, seed=1234):
    """n rendered conversations (strings) in the demo chat template, starting with BOS."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        i = rng.randrange(len(paras) - 1)
        p = paras[i]
        text = "<|begin_of_text|>"
        if rng.random() < 0.2:
            text += turn("system", rng.choice(SYSTEM_PROMPTS))
        kind = rng.random()
        m = SENTENCE_END.search(p)
        words = WORD.findall(p)
        if kind < 0.55 and m and 20 <= m.end() <= 300 and len(p) - m.end() >= 80:
            user = rng.choice(CONTINUE_PROMPTS).format(s=p[:m.end()].strip())
            answer = p[m.end():]
        elif kind < 0.85 and words:
            user = rng.choice(TOPIC_PROMPTS).format(w=rng.choice(words))
            answer = p
        else:
            user = rng.choice(FREE_PROMPTS)
            answer = p
        text += turn("user", user) + turn("assistant", answer)
        if rng.random() < 0.2:                      # a second turn: the next paragraph
            text += turn("user", rng.choice(MORE_PROMPTS)) + turn("assistant", paras[i + 1])
        out.append(text)
    return out


def encode_chunks(tok, text, chunk=1_000_000):
    """Encodes a long plain text in pieces cut at line ends (pre-tokens never span a
    "\\n" followed by a letter, so cutting after a newline that precedes a non-space
    character does not change the tokens)."""
    ids, pos = [], 0
    while pos < len(text):
        end = min(len(text), pos + chunk)
        if end < len(text):
            j = text.find("\n", end)
            while j >= 0 and j + 1 < len(text) and text[j + 1].isspace():
                j = text.find("\n", j + 1)
            end = len(text) if j < 0 else j + 1
        ids.extend(tok.encode_plain(text[pos:end]))
        pos = end
    return np.array(ids, dtype=np.uint16)
