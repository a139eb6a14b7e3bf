# Copyright (c) mmhier contributors. All rights reserved.
from .clustering import dbscan_jaccard, k_reciprocal_jaccard, kmeans
from .mmt_base import BaseMutualMeanTeaching
from .mmt_reid import ReIDMutualMeanTeaching
from .mmt_seg import SegMutualMeanTeaching
from .pseudo_labels import confidence_pseudo_labels
from .seg_view_augment import SegViewAugment

__all__ = [
    'BaseMutualMeanTeaching', 'ReIDMutualMeanTeaching',
    'SegMutualMeanTeaching', 'SegViewAugment', 'confidence_pseudo_labels',
    'kmeans', 'dbscan_jaccard', 'k_reciprocal_jaccard'
]
