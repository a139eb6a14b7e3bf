# Copyright (c) mmhier contributors. All rights reserved.
from .cluster_pseudo_label_hook import ClusterPseudoLabelHook
from .mean_net_hook import MeanNetHook
from .pruning_hook import PruningHook

__all__ = ['ClusterPseudoLabelHook', 'MeanNetHook', 'PruningHook']
