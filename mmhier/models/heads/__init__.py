# Copyright (c) mmhier contributors. All rights reserved.
from .hierarchical_head import HierarchicalDecodeHead  # noqa: F401
from .hybrid_upsample import HybridUpsample  # noqa: F401
