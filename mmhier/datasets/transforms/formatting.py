# Copyright (c) mmhier contributors. All rights reserved.
from mmseg.datasets.transforms import PackSegInputs

from mmhier.registry import TRANSFORMS

#: mmseg's default meta keys plus ``dataset_name``, which the hierarchical
#: loss (per-(dataset, classifier) switches) and the per-dataset metric read
#: from ``data_sample.metainfo``.
HIER_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
                  'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                  'reduce_zero_label', 'dataset_name')


@TRANSFORMS.register_module()
class PackHierSegInputs(PackSegInputs):
    """mmseg ``PackSegInputs`` whose default ``meta_keys`` also carry
    ``dataset_name`` (equivalent to ``PackSegInputs(meta_keys=
    HIER_META_KEYS)``). Raises if a result has no ``dataset_name``: a sample
    of unknown origin would silently escape the per-dataset loss switches
    and evaluation.

    Args:
        meta_keys (Sequence[str]): Keys copied into the data sample's
            metainfo. Defaults to :data:`HIER_META_KEYS`.
    """

    def __init__(self, meta_keys=HIER_META_KEYS) -> None:
        super().__init__(meta_keys=tuple(meta_keys))

    def transform(self, results: dict) -> dict:
        if 'dataset_name' in self.meta_keys and \
                'dataset_name' not in results:
            raise KeyError(
                f'{results.get("img_path")}: no `dataset_name` in the '
                'results; use an mmhier dataset (it adds one to every '
                'sample)')
        return super().transform(results)
