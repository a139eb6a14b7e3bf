# Copyright (c) mmhier contributors. All rights reserved.
"""Label encoding of mmhier's node-space segmentation maps.

This docstring is the one place where the encoding is defined; everything
else (datasets, transforms, the hierarchical loss and the metric) reads it
through :class:`~mmhier.taxonomy.LabelTree`.

Every training label, whatever dataset it comes from, is stored as a single
``uint8`` map whose values are *codes* of the taxonomy's node space. One map
per image means the stock mmseg ``Resize`` / ``RandomCrop`` / ``RandomFlip``
(nearest-neighbour on ``gt_seg_map``) keep it correct without any extra key.

=========================================  ================================
code                                       meaning
=========================================  ================================
``0``                                      the root: "some class" -- no
                                           information, treated as ignore
``1 <= code < num_nodes``                  per-pixel label of node ``code``
                                           (a leaf, or an internal node for
                                           a coarse label such as Cityscapes
                                           ``road`` -> ``driveable``)
``weak_offset <= code < weak_offset + W``  weak (box-derived) label of node
                                           ``weak_nodes[code - weak_offset]``
                                           with ``weak_offset = num_nodes``
``num_nodes + W <= code < 255``            unused (never produced)
``255`` (:data:`IGNORE_INDEX`)             ignore (void / unlabeled)
=========================================  ================================

``weak_nodes`` is the sorted list of the nodes that any dataset with
``annotation='box'`` maps a raw id to, and ``W = len(weak_nodes)``. Weak codes
are packed after the node ids instead of being ``offset + node id`` because
the paper's tree has 113 nodes and ``2 * 113 > 255``; with packing it needs
``113 + 43 = 156`` codes. A tree whose ``num_nodes + W`` exceeds
:data:`MAX_CODES` (255) is rejected when it is built.

A weak code means "this pixel lies in a box of class ``node``": it supervises
the classifiers on the path to ``node`` like the node's per-pixel code would,
but the hierarchical loss only keeps it where the parent classifier's
(detached) decision agrees (Meletis & Dubbelman, IV 2018, Sec. III-D).
"""
from typing import Sequence

import numpy as np

#: Code of an ignored pixel (mmseg's default ``ignore_index``).
IGNORE_INDEX = 255
#: Number of usable codes: ``0 .. 254`` (255 is :data:`IGNORE_INDEX`).
MAX_CODES = 255
#: Size of every code lookup table (one entry per ``uint8`` value).
NUM_CODE_VALUES = 256
#: Code of the root node; never a valid label.
ROOT_CODE = 0


def build_code_tables(num_nodes: int, weak_nodes: Sequence[int]):
    """Build the code -> node and code -> is-weak lookup tables.

    Args:
        num_nodes (int): Number of nodes of the tree (root included). It is
            also the first weak code (``weak_offset``).
        weak_nodes (Sequence[int]): Sorted node ids that have a weak code.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``code_to_node`` (int64, shape (256,),
        ``-1`` for ignore / unused codes and for the root code 0) and
        ``code_is_weak`` (bool, shape (256,)).
    """
    if num_nodes + len(weak_nodes) > MAX_CODES:
        raise ValueError(
            f'{num_nodes} nodes + {len(weak_nodes)} weak nodes = '
            f'{num_nodes + len(weak_nodes)} codes do not fit the uint8 '
            f'encoding (at most {MAX_CODES}, {IGNORE_INDEX} is ignore)')
    code_to_node = np.full(NUM_CODE_VALUES, -1, dtype=np.int64)
    code_to_node[1:num_nodes] = np.arange(1, num_nodes)
    weak_nodes = np.asarray(weak_nodes, dtype=np.int64)
    code_to_node[num_nodes:num_nodes + len(weak_nodes)] = weak_nodes
    code_is_weak = np.zeros(NUM_CODE_VALUES, dtype=bool)
    code_is_weak[num_nodes:num_nodes + len(weak_nodes)] = True
    return code_to_node, code_is_weak
