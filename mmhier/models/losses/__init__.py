# Copyright (c) mmhier contributors. All rights reserved.
from .label_smooth_ce import (LabelSmoothCrossEntropyLoss,  # noqa: F401
                              label_smooth_cross_entropy)
from .soft_entropy import SoftEntropyLoss, soft_cross_entropy  # noqa: F401
from .softmax_triplet import (SoftmaxTripletLoss,  # noqa: F401
                              SoftSoftmaxTripletLoss, batch_hard_mining,
                              pairwise_euclidean_distance,
                              soft_softmax_triplet_loss, softmax_triplet_loss)
from .tree_loss import TreeBoundLoss  # noqa: F401
from .hierarchical_loss import HierarchicalLoss, hierarchical_loss  # noqa
from .soft_hierarchical_loss import (SoftHierarchicalLoss,  # noqa: F401
                                     classifier_reach_probs,
                                     soft_hierarchical_loss)
