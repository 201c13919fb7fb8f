"""Chinese full-text search over the knowledge base: BM25F on jieba words + character bigrams.

How a text is scored against an entry:

* **words** — the jieba tokens (the triage tokenizer, with the domain dictionary) of the
  question, answer and keywords, stop words removed, scored with BM25F: one term frequency
  per entry summed over the fields with a weight each (question 3, keywords 2, answer 1)
  and a length normalisation per field, saturated once with ``k1``.
* **bigrams** — the same fields also indexed as CJK character bigrams taken *inside* each
  word (a two-character word is its own bigram).  A query word the index has never seen
  (out of vocabulary: a typo, another segmentation, a word the dictionary lacks) is scored
  through its bigrams at full weight; a known word also adds its bigrams at a small weight
  so that "采样" still finds an entry whose tokenizer kept "上门采样" as one word.

Entries not valid at ``now`` are never returned, and of several versions of one entry
only the current one (the highest version valid at ``now``) can be.  An optional category
multiplies the score of entries of that category.

Pure: the tokenizer is passed in (``cityops.domain.triage.tokenize``); no I/O, no clock.
"""
from __future__ import annotations

import heapq
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cityops.domain.errors import InvalidInput
from cityops.domain.kb.model import KbEntry
from cityops.domain.triage.text import cjk_count, normalize
from cityops.domain.triage.tokenize import JiebaTokenizer, Tokenizer

MAX_QUERY_CHARS = 1000

# Function words, question words and politeness that every 12345 question carries.
STOP_WORDS: frozenset[str] = frozenset(
    """
    的 地 得 了 着 过 是 在 和 与 及 或 并 而 也 都 就 还 又 再 才 很 太 更 最 被 把 给 让 对 向 从 到 为 以 于
    之 其 此 该 这 那 这个 那个 这些 那些 这样 那样 这里 那里 这边 那边 哪 哪里 哪儿 哪些 哪个 什么 什么样 怎么
    怎样 怎么样 怎么办 咋 咋办 如何 为什么 为何 多少 多久 几 吗 呢 吧 啊 呀 哦 嗯 哈 啦 嘛 么 喔 哎 唉 呃 噢
    我 你 您 他 她 它 我们 你们 他们 她们 咱们 大家 自己 本人 我家 我们家 家里 人家
    请问 请 问 一下 问下 问一下 想 想问 想问一下 想知道 知道 咨询 了解 告诉 谢谢 麻烦 你好 您好 喂 好 好的
    能 能否 能不能 可以 可不可以 可否 会 会不会 要 需要 是否 是不是 有没有 有 没 没有 不是
    一个 一些 一点 一样 这种 那种 个 些 点 一 上 下 里 中
    等 等等 如果 因为 所以 但是 但 可是 然后 那么 现在 目前 已经 还是 或者 以及 时候 什么时候
    做 去 来 说 弄 搞 办 有人 出现 不能 以后 之后 还要 还能
    """.split()
)

_BIGRAM = "\x00"  # prefix of bigram keys, so "采样" the word and "采样" the bigram never collide


@dataclass(frozen=True)
class FieldWeights:
    question: float = 3.0
    keywords: float = 2.0
    answer: float = 1.0


# length normalisation per field: short fields barely, the answer fully
_B = {"question": 0.5, "keywords": 0.3, "answer": 0.75}


@dataclass(frozen=True)
class Hit:
    entry: KbEntry
    score: float
    matched_terms: tuple[str, ...]


_CJK_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")


def _is_cjk_word(tok: str) -> bool:
    return _CJK_WORD.fullmatch(tok) is not None


@dataclass(frozen=True)
class _Analysed:
    """One field text, analysed: word and bigram counts and their totals."""

    words: Counter
    nwords: int
    bigrams: Counter
    nbigrams: int


def bigrams_of(tok: str) -> list[str]:
    """Bigrams inside one CJK word ("上门采样" → 上门 门采 采样); none for other tokens."""
    if not _is_cjk_word(tok):
        return []
    if len(tok) == 2:
        return [tok]
    return [tok[i : i + 2] for i in range(len(tok) - 1)]


_default_tokenizer: Tokenizer | None = None
_default_lock = threading.Lock()


def default_tokenizer() -> Tokenizer:
    """A shared jieba tokenizer without the domain dictionary (pass the triage one instead)."""
    global _default_tokenizer
    with _default_lock:
        if _default_tokenizer is None:
            _default_tokenizer = JiebaTokenizer()
        return _default_tokenizer


