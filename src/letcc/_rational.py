"""Barycentric interpolation maps: Berrut's rational and Lagrange's polynomial."""

import torch


def berrut_weights(masks):
    """Berrut's first-form weights ``(-1)^i`` over the survivors of each mask.

    Parameters
    ----------
    masks : torch.Tensor, shape (T, n), bool

    Returns
    -------
    torch.Tensor, shape (T, n), float64
        ``+1, -1, +1, ...`` over the survivors in ascending order, 0 at
        stragglers.
    """
    rank = torch.cumsum(masks.to(torch.int64), dim=1) - 1
    sign = 1.0 - 2.0 * (rank % 2).to(torch.float64)
    return sign * masks


def lagrange_weights(nodes, masks):
    """Barycentric weights of polynomial interpolation through the survivors.

    Parameters
    ----------
    nodes : torch.Tensor, shape (n,)
    masks : torch.Tensor, shape (T, n), bool

    Returns
    -------
    torch.Tensor, shape (T, n)
        ``w_i = 1 / prod_{j in F, j != i} (t_i - t_j)``, each row divided by
        its largest magnitude (a common factor cancels in the barycentric
        formula and the rescaling avoids overflow), 0 at stragglers.
    """
    n = nodes.shape[0]
    gaps = nodes[:, None] - nodes[None, :]
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=nodes.device)
    log_gaps = torch.where(off_diagonal, gaps.abs(), 1.0).log()
    negative = (gaps < 0).to(nodes.dtype)

    survivors = masks.to(nodes.dtype)
    log_w = -(survivors @ log_gaps.T)
    sign = 1.0 - 2.0 * ((survivors @ negative.T) % 2)

    log_w = log_w.masked_fill(~masks, -torch.inf)
    log_w = log_w - log_w.max(dim=1, keepdim=True).values
    return sign * log_w.exp()


def barycentric_matrices(nodes, targets, weights):
    """Maps ``sum_i w_i v_i / (z - t_i) / sum_i w_i / (z - t_i)``, batched.

    Parameters
    ----------
    nodes : torch.Tensor, shape (n,)
    targets : torch.Tensor, shape (m,)
    weights : torch.Tensor, shape (T, n)
        Barycentric weights, 0 at nodes to leave out (stragglers).

    Returns
    -------
    torch.Tensor, shape (T, m, n)
        Rows sum to 1. A target that coincides with a node of nonzero weight
        takes that node's value exactly.
    """
    gaps = targets[:, None] - nodes[None, :]
    on_node = gaps == 0
    terms = weights[:, None, :] / torch.where(on_node, 1.0, gaps)
    terms = terms.masked_fill(on_node, 0.0)
    maps = terms / terms.sum(dim=2, keepdim=True)

    hit = on_node & (weights[:, None, :] != 0)
    exact = hit.any(dim=2, keepdim=True)
    return torch.where(exact, hit.to(maps.dtype), maps)
