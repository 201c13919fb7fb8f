"""Knowledge-base search latency: the BM25 index vs a naive scan, on the demo KB scaled to 2,000 entries.

The 42 demo entries (``cityops/data/demo_kb.csv``) are copied into 2,000 with the street,
a batch number and the validity dates varied (so every text differs and about a fifth of
the copies are expired at the measuring time), then indexed with the triage tokenizer
(jieba + the domain dictionary).  Measured in the same run, pinned to one core:

* build time of the index (jieba already loaded; the one-time jieba load is shown apart);
* ``KbIndex.search`` on 30 paraphrased caller questions, p50/p99 per call;
* baseline ``substring``: the naive scan a SQL ``LIKE '%text%'`` does — every valid entry
  whose question or answer contains the whole query;
* baseline ``bigram_scan``: a naive scan that at least ranks — for every valid entry,
  count how many of the query's CJK bigrams occur in question + answer (no index).

Top-1 accuracy on the 30 questions (right entry family first) is printed for each, since
a fast scan that finds nothing is not a fair win.
Usage: python bench/kb_search.py [--entries N] [--rounds N]
Prints a readable summary, then one JSON object as the last line.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from _timing import percentile, pin_one_core  # noqa: E402

CST = timezone(timedelta(hours=8))
NOW = datetime(2022, 4, 12, 10, 0, tzinfo=CST)
STREETS = ["望潮路街道", "东湖镇", "观澜街道", "银杏路街道", "新港街道", "柳岸街道", "青石镇", "鹭洲街道", "云湾镇"]

QUERIES = [
    ("我家老人行动不便怎么做核酸", "KB-003"),
    ("我妈瘫痪在床下不了楼，核酸怎么办", "KB-003"),
    ("公司让我开封控期间的证明", "KB-020"),
    ("单位要我提供隔离期间的误工证明", "KB-020"),
    ("我爸是尿毒症要做血透，小区封了出不去", "KB-050"),
    ("抗原自测出现两道杠怎么办", "KB-007"),
    ("隔离结束了怎么拿解除隔离证明", "KB-021"),
    ("解除隔离的告知书丢了能补吗", "KB-021"),
    ("晚上楼上装修太吵了几点以后不能施工", "KB-080"),
    ("我们小区停水了什么时候来水", "KB-081"),
    ("政府发的物资包什么时候到", "KB-060"),
    ("我是超市员工要去上班，通行证怎么申请", "KB-030"),
    ("孩子发烧39度封控区怎么去医院", "KB-051"),
    ("核酸点几点开门", "KB-001"),
    ("密接要隔离几天", "KB-010"),
    ("高血压的药快吃完了怎么办", "KB-052"),
    ("有人在群里造谣在哪里举报", "KB-041"),
    ("随申码黄了怎么办", "KB-043"),
    ("核酸结果两天了还没出来", "KB-004"),
    ("十混一阳性要不要紧", "KB-005"),
    ("家里老人不会用手机买菜", "KB-061"),
    ("宝宝奶粉快没了", "KB-062"),
    ("楼下超市偷偷开门营业", "KB-070"),
    ("菜价太贵了有人卖高价菜", "KB-071"),
    ("小区垃圾三天没人收了", "KB-083"),
    ("封控期间公司扣我工资", "KB-084"),
    ("放疗病人怎么去医院", "KB-053"),
    ("快递能送到楼下吗", "KB-031"),
    ("封控区和管控区有什么不一样", "KB-033"),
    ("学校让开证明孩子封在家里回不了学校", "KB-022"),
]


def summary(ms: list[float]) -> dict:
    return {
        "calls": len(ms),
        "p50_ms": round(percentile(ms, 50), 4),
        "p99_ms": round(percentile(ms, 99), 4),
        "mean_ms": round(statistics.fmean(ms), 4),
        "max_ms": round(max(ms), 4),
    }


def scale(entries, n: int):
    """``n`` entries from the demo ones: street, batch and dates varied; ids KB-xxx-k."""
    out = []
    k = 0
    while len(out) < n:
        street = STREETS[k % len(STREETS)]
        shift = timedelta(days=(k % 5) * 7)  # copies in later weeks: some not yet valid, some expired
        for e in entries:
            if len(out) >= n:
                break
            out.append(replace(
                e,
                id=f"{e.id}-{k}",
                question=f"{street}：{e.question}" if k else e.question,
                answer=f"{e.answer}（{street}第{k + 1}批口径，如有调整以居委会通知为准。）" if k else e.answer,
                valid_from=e.valid_from - shift,
                valid_to=(e.valid_to - shift) if e.valid_to is not None else None,
            ))
        k += 1
    return out


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


class SubstringScan:
    """Whole query as a substring of question or answer (SQL LIKE '%q%')."""

    def __init__(self, entries):
        self.entries = entries

    def search(self, text, now, limit=5):
        out = []
        for e in self.entries:
            if not e.is_valid_at(now):
                continue
            if text in e.question or text in e.answer:
                out.append(e)
                if len(out) >= limit:
                    break
        return out


class BigramScan:
    """For each valid entry: how many of the query's CJK bigrams occur in question + answer."""

    def __init__(self, entries):
        self.entries = [(e, e.question + "\n" + e.answer) for e in entries]

    def search(self, text, now, limit=5):
        grams = {run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
        if not grams:
            return []
        scored = []
        for e, body in self.entries:
            if not e.is_valid_at(now):
                continue
            s = sum(1 for g in grams if g in body)
            if s:
                scored.append((s, e))
        scored.sort(key=lambda p: -p[0])
        return [e for _s, e in scored[:limit]]


def measure(fn, rounds: int) -> tuple[list[float], int]:
    for text, _ in QUERIES[:10]:  # warm-up
        fn(text)
    ms, right = [], 0
    for r in range(rounds):
        for text, expected in QUERIES:
            t0 = time.perf_counter_ns()
            got = fn(text)
            ms.append((time.perf_counter_ns() - t0) / 1e6)
            if r == 0 and got and got[0].id.split("-")[0:2] == expected.split("-"):
                right += 1
    return ms, right


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    core = pin_one_core()

    from cityops.adapters.kb_files import load_demo_kb
    from cityops.adapters.triage.data import load_userdict
    from cityops.domain.kb.search import KbIndex
    from cityops.domain.triage.tokenize import JiebaTokenizer

    demo, errors = load_demo_kb()
    assert not errors, errors
    entries = scale(demo, args.entries)
    chars = sum(len(e.question) + len(e.answer) + sum(map(len, e.keywords)) for e in entries)
    valid = sum(e.is_valid_at(NOW) for e in entries)

    t0 = time.perf_counter()
    tokenizer = JiebaTokenizer(load_userdict())
    tokenizer.tokens("预热")
    jieba_load_s = time.perf_counter() - t0
    builds = []
    for _ in range(3):
        t0 = time.perf_counter()
        index = KbIndex.build(entries, tokenizer=tokenizer)
        builds.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    edited = [replace(entries[0], answer=entries[0].answer + "（已更新）")] + entries[1:]
    KbIndex.build(edited, tokenizer=tokenizer, reuse=index)
    rebuild_s = time.perf_counter() - t0

    substring, bigram = SubstringScan(entries), BigramScan(entries)
    runs = {
        "kb_index": lambda q: [h.entry for h in index.search(q, NOW)],
        "baseline_substring": lambda q: substring.search(q, NOW),
        "baseline_bigram_scan": lambda q: bigram.search(q, NOW),
    }
    result = {
        "benchmark": "kb_search",
        "core": core,
        "entries": len(entries),
        "valid_at_now": valid,
        "chars_indexed": chars,
        "queries": len(QUERIES),
        "rounds": args.rounds,
        "jieba_load_s": round(jieba_load_s, 3),
        "build_s": round(min(builds), 3),
        "build_s_max": round(max(builds), 3),
        "rebuild_one_edit_s": round(rebuild_s, 3),
    }
    print(f"{len(entries)} entries ({valid} valid at {NOW:%Y-%m-%d %H:%M}), {chars} characters, on {core}")
    print(f"jieba load {jieba_load_s:.3f} s (once per process); build {min(builds):.3f} s "
          f"(worst of 3: {max(builds):.3f} s); rebuild after one edit {rebuild_s:.3f} s")
    for name, fn in runs.items():
        ms, right = measure(fn, args.rounds)
        result[name] = {**summary(ms), "top1": f"{right}/{len(QUERIES)}"}
        s = result[name]
        print(f"{name:<21} p50 {s['p50_ms']:>8.3f} ms   p99 {s['p99_ms']:>8.3f} ms   max {s['max_ms']:>8.3f} ms"
              f"   top-1 {s['top1']}")
    result["p99_ratio_vs_bigram_scan"] = round(
        result["kb_index"]["p99_ms"] / max(result["baseline_bigram_scan"]["p99_ms"], 1e-6), 3)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
