"""Decoding many straggler patterns within a memory budget, with a cache.

Decoder maps depend only on the scheme, the points and the survivor mask, so
experiments that evaluate several functions on the same traces can build each
map once. :class:`DecoderCache` keeps them, least recently used first out,
under a byte limit; :func:`decode_chunked` splits the patterns into chunks
whose working set fits a byte budget. :func:`decode_rows`, the entry point of
the experiments, screens the worker outputs first (:mod:`letcc.faults`).
"""

import ctypes
import hashlib
import logging
from collections import OrderedDict

import numpy as np
import torch

from letcc import _validate
from letcc.faults import Screened, screen_outputs

log = logging.getLogger(__name__)

try:
    _MALLOC_TRIM = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):
    _MALLOC_TRIM = None


class DecoderCache:
    """Least-recently-used store of decoder maps, bounded in bytes.

    Maps are stored per block of masks (a whole trace, or one chunk of it):
    experiments that evaluate several functions on the same traces ask for
    the same blocks, and a hit then costs one hash of the masks, no copy.

    Parameters
    ----------
    max_bytes : int
        Upper bound on the bytes held by the stored maps. A block larger than
        the bound is computed but not stored.

    Attributes
    ----------
    hits, misses : int
        Patterns served from the store, and patterns whose maps were built.
    """

    def __init__(self, max_bytes=256 * 2**20):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}.")
        self.max_bytes = int(max_bytes)
        self.hits = 0
        self.misses = 0
        self._store = OrderedDict()
        self._bytes = 0

    @property
    def nbytes(self):
        """Bytes held by the stored maps."""
        return self._bytes

    def __len__(self):
        return len(self._store)

    def decoders(self, scheme, alpha, beta, masks, *, device=None, dtype=None):
        """Return the decoder maps of ``masks``, built once per block.

        Parameters
        ----------
        scheme : letcc.coding.CodingScheme
        alpha : array-like, shape (K,)
        beta : array-like, shape (N,)
        masks : array-like of bool, shape (T, N)
        device, dtype
            As in :meth:`letcc.coding.CodingScheme.decoder_matrices`.

        Returns
        -------
        torch.Tensor, shape (T, K, N)
            Shared with the store: do not modify it in place.
        """
        dtype = dtype or torch.float64
        device = _validate.resolve_device(device, masks, beta, alpha)
        rows = np.ascontiguousarray(torch.as_tensor(masks).cpu())
        key = (
            _setting_key(scheme, alpha, beta, device, dtype),
            rows.shape,
            hashlib.sha256(rows.tobytes()).hexdigest(),
        )
        if key in self._store:
            self.hits += rows.shape[0]
            self._store.move_to_end(key)
            return self._store[key]

        self.misses += rows.shape[0]
        maps = scheme.decoder_matrices(alpha, beta, rows, device=device, dtype=dtype)
        self._put(key, maps)
        return maps

    def _put(self, key, value):
        size = value.element_size() * value.nelement()
        if size > self.max_bytes:
            return
        self._store[key] = value
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, old = self._store.popitem(last=False)
            self._bytes -= old.element_size() * old.nelement()


