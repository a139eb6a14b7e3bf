# Copyright (c) mmhier contributors. All rights reserved.
"""mmhier: hierarchical multi-dataset segmentation, Mutual Mean-Teaching,
structural pruning and large-batch training recipes for OpenMMLab.

Importing the package registers every component into mmhier's registries
(children of mmseg's, see :mod:`mmhier.registry`).
"""
import mmcv
import mmengine
from mmengine.utils import digit_version

from .version import __version__, version_info

MMCV_MIN, MMCV_MAX = '2.0.0rc4', '2.2.0'
MMENGINE_MIN, MMENGINE_MAX = '0.10.0', '1.0.0'

assert digit_version(MMCV_MIN) <= digit_version(mmcv.__version__) < \
    digit_version(MMCV_MAX), \
    f'mmcv=={mmcv.__version__} is used but incompatible. ' \
    f'Please install mmcv>={MMCV_MIN}, <{MMCV_MAX}.'
assert digit_version(MMENGINE_MIN) <= digit_version(mmengine.__version__) < \
    digit_version(MMENGINE_MAX), \
    f'mmengine=={mmengine.__version__} is used but incompatible. ' \
    f'Please install mmengine>={MMENGINE_MIN}, <{MMENGINE_MAX}.'

# Our registries are children of mmseg's. A child looks up its parents'
# already-registered modules only (it does not trigger the parents' lazy
# imports), so register mmseg's components first.
import mmseg.datasets  # noqa: E402,F401
import mmseg.engine  # noqa: E402,F401
import mmseg.evaluation  # noqa: E402,F401
import mmseg.models  # noqa: E402,F401
import mmseg.visualization  # noqa: E402,F401

from . import (apis, datasets, engine, evaluation, models,  # noqa: E402
               taxonomy, utils, visualization)

__all__ = [
    '__version__', 'version_info', 'apis', 'datasets', 'engine', 'evaluation',
    'models', 'taxonomy', 'utils', 'visualization'
]
