"""The cross-match engine (DuckDB SQL) counts exactly what the domain's ``classify`` says, and
the synthetic generator produces what the engine reads."""
from __future__ import annotations

import random
from collections import Counter

from cityops.adapters.community.crossmatch import connect, crossmatch
from cityops.adapters.community.synth import synth_parquet
from cityops.domain.community import rounds as R


def test_the_engine_agrees_with_the_domain_rule_resident_by_resident():
    rng = random.Random(7)
    people, results, exempt = [], [], []
    for i in range(3000):
        status = rng.choice(["present"] * 6 + ["away", "moved_out"])
        bed = rng.random() < 0.1
        people.append((i, 1 + i % 3, 10 + i % 7, str(1 + i % 2), status, bed, i * 7 + 1, i * 13 + 5))
        if rng.random() < 0.6:
            results.append((i * 7 + 1, i * 13 + 5, rng.random() < 0.05))
            if rng.random() < 0.2:
                results.append((i * 7 + 1, i * 13 + 5, False))  # tested twice
        if rng.random() < 0.05:
            exempt.append(i)
    results += [(10**12 + j, j, False) for j in range(200)]  # people in no ledger
    con = connect("1GB", 2)
    con.execute("CREATE TABLE r (resident_id BIGINT, committee_id INT, building_id INT, unit VARCHAR, status VARCHAR, "
                "bedridden BOOLEAN, k1 BIGINT, k2 BIGINT)")
    con.executemany("INSERT INTO r VALUES (?, ?, ?, ?, ?, ?, ?, ?)", people)
    con.execute("CREATE TABLE t (k1 BIGINT, k2 BIGINT, positive BOOLEAN)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", results)
    rows = crossmatch(con, "r", "t", exempt_ids=exempt).fetchall()

    tested = {(k1, k2) for k1, k2, _ in results}
    positive = {(k1, k2) for k1, k2, p in results if p}
    want: Counter = Counter()
    for rid, c, b, u, status, bed, k1, k2 in people:
        st = R.classify(status, ("bedridden",) if bed else (), (k1, k2) in tested, rid in set(exempt))
        if st == R.NOT_COUNTED:
            continue
        want[(c, b, u, "must")] += 1
        want[(c, b, u, st)] += 1
        want[(c, b, u, "positive")] += (k1, k2) in positive
    got: Counter = Counter()
    for c, b, u, must, t, e, un, pos in rows:
        for name, n in (("must", must), (R.TESTED, t), (R.EXEMPTED, e), (R.UNTESTED, un), ("positive", pos)):
            got[(c, b, u, name)] += n
    assert +got == +want


def test_synthetic_data_has_the_shape_of_a_round(tmp_path):
    info = synth_parquet(tmp_path, 20_000)
    con = connect("1GB", 2)
    crossmatch(con, f"read_parquet('{tmp_path}/residents.parquet')", f"read_parquet('{tmp_path}/results.parquet')",
               untested_out=str(tmp_path / "untested.parquet"))
    must, tested, untested = con.execute("SELECT sum(must), sum(tested), sum(untested) FROM progress").fetchall()[0]
    assert info["residents"] == 20_000 and 0.9 < info["results"] / 20_000 < 1.1
    assert 0.85 < tested / must < 0.93 and untested > 0
    assert con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path}/untested.parquet')").fetchall()[0][0] == untested
