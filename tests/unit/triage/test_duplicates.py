from cityops.domain.triage.duplicates import Candidate, rank_duplicates, similarity


def test_the_same_complaint_in_other_words_is_alike_and_a_different_one_is_not():
    a = "幸福小区封控三天了，快递进不来，家里没菜了"
    assert similarity(a, "幸福小区封控了三天，家里已经没有菜了，快递也进不来") > 0.3
    assert similarity(a, "望潮路路灯坏了晚上很黑") < 0.1
    assert similarity("", a) == 0.0


def test_same_place_and_matter_rank_first():
    cands = [Candidate("A", "幸福小区没菜了", "幸福小区3号楼", "epi.supplies", 7),
             Candidate("B", "幸福小区没菜了", "青年路1号", "epi.supplies", 9),
             Candidate("C", "路灯坏了", "幸福小区", "city.utilities", 7)]
    hints = rank_duplicates("幸福小区家里没菜了", "幸福小区", "epi.supplies", 7, cands)
    assert [h.number for h in hints][:2] == ["A", "B"]
    assert hints[0].same_place and hints[0].same_category
    assert all(h.number != "C" for h in hints)