class KbIndex:
    """An immutable search index over a list of entries (all versions, valid or not)."""

    def __init__(
        self,
        entries: Sequence[KbEntry],
        tokenizer: Tokenizer,
        words: dict[str, tuple[float, dict[int, float]]],
        bigrams: dict[str, tuple[float, dict[int, float]]],
        token_cache: dict[str, "_Analysed"],
    ):
        self._entries = tuple(entries)
        self._tokenizer = tokenizer
        self._words = words
        self._bigrams = bigrams
        self._token_cache = token_cache
        self._from = [e.valid_from for e in self._entries]
        self._to = [e.valid_to for e in self._entries]
        by_id: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self._entries):
            by_id[e.id].append(i)
        # ids with several versions: their documents, highest version first
        self._versions = {
            k: sorted(v, key=lambda i: -self._entries[i].version) for k, v in by_id.items() if len(v) > 1
        }

    # ------------------------------------------------------------------ building

    @classmethod
    def build(
        cls,
        entries: Iterable[KbEntry],
        *,
        tokenizer: Tokenizer | None = None,
        weights: FieldWeights = FieldWeights(),
        k1: float = 1.2,
        reuse: "KbIndex | None" = None,
    ) -> "KbIndex":
        """Index ``entries``.  ``reuse``: a previous index whose analysed texts are reused
        (only new or changed texts go through jieba again), for cheap rebuilds after an edit."""
        tk = tokenizer or (reuse._tokenizer if reuse is not None else default_tokenizer())
        old_cache = reuse._token_cache if reuse is not None and reuse._tokenizer is tk else {}
        cache: dict[str, _Analysed] = {}
        bigram_memo: dict[str, tuple[str, ...]] = {}

        def analyse(text: str) -> _Analysed:
            got = cache.get(text)
            if got is None:
                got = old_cache.get(text)
                if got is None:
                    words = [t for t in tk.tokens(normalize(text)) if t not in STOP_WORDS] if text else []
                    bis: list[str] = []
                    for t in words:
                        b = bigram_memo.get(t)
                        if b is None:
                            b = bigram_memo[t] = tuple(bigrams_of(t))
                        bis.extend(b)
                    got = _Analysed(Counter(words), len(words), Counter(bis), len(bis))
                cache[text] = got
            return got

        entries = list(entries)
        for e in entries:  # checked here so that search never compares naive and aware times
            if not isinstance(e.valid_from, datetime) or e.valid_from.tzinfo is None or (
                e.valid_to is not None and (not isinstance(e.valid_to, datetime) or e.valid_to.tzinfo is None)
            ):
                raise InvalidInput(f"口径 {e.id} 的生效/失效时间需要带时区 (entry {e.id}: valid_from/valid_to "
                                   f"must be timezone-aware datetimes)", field="valid_from")
        n = len(entries)
        wq, wk, wa = weights.question, weights.keywords, weights.answer
        docs: list[tuple[_Analysed, _Analysed, _Analysed]] = []
        totals = [0, 0, 0, 0, 0, 0]  # word and bigram lengths per field
        for e in entries:
            q = analyse(e.question or "")
            k = analyse(" ".join(e.keywords or ()))
            a = analyse(e.answer or "")
            docs.append((q, k, a))
            totals[0] += q.nwords
            totals[1] += k.nwords
            totals[2] += a.nwords
            totals[3] += q.nbigrams
            totals[4] += k.nbigrams
            totals[5] += a.nbigrams
        avg = [(t / n if n else 1.0) or 1.0 for t in totals]
        bq, bk, ba = _B["question"], _B["keywords"], _B["answer"]
        words: dict[str, dict[int, float]] = defaultdict(dict)
        bigrams: dict[str, dict[int, float]] = defaultdict(dict)
        for i, (q, k, a) in enumerate(docs):
            for target, parts in (
                (words, ((q.words, q.nwords, wq, bq, avg[0]), (k.words, k.nwords, wk, bk, avg[1]),
                         (a.words, a.nwords, wa, ba, avg[2]))),
                (bigrams, ((q.bigrams, q.nbigrams, wq, bq, avg[3]), (k.bigrams, k.nbigrams, wk, bk, avg[4]),
                           (a.bigrams, a.nbigrams, wa, ba, avg[5]))),
            ):
                acc: dict[str, float] = {}
                for counts, length, w, b, av in parts:
                    if not length:
                        continue
                    norm = w / (1.0 - b + b * length / av)
                    for term, tf in counts.items():
                        acc[term] = acc.get(term, 0.0) + tf * norm
                for term, tf in acc.items():
                    target[term][i] = tf * (k1 + 1.0) / (k1 + tf)

        def with_idf(postings: dict[str, dict[int, float]]) -> dict[str, tuple[float, dict[int, float]]]:
            return {t: (math.log(1.0 + (n - len(d) + 0.5) / (len(d) + 0.5)), d) for t, d in postings.items()}

        return cls(entries, tk, with_idf(words), with_idf(bigrams), cache)

    # ------------------------------------------------------------------ reading

    @property
    def entries(self) -> tuple[KbEntry, ...]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def query_terms(self, text: object) -> list[tuple[str, str, float]]:
        """The weighted terms a text is searched with: (key, shown as, weight).

        Words known to the index weigh 1 (plus their bigrams at 0.3); unknown words are
        searched through their bigrams at weight 1.  Non-Chinese text gives no terms.
        """
        if not isinstance(text, str) or not text:
            return []
        text = normalize(text[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
        if cjk_count(text) == 0:
            return []
        try:
            tokens = self._tokenizer.tokens(text)
        except Exception:  # a tokenizer hiccup on odd input must not break intake
            return []
        terms: list[tuple[str, str, float]] = []
        seen: set[str] = set()
        bi_weight: dict[str, float] = {}
        for t in tokens:
            if t in STOP_WORDS or t in seen:
                continue
            seen.add(t)
            known = t in self._words
            if known:
                terms.append((t, t, 1.0))
            for b in bigrams_of(t):
                w = 0.3 if known else 1.0
                if bi_weight.get(b, 0.0) < w:
                    bi_weight[b] = w
        for b, w in bi_weight.items():
            terms.append((_BIGRAM + b, b, w))
        return terms

    def search(
        self,
        text: object,
        now: datetime,
        category: str | None = None,
        limit: int = 5,
        *,
        category_boost: float = 0.5,
        min_score: float = 0.0,
        min_relative: float = 0.1,
    ) -> list[Hit]:
        """The best ``limit`` entries valid at ``now`` for ``text``, best first.

        ``category``: entries of this category get their score multiplied by
        ``1 + category_boost`` (nothing is filtered out by it).  Empty, emoji-only or
        non-Chinese text gives an empty list.  ``now`` must be timezone-aware.
        Hits scoring below ``min_score``, or below ``min_relative`` times the best hit's
        score (a lone common word matched), are left out.
        """
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise InvalidInput("now 需要带时区的时间 (now must be a timezone-aware datetime)", field="now")
        if limit <= 0 or not self._entries:
            return []
        terms = self.query_terms(text)
        if not terms:
            return []
        scores: dict[int, float] = defaultdict(float)
        for key, _shown, weight in terms:
            if key.startswith(_BIGRAM):
                post = self._bigrams.get(key[1:])
            else:
                post = self._words.get(key)
            if post is None:
                continue
            idf, docs = post
            f = idf * weight
            for i, sat in docs.items():
                scores[i] += f * sat

        frm, to, entries, versions = self._from, self._to, self._entries, self._versions
        boost = 1.0 + category_boost if category else 1.0
        ranked: list[tuple[float, int]] = []
        for i, s in scores.items():
            if now < frm[i]:
                continue
            t = to[i]
            if t is not None and now >= t:
                continue
            e = entries[i]
            vs = versions.get(e.id)
            if vs is not None and self._current(vs, now) != i:
                continue  # superseded by a newer version valid now
            if category and e.category == category:
                s *= boost
            if s > min_score:
                ranked.append((s, i))
        top = heapq.nsmallest(limit, ranked, key=lambda p: (-p[0], entries[p[1]].id, -entries[p[1]].version))
        if top and min_relative > 0:
            floor = top[0][0] * min_relative
            top = [p for p in top if p[0] >= floor]
        return [Hit(entries[i], round(s, 4), self._matched(i, terms)) for s, i in top]

    # ------------------------------------------------------------------ helpers

    def _current(self, versions: list[int], now: datetime) -> int | None:
        for j in versions:
            if self._from[j] <= now and (self._to[j] is None or now < self._to[j]):
                return j
        return None

    def _matched(self, i: int, terms: list[tuple[str, str, float]]) -> tuple[str, ...]:
        words: list[str] = []
        for key, shown, _w in terms:
            if key.startswith(_BIGRAM):
                post = self._bigrams.get(key[1:])
                if post is not None and i in post[1] and not any(shown in w for w in words):
                    words.append(shown)
            else:
                post = self._words.get(key)
                if post is not None and i in post[1]:
                    words.append(shown)
        return tuple(words)
