# Copyright (c) mmhier contributors. All rights reserved.
"""Common base of the datasets whose labels live in a taxonomy's node space."""
import inspect
from typing import List, Optional

import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset

from mmhier.registry import DATASETS, TRANSFORMS
from mmhier.taxonomy import LabelTree
from .data_paths import check_data_paths


def with_taxonomy(cfg, tree):
    """Give a transform / dataset config the ``taxonomy`` it lacks.

    A config dict whose registered class takes a ``taxonomy`` argument and
    does not set one gets ``tree``, the way MMEngine fills ``default_args``:
    a dataset config names its tree once and its pipeline follows (an
    explicit ``taxonomy=`` in a transform is kept). The ``transforms`` of a
    wrapper (``TestTimeAug``, ``RandomChoice``...) get it too. Anything else
    is returned unchanged.
    """
    if isinstance(cfg, dict) and isinstance(cfg.get('transforms'), list):
        cfg = dict(
            cfg,
            transforms=[
                [with_taxonomy(t, tree) for t in item] if isinstance(
                    item, list) else with_taxonomy(item, tree)
                for item in cfg['transforms']
            ])
    if not isinstance(cfg, dict) or 'taxonomy' in cfg or \
            not isinstance(cfg.get('type'), (str, type)):
        return cfg
    cls = cfg['type']
    if isinstance(cls, str):
        cls = TRANSFORMS.get(cls) or DATASETS.get(cls)
    if cls is None or 'taxonomy' not in inspect.signature(cls).parameters:
        return cfg
    return dict(cfg, taxonomy=tree)


@DATASETS.register_module()
class HierBaseSegDataset(BaseSegDataset):
    """mmseg ``BaseSegDataset`` tied to one dataset entry of a label tree.

    Every ``data_info`` carries ``dataset_name``; the loading transforms
    (:class:`LoadHierAnnotations`, :class:`BoxToMask`) look its raw-id ->
    code table up in the tree, and :class:`PackHierSegInputs` puts it into
    the data sample's metainfo for the hierarchical loss and the
    per-dataset metric.

    ``metainfo``: ``classes`` / ``palette`` are the tree's *leaves* (what the
    model predicts, so mmseg's visualiser and ``IoUMetric`` work on the
    predictions), plus ``dataset_name``, ``annotation`` (``'pixel'`` or
    ``'box'``) and ``eval_classes`` (the dataset's own label space).

    Transforms of ``pipeline`` that take a ``taxonomy`` argument
    (:class:`LoadHierAnnotations`, :class:`BoxToMask`) get this dataset's
    tree unless their config sets one (see :func:`with_taxonomy`).

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        dataset_name (str): Key of the dataset in the tree's ``datasets``.
        check_files (bool): Check at construction that every label file
            exists (error names the first missing one). Defaults to True.
        **kwargs: ``BaseSegDataset`` arguments (``data_root``,
            ``data_prefix``, ``img_suffix``, ``seg_map_suffix``,
            ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 taxonomy,
                 dataset_name: str,
                 metainfo: Optional[dict] = None,
                 check_files: bool = True,
                 **kwargs) -> None:
        self.tree = LabelTree.build(taxonomy)
        info = self.tree.dataset_info(dataset_name)  # raises if unknown
        self.dataset_name = dataset_name
        self.annotation = info['annotation']
        self.check_files = check_files
        meta = dict(
            self.tree.metainfo(),
            eval_classes=tuple(self.tree.dataset_eval_classes(dataset_name)))
        meta.update(metainfo or {})
        kwargs['pipeline'] = [
            with_taxonomy(t, self.tree) for t in kwargs.get('pipeline', [])
        ]
        super().__init__(metainfo=meta, **kwargs)
        # set after BaseDataset._load_metainfo, which would try to open
        # string values as files
        self._metainfo.update(
            dataset_name=dataset_name, annotation=self.annotation)

    def check_data_paths(self) -> None:
        """Raise naming this dataset, the path and the config key
        (``data_root`` / ``data_prefix.*`` / ``ann_file``) if a data folder
        or file is missing (see :mod:`mmhier.datasets.data_paths`)."""
        paths = {f'data_prefix.{k}': v for k, v in self.data_prefix.items()}
        paths['ann_file'] = self.ann_file
        check_data_paths(f'{type(self).__name__} ({self.dataset_name})',
                         self.data_root, paths,
                         backend_args=self.backend_args)

    def load_data_list(self) -> List[dict]:
        self.check_data_paths()
        data_list = super().load_data_list()
        if not data_list:
            raise FileNotFoundError(
                f'{type(self).__name__} ({self.dataset_name}): no image '
                f'ending in {self.img_suffix!r} under '
                f'{self.data_prefix.get("img_path")}')
        for info in data_list:
            info['dataset_name'] = self.dataset_name
            seg_map = info.get('seg_map_path')
            if self.check_files and seg_map is not None and \
                    not fileio.exists(seg_map, backend_args=self.backend_args):
                raise FileNotFoundError(
                    f'{info["img_path"]}: label map {seg_map} not found')
        return data_list
