"""Chinese word segmentation for triage, a thin wrapper over jieba.

jieba is the one third-party helper the domain allows: it is pure computation (it reads
its own bundled dictionary when first used).  The domain user dictionary (核酸, 封控,
透析, 居委…) is passed in as data; reading it from a file is the adapters' job.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cityops.domain.errors import InvalidInput


class Tokenizer(Protocol):
    def tokens(self, text: str) -> list[str]: ...


@dataclass(frozen=True)
class UserWord:
    word: str
    freq: int | None = None
    tag: str | None = None


def parse_userdict(content: str) -> list[UserWord]:
    """Parse jieba's user-dictionary format: one ``word [freq] [tag]`` per line, ``#`` comments."""
    words: list[UserWord] = []
    for lineno, raw in enumerate(content.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        word, freq, tag = parts[0], None, None
        rest = parts[1:]
        if rest and rest[0].isdigit():
            freq = int(rest.pop(0))
        if rest:
            tag = rest.pop(0)
        if rest:
            raise InvalidInput(f"user dictionary line {lineno}: too many fields: {raw!r}", field="userdict")
        words.append(UserWord(word, freq, tag))
    return words


_KEEP = frozenset("0123456789")


class JiebaTokenizer:
    """Word tokens of a text (punctuation and spaces dropped), with extra domain words."""

    def __init__(self, user_words: Iterable[UserWord | str] = ()):
        import jieba  # local import: importing the domain must stay cheap

        jieba.setLogLevel(logging.WARNING)
        self._tk = jieba.Tokenizer()
        self._user_words: tuple[UserWord, ...] = tuple(
            w if isinstance(w, UserWord) else UserWord(str(w)) for w in user_words
        )
        self._ready = False
        self._lock = threading.Lock()

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._tk.initialize()
            for w in self._user_words:
                self._tk.add_word(w.word, w.freq, w.tag)
            self._ready = True

    def tokens(self, text: str) -> list[str]:
        if not text:
            return []
        self._ensure_ready()
        out: list[str] = []
        for tok in self._tk.cut(text, HMM=True):
            tok = tok.strip()
            if not tok:
                continue
            if len(tok) == 1 and not tok.isalnum() and tok not in _KEEP:
                continue  # punctuation, symbols, emoji
            out.append(tok.lower())
        return out


class CharTokenizer:
    """Fallback tokenizer (one token per CJK char / latin word); used in tests and when jieba is absent."""

    def tokens(self, text: str) -> list[str]:
        import re

        return [t.lower() for t in re.findall(r"[\u4e00-\u9fff]|[A-Za-z]+|\d+", text or "")]


def join_tokens(tokens: Sequence[str]) -> str:
    return " ".join(tokens)
