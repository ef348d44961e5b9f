"""Text corpora as embeddings: IMDB layouts, CSV/Parquet, the shipped sample, and the disk cache.

Most tests replace the model with a fake embedder that records what it was asked to embed; one
test runs the real all-MiniLM-L6-v2 on a handful of sentences.
"""

from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pandas as pd
import pytest

from latentlaw.data import imdb, text
from latentlaw.data.base import DataError


@pytest.fixture
def fake_encoder(monkeypatch):
    """Column e0 is 1 for texts containing 'good', so labels can be checked against rows."""
    calls: list[list[str]] = []

    def encode(texts, batch_size, bar=None):
        calls.append(list(texts))
        out = np.empty((len(texts), text.EMBED_DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int(hashlib.sha256(t.encode()).hexdigest()[:8], 16)
            out[i] = np.random.default_rng(seed).normal(size=text.EMBED_DIM)
            out[i, 0] = float("good" in t)
        if bar is not None:
            bar.update(len(texts))
        return out

    monkeypatch.setattr(text, "_encode", encode)
    return calls


def _write_acl(root, per_folder=3):
    for split in ("train", "test"):
        for polarity, word in (("pos", "good"), ("neg", "poor")):
            folder = root / split / polarity
            folder.mkdir(parents=True)
            for i in range(per_folder):
                (folder / f"{i}_{7 if polarity == 'pos' else 2}.txt").write_text(
                    f"A {word} {split} film number {i}.<br /><br />Second line.")
    (root / "train" / "unsup").mkdir()
    (root / "train" / "unsup" / "0_0.txt").write_text("unlabelled good text that must be ignored")


def _check_labels_follow_rows(data):
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(data, split)[:, 0], data.labels[split])


def test_imdb_folder_layout(tmp_path, fake_encoder):
    _write_acl(tmp_path / "aclImdb")
    data = imdb.load_imdb(tmp_path / "aclImdb", n_train=8, n_val=2, n_test=2, cache_dir=tmp_path / "cache")
    assert data.name == "imdb" and not data.synthetic
    assert data.columns == [f"e{i}" for i in range(384)] and data.train.shape == (8, 384)
    _check_labels_follow_rows(data)
    embedded = [t for call in fake_encoder for t in call]
    assert len(embedded) == 12 and not any("<br" in t or "unlabelled" in t for t in embedded)
    # the parent folder and the environment variable lead to the same corpus
    again = imdb.load_imdb(tmp_path, n_train=8, n_val=2, n_test=2, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(again.train, data.train)


def test_imdb_env_var_and_missing_corpus_message(tmp_path, monkeypatch, fake_encoder):
    monkeypatch.setenv("LATENTLAW_ROOT", str(tmp_path / "repo"))
    monkeypatch.delenv(imdb.ENV_VAR, raising=False)
    with pytest.raises(DataError) as err:
        imdb.load_imdb(cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(tmp_path / "repo" / "data" / "aclImdb") in message and imdb.IMDB_ARCHIVE in message
    assert "text_column" in message and "dataset=reviews" in message
    _write_acl(tmp_path / "elsewhere" / "aclImdb")
    monkeypatch.setenv(imdb.ENV_VAR, str(tmp_path / "elsewhere"))
    assert len(imdb.load_imdb(cache_dir=tmp_path / "cache").train) == 10
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(DataError, match=r"has no reviews: expected \{train,test\}/\{pos,neg\}/\*\.txt"):
        imdb.load_imdb(tmp_path / "empty", cache_dir=tmp_path / "cache")


def test_imdb_csv_and_parquet_with_text_labels(tmp_path, fake_encoder):
    frame = pd.DataFrame({"review": [f"{'good' if i % 2 else 'dull'} movie {i}" for i in range(20)],
                          "sentiment": ["positive" if i % 2 else "negative" for i in range(20)]})
    frame.to_csv(tmp_path / "reviews.csv", index=False)
    data = imdb.load_imdb(tmp_path / "reviews.csv", text_column="review", label_column="sentiment",
                          cache_dir=tmp_path / "cache", seed=1)
    assert (len(data.train), len(data.val), len(data.test)) == (16, 2, 2)
    assert "0=negative, 1=positive" in data.description
    _check_labels_follow_rows(data)
    frame.assign(sentiment=[i % 2 for i in range(20)]).to_parquet(tmp_path / "reviews.parquet")
    parquet = imdb.load_imdb(tmp_path / "reviews.parquet", text_column="review", label_column="sentiment",
                             cache_dir=tmp_path / "cache", seed=1)
    np.testing.assert_array_equal(parquet.train, data.train)
    expected = r"no column\(s\) \['text', 'label'\]; available columns: \['review', 'sentiment'\]"
    with pytest.raises(DataError, match=expected):
        imdb.load_imdb(tmp_path / "reviews.csv", cache_dir=tmp_path / "cache")
    frame.loc[4, "review"] = "  "
    frame.to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(DataError, match="1 empty texts, first at data row 4"):
        imdb.load_imdb(tmp_path / "gap.csv", text_column="review", label_column="sentiment")


def test_cache_hit_embeds_nothing_and_new_texts_only_once(tmp_path, fake_encoder):
    texts = [f"sentence {i}" for i in range(10)]
    first = text.embed_texts(texts, cache_dir=tmp_path)
    assert len(fake_encoder) == 1
    second = text.embed_texts(texts[::-1], cache_dir=tmp_path)
    assert len(fake_encoder) == 1  # nothing new: the embedder was not called
    np.testing.assert_array_equal(second, first[::-1])
    text.embed_texts(texts[:3] + ["brand new"], cache_dir=tmp_path)
    assert fake_encoder[-1] == ["brand new"]


def test_cache_location_follows_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(text.CACHE_ENV, str(tmp_path))
    assert text.cache_root() == tmp_path / "embeddings"
    assert text.cache_root(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv(text.CACHE_ENV)
    monkeypatch.setenv("LATENTLAW_ROOT", str(tmp_path / "repo"))
    assert text.cache_root() == tmp_path / "repo" / ".cache" / "embeddings"


def test_real_model_gives_384_dims_and_second_call_hits_the_cache(tmp_path, monkeypatch):
    sentences = ["A wonderful, moving film.", "A warm and wonderful movie.", "Tedious and badly acted.",
                 "The plot is a confusing mess."]
    vectors = text.embed_texts(sentences, cache_dir=tmp_path)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    similar = vectors @ vectors.T
    assert similar[0, 1] > similar[0, 2] and similar[0, 1] > similar[0, 3]

    def refuse(*args, **kwargs):
        raise AssertionError("the cache should have served every text")

    monkeypatch.setattr(text, "_encode", refuse)
    np.testing.assert_array_equal(text.embed_texts(sentences, cache_dir=tmp_path), vectors)


def test_shipped_reviews_sample(tmp_path, fake_encoder):
    data = imdb.load_reviews(cache_dir=tmp_path)
    assert data.name == "reviews" and data.synthetic
    assert data.description.startswith("SAMPLE:") and "NOT IMDB" in data.description
    assert len(data.train) + len(data.val) + len(data.test) == 360
    assert set(np.unique(data.labels["train"])) == {0, 1}
    with pytest.warns(UserWarning, match="the reviews sample has 360 rows"):
        fast = imdb.load_reviews(n_train=10000, n_val=1000, n_test=2000, cache_dir=tmp_path)
    assert (len(fast.train), len(fast.val), len(fast.test)) == (288, 36, 36)
    assert len(fake_encoder) == 1  # the second load was served from the cache


def test_shipped_csv_is_what_the_composer_writes():
    script = imdb.REVIEWS_CSV.with_name("make_reviews.py")
    spec = importlib.util.spec_from_file_location("make_reviews", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = pd.read_csv(imdb.REVIEWS_CSV)
    assert list(shipped.itertuples(index=False, name=None)) == module.compose()
