"""Cross-field checks of the workflow config.

The JSON schema ``workflow/schemas/config.schema.yaml`` holds every type, bound,
enum and default. What it cannot say is how two keys must relate; those rules
live here and run right after schema validation (``workflow/rules/common.smk``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

#: Fewest workers that must answer: the decoders need two points.
MIN_SURVIVORS = 2


def check_config(config: Mapping[str, Any]) -> None:
    """Check the relations between config keys that the schema cannot express.

    Parameters
    ----------
    config : mapping
        The config after schema validation (defaults filled in).

    Raises
    ------
    ValueError
        If ``synthetic.K`` exceeds an entry of ``synthetic.N`` (a code needs at
        least as many workers as inputs), or if ``synthetic.S`` leaves fewer
        than two survivors for an entry of ``synthetic.N``. The message quotes
        the key, the value and how to fix it.
    """
    synthetic = config["synthetic"]
    K, S, Ns = synthetic["K"], synthetic["S"], synthetic["N"]

    too_few_workers = [N for N in Ns if N < K]
    if too_few_workers:
        raise ValueError(
            f"synthetic.N = {list(Ns)} contains {too_few_workers}, fewer workers "
            f"than synthetic.K = {K} inputs; make every entry of synthetic.N at "
            f"least {K}, or lower synthetic.K."
        )

    too_many_stragglers = [N for N in Ns if N - S < MIN_SURVIVORS]
    if too_many_stragglers:
        raise ValueError(
            f"synthetic.S = {S} leaves fewer than {MIN_SURVIVORS} survivors for "
            f"synthetic.N entries {too_many_stragglers}; lower synthetic.S to at "
            f"most {min(too_many_stragglers) - MIN_SURVIVORS}, or drop those N."
        )
    logger.debug("config passed cross-field checks")
