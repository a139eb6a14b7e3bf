# Copyright (c) mmhier contributors. All rights reserved.
"""Rank and world size of a sampler."""
from typing import Optional, Tuple

from mmengine.dist import get_dist_info


def sampler_rank_and_world_size(
        rank: Optional[int] = None,
        num_replicas: Optional[int] = None) -> Tuple[int, int]:
    """``(rank, world_size)`` a sampler shards for.

    As in torch's ``DistributedSampler``: ``rank`` / ``num_replicas`` when
    given (tests, or sharding by hand), else those of the default process
    group (``(0, 1)`` when not distributed).

    Raises:
        ValueError: If the rank is not in ``[0, world_size)``.
    """
    dist_rank, dist_world = get_dist_info()
    rank = dist_rank if rank is None else rank
    world_size = dist_world if num_replicas is None else num_replicas
    if not 0 <= rank < world_size:
        raise ValueError(f'rank {rank} is outside [0, {world_size})')
    return rank, world_size
