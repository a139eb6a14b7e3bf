# Copyright (c) mmhier contributors. All rights reserved.
from .hier_metric import (HierIoUMetric, confusion_matrix,  # noqa: F401
                          hier_confusion, scores_from_confusion)
from .reid_metric import ReIDMetric, reid_rank_metrics  # noqa: F401
from .multi_dataset_metric import MultiDatasetHierMetric  # noqa: F401
