# Copyright (c) mmhier contributors. All rights reserved.
"""Tables derived from a label tree's structure for the per-level
read-outs (metrics, per-level inference, export)."""
import numpy as np


def level_ancestor_table(parent, level) -> np.ndarray:
    """``[num_nodes, depth]``: ancestor-or-self of each node at tree level
    ``d + 1`` (-1 where the node is above that level; the root's level 0 is
    not stored).

    Args:
        parent (Sequence[int]): Parent node id of every node (root: -1, node
            0).
        level (Sequence[int]): Level of every node (root 0).
    """
    parent = np.asarray(parent)
    level = np.asarray(level)
    num_nodes, depth = len(parent), int(level.max())
    table = np.full((num_nodes, depth), -1, np.int64)
    for n in range(num_nodes):
        a = n
        while a > 0:
            table[n, level[a] - 1] = a
            a = parent[a]
    return table
