# Copyright (c) mmhier contributors. All rights reserved.
import copy
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset, ConcatDataset

from mmhier.registry import DATASETS
from mmhier.taxonomy import LabelTree
from .base_hier_dataset import with_taxonomy


@DATASETS.register_module()
class HierConcatDataset(ConcatDataset):
    """Concatenate datasets with different label spaces over one taxonomy.

    mmengine's ``ConcatDataset`` requires equal metainfo, but Cityscapes,
    Vistas and GTSDB differ (``dataset_name``, ``eval_classes``,
    ``annotation``...). What they share is the model's output space, the
    taxonomy's leaves, and that is the metainfo of the concatenation:
    ``classes`` / ``palette`` of the leaves (for mmseg's visualiser and
    metrics), ``dataset_names`` (one per source, in order) and
    ``source_sizes``. ``cumulative_sizes`` (from torch's ``ConcatDataset``)
    and ``datasets`` are what :class:`MultiSourceRatioSampler` reads.

    Args:
        datasets (Sequence[BaseDataset | dict]): The sources, in the order of
            the sampler's ``source_ratio``.
        taxonomy (str | dict | LabelTree, optional): The label tree; source
            configs without a ``taxonomy`` get it (and pass it on to their
            pipelines). Defaults to the ``tree`` of the first source.
        pipeline (list[dict], optional): How a plain image, one from none
            of the sources, is prepared (no annotation loaders): mmseg's
            ``MMSegInferencer`` reads it from ``test_dataloader.dataset.
            pipeline``. It is not applied to the sources, which keep their
            own; the dataset only stores it. Defaults to None.
        lazy_init (bool): See mmengine's ``ConcatDataset``. Defaults to False.
    """

    def __init__(self,
                 datasets: Sequence[Union[BaseDataset, dict]],
                 taxonomy=None,
                 pipeline: Optional[List[dict]] = None,
                 lazy_init: bool = False) -> None:
        self.pipeline = pipeline
        if taxonomy is not None:
            taxonomy = LabelTree.build(taxonomy)
        self.datasets: List[BaseDataset] = []
        for i, dataset in enumerate(datasets):
            if isinstance(dataset, dict):
                if taxonomy is not None:
                    dataset = with_taxonomy(dataset, taxonomy)
                dataset = DATASETS.build(dataset)
            if not isinstance(dataset, BaseDataset):
                raise TypeError(f'source {i} must be a dataset or a config '
                                f'dict, got {type(dataset).__name__}')
            self.datasets.append(dataset)
        if not self.datasets:
            raise ValueError('HierConcatDataset needs at least one dataset')
        if taxonomy is None:
            if not hasattr(self.datasets[0], 'tree'):
                raise ValueError(
                    'pass `taxonomy=`: the first source '
                    f'({type(self.datasets[0]).__name__}) has no label tree')
            taxonomy = self.datasets[0].tree
        self.tree = LabelTree.build(taxonomy)
        self.ignore_keys: List[str] = []
        self.dataset_names = [
            d.metainfo.get('dataset_name', type(d).__name__)
            for d in self.datasets
        ]
        self._metainfo = dict(
            self.tree.metainfo(), dataset_names=tuple(self.dataset_names))
        for name, d in zip(self.dataset_names, self.datasets):
            classes = d.metainfo.get('classes')
            if classes is not None and \
                    tuple(classes) != self._metainfo['classes']:
                raise ValueError(
                    f'source {name!r} predicts classes other than the leaves '
                    f'of the tree {self.tree.source}; build it with the same '
                    'taxonomy')
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        meta = copy.deepcopy(self._metainfo)
        if self._fully_initialized:
            meta['source_sizes'] = tuple(self.source_sizes)
        return meta

    @property
    def source_sizes(self) -> List[int]:
        """Number of samples of each source."""
        self.full_init()
        return [len(d) for d in self.datasets]

    def source_of(self, idx: int) -> Optional[str]:
        """``dataset_name`` of the source holding global index ``idx``."""
        source, _ = self._get_ori_dataset_idx(idx)
        return self.dataset_names[source]
