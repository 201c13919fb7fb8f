"""The model trained on the shipped corpus: cached on disk by corpus and algorithm, once per process."""
from __future__ import annotations

from cityops.adapters.triage import provider
from cityops.domain.triage.examples import LabelledExample


class StubModel:
    def save(self, path):
        path.write_bytes(b"stub")
        return path


def _stub_training(monkeypatch, corpus):
    calls = []

    def train(examples, tokenizer):
        calls.append(len(examples))
        return StubModel()

    monkeypatch.setattr(provider, "_SHIPPED", {})
    monkeypatch.setattr(provider, "load_corpus", lambda: list(corpus))
    monkeypatch.setattr(provider, "train_model", train)
    monkeypatch.setattr(provider, "default_tokenizer", lambda: None)
    return calls


CORPUS = [LabelledExample("家里没菜了", "epi.supplies", "critical", ()), LabelledExample("楼上装修太吵", "city.noise", "normal", ())]


def test_a_damaged_cache_file_is_trained_again_not_fatal(monkeypatch, tmp_path):
    calls = _stub_training(monkeypatch, CORPUS)
    digest = provider._digest([provider.ALGORITHM, provider.training_hash(CORPUS)])
    (tmp_path / f"shipped-{digest}.joblib").write_bytes(b"not a model")
    model = provider.shipped_model(tmp_path)
    assert isinstance(model, StubModel) and calls == [2]


def test_the_shipped_model_is_trained_once_per_process(monkeypatch, tmp_path):
    calls = _stub_training(monkeypatch, CORPUS)
    first = provider.shipped_model(tmp_path / "a")
    second = provider.shipped_model(tmp_path / "b")
    assert first is second and calls == [2]
    assert len(list((tmp_path / "a").glob("shipped-*.joblib"))) == 1


def test_a_relabelled_corpus_gets_another_model(monkeypatch, tmp_path):
    calls = _stub_training(monkeypatch, CORPUS)
    provider.shipped_model(tmp_path)
    relabelled = [CORPUS[0], LabelledExample("楼上装修太吵", "city.noise", "urgent", ())]
    monkeypatch.setattr(provider, "load_corpus", lambda: list(relabelled))
    provider.shipped_model(tmp_path)
    assert calls == [2, 2]
