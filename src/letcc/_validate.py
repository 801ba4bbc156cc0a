"""Checks on the arguments of the coding maps, with messages that say the fix."""

import math

import torch


def resolve_device(device, *arrays):
    """Pick the device: the one asked for, else that of the first torch input.

    Parameters
    ----------
    device : str, torch.device or None
        ``"auto"`` means CUDA when available, else CPU.
    *arrays : array-like
        Inputs whose device is used when ``device`` is None.

    Returns
    -------
    torch.device
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device is not None:
        return torch.device(device)
    for array in arrays:
        if isinstance(array, torch.Tensor):
            return array.device
    return torch.device("cpu")


def as_points(values, name, device):
    """Return ``values`` as a float64 tensor of strictly ascending finite points.

    Parameters
    ----------
    values : array-like, shape (n,)
        Evaluation or interpolation points, for example in [-1, 1].
    name : str
        Argument name used in error messages (``"alpha"`` or ``"beta"``).
    device : torch.device

    Returns
    -------
    torch.Tensor, shape (n,), float64

    Raises
    ------
    ValueError
        If the points are not 1-D, fewer than 2, not finite, or not strictly
        ascending.
    """
    points = torch.as_tensor(values).to(device=device, dtype=torch.float64)
    if points.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of points, got shape {tuple(points.shape)}; "
            f"pass one point per {'input' if name == 'alpha' else 'worker'}."
        )
    if points.numel() < 2:
        raise ValueError(
            f"{name} has {points.numel()} point(s); at least 2 are needed."
        )
    if not torch.isfinite(points).all():
        bad = torch.nonzero(~torch.isfinite(points)).flatten().tolist()
        raise ValueError(
            f"{name} holds NaN or infinite values at positions {bad}; "
            "use finite points, for example letcc.coding.points(...)."
        )
    steps = points[1:] - points[:-1]
    if not (steps > 0).all():
        bad = torch.nonzero(steps <= 0).flatten().tolist()
        raise ValueError(
            f"{name} must be strictly ascending with no repeats; the order breaks "
            f"after positions {bad}. Sort the points and drop repeats "
            "(numpy.unique does both)."
        )
    return points


def as_masks(masks, n, device):
    """Return survivor masks as a bool tensor, checked against ``n`` workers.

    Parameters
    ----------
    masks : array-like of bool, shape (T, n)
        ``True`` where worker n answered.
    n : int
        Number of workers (the length of ``beta``).
    device : torch.device

    Returns
    -------
    torch.Tensor, shape (T, n), bool

    Raises
    ------
    ValueError
        If the masks are not boolean, not 2-D, of another length than ``n``,
        or leave fewer than 2 survivors in some pattern.
    """
    masks = torch.as_tensor(masks)
    if masks.dtype != torch.bool:
        raise ValueError(
            f"masks must be boolean (True = survivor), got dtype {masks.dtype}; "
            "convert with masks.astype(bool) or masks.bool()."
        )
    if masks.ndim != 2:
        raise ValueError(
            f"masks must have shape (T, N) with N = len(beta) = {n}, got shape "
            f"{tuple(masks.shape)}; for a single pattern pass masks[None]."
        )
    if masks.shape[1] != n:
        raise ValueError(
            f"masks have length {masks.shape[1]} but beta has N = {n} workers; "
            "each mask needs one entry per worker."
        )
    survivors = masks.sum(dim=1)
    if (survivors < 2).any():
        rows = torch.nonzero(survivors < 2).flatten().tolist()
        raise ValueError(
            f"masks rows {rows[:10]} leave fewer than 2 survivors; the decoder "
            "needs at least 2 surviving workers (use fewer stragglers S <= N - 2)."
        )
    return masks.to(device)


def as_values(values, mask_shape, device, dtype=torch.float64):
    """Return worker outputs as a float tensor of shape (T, N, p).

    Parameters
    ----------
    values : array-like, shape (T, N, p) or (N, p)
        Worker outputs; a 2-D array is shared by all T masks.
    mask_shape : tuple of int
        ``(T, N)``, the shape of the survivor masks.
    device : torch.device
    dtype : torch.dtype

    Raises
    ------
    ValueError
        If the shape does not fit the masks.
    """
    values = torch.as_tensor(values).to(device=device, dtype=dtype)
    count, n = mask_shape
    if values.ndim == 2:
        values = values.expand(count, *values.shape)
    if values.ndim != 3 or values.shape[:2] != (count, n):
        raise ValueError(
            f"values must have shape (T, N, p) = ({count}, {n}, p) or (N, p), "
            f"got {tuple(values.shape)}; put one row per worker."
        )
    return values


def check_lam(lam, name):
    """Return ``lam`` as a float after checking it is finite and non-negative.

    Raises
    ------
    ValueError
        If ``lam`` is negative, NaN or infinite.
    """
    lam = float(lam)
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(
            f"{name} must be a finite number >= 0, got {lam}; 0 interpolates, "
            "larger values smooth more."
        )
    return lam
