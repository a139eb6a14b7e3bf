# Copyright (c) mmhier contributors. All rights reserved.
from .clustering import dbscan_jaccard, k_reciprocal_jaccard, kmeans
from .mmt import MMT

__all__ = ['MMT', 'kmeans', 'dbscan_jaccard', 'k_reciprocal_jaccard']