def decode_chunked(
    scheme,
    alpha,
    beta,
    masks,
    values,
    *,
    budget_bytes=512 * 2**20,
    cache=None,
    device=None,
    dtype=None,
):
    """Decode all patterns, a chunk at a time, within a memory budget.

    Parameters
    ----------
    scheme : letcc.coding.CodingScheme
    alpha : array-like, shape (K,)
    beta : array-like, shape (N,)
    masks : array-like of bool, shape (T, N)
    values : torch.Tensor, shape (T, N, p)
        Worker outputs; rows of stragglers are not used.
    budget_bytes : int
        Bytes the working set of one chunk may take (the fits, and the
        decoder maps when a cache is used), on top of ``values`` and the
        cache's own bound.
    cache : DecoderCache, optional
        Where decoder maps are kept between calls. Without one, the scheme's
        own :meth:`~letcc.coding.CodingScheme.decode` runs (matrix-free for
        ``letcc``).
    device, dtype
        As in :meth:`letcc.coding.CodingScheme.decode`.

    Returns
    -------
    torch.Tensor, shape (T, K, p)
    """
    dtype = dtype or torch.float64
    values = torch.as_tensor(values)
    count, n, width = values.shape
    k = len(alpha)
    chunk = max(1, int(budget_bytes // _bytes_per_pattern(n, k, width, cache)))
    if chunk < count:
        log.info("decoding %d patterns in chunks of %d", count, chunk)

    masks = torch.as_tensor(masks)
    pieces, built = [], False
    for start in range(0, count, chunk):
        part = slice(start, start + chunk)
        if built:
            _release_freed_memory()
        misses = cache.misses if cache is not None else 0
        pieces.append(
            _decode_part(
                scheme, alpha, beta, masks[part], values[part], cache, device, dtype
            )
        )
        # Cache hits allocate nothing worth handing back.
        built = cache is None or cache.misses > misses
    return torch.cat(pieces)


def _release_freed_memory():
    """Hand memory freed by the previous chunk back to the system.

    glibc's allocator raises its mmap threshold after large frees, so chunk
    after chunk of equal-sized arrays lands on a heap that fragments and keeps
    growing; trimming between chunks holds the resident size to one chunk's
    working set. A no-op where glibc is absent.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _bytes_per_pattern(n, k, width, cache):
    """Peak working set of decoding one pattern, in bytes.

    Measured on the spline engine, whose arrays are float64 whatever the
    requested dtype: fitting holds about 16 arrays of length N per pattern and
    4 per output column; building a decoder map peaks near 4 copies of its
    ``K x N`` entries. Both are doubled for what the allocator holds on to
    between chunks, as the peak resident size of long runs shows.
    """
    fit = 2 * (16 + 4 * width) * n
    build = 8 * k * n if cache is not None else 0
    return 8 * (fit + build + k * width)


def _decode_part(scheme, alpha, beta, masks, values, cache, device, dtype):
    if cache is None:
        return scheme.decode(alpha, beta, masks, values, device=device, dtype=dtype)
    maps = cache.decoders(scheme, alpha, beta, masks, device=device, dtype=dtype)
    values = values.to(device=maps.device, dtype=dtype)

    # Stragglers' columns of the maps are zero, which cancels any finite
    # value; only NaN or infinity there needs clearing, and the (smaller)
    # result shows whether any was there.
    decoded = torch.bmm(maps, values)
    if not torch.isfinite(decoded).all():
        values = values.masked_fill(~masks.to(maps.device)[:, :, None], 0.0)
        decoded = torch.bmm(maps, values)
    return decoded


def _setting_key(scheme, alpha, beta, device, dtype):
    """Key of everything but the mask that a decoder map depends on."""
    digest = hashlib.sha256()
    for points in (alpha, beta):
        array = np.asarray(torch.as_tensor(points).cpu(), dtype=np.float64)
        digest.update(array.tobytes())
        digest.update(b"|")
    params = tuple(sorted(scheme.params().items()))
    return (scheme.name, params, digest.hexdigest(), str(device), str(dtype))


def decode_rows(
    scheme,
    alpha: np.ndarray,
    beta: np.ndarray,
    masks: torch.Tensor,
    values: torch.Tensor,
    *,
    budget_bytes: int = 512 * 2**20,
    cache: DecoderCache | None = None,
    outliers: str = "report",
) -> tuple[torch.Tensor, Screened]:
    """Screen the worker outputs (:mod:`letcc.faults`), then decode every row.

    Parameters
    ----------
    scheme : letcc.coding.CodingScheme
    alpha : np.ndarray, shape (K,)
    beta : np.ndarray, shape (N,)
    masks : torch.Tensor of bool, shape (T, N)
    values : torch.Tensor, float64, shape (T, N, m)
        Worker outputs, on the device where decoding runs.
    budget_bytes : int, default 512 MiB
        Memory budget of one chunk, as in :func:`decode_chunked`.
    cache : DecoderCache, optional
        Keeps the decoder maps of the masks for later calls (another noise
        level, another function); without it LeTCC decodes matrix-free.
    outliers : {"report", "drop"}, default "report"
        Decode outlying outputs as they are and count them, or treat their
        workers as stragglers (:mod:`letcc.faults`).

    Returns
    -------
    estimates : torch.Tensor, float64, shape (T, K, m)
    screened : letcc.faults.Screened
        The survivors decoded and, per row, the counts of non-finite answers
        (dropped) and outliers.

    Raises
    ------
    ValueError
        If dropping faulty outputs leaves a row with fewer than two survivors.
    """
    screened = screen_outputs(values, masks, outliers=outliers)
    estimates = decode_chunked(
        scheme,
        alpha,
        beta,
        screened.survivors,
        values,
        budget_bytes=budget_bytes,
        cache=cache,
        device=values.device,
    )
    return estimates, screened
