# Copyright (c) mmhier contributors. All rights reserved.
from .hier_seg_tta import HierSegTTAModel

__all__ = ['HierSegTTAModel']
