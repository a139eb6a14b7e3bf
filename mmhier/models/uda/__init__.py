# Copyright (c) mmhier contributors. All rights reserved.
from .clustering import dbscan_jaccard, k_reciprocal_jaccard, kmeans
from .mmt import MMT
from .seg_view_augment import SegViewAugment

__all__ = [
    'MMT', 'SegViewAugment', 'kmeans', 'dbscan_jaccard',
    'k_reciprocal_jaccard'
]
