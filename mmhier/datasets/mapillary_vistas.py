# Copyright (c) mmhier contributors. All rights reserved.
import json
import os.path as osp
from typing import Optional

import mmengine.fileio as fileio

from mmhier.registry import DATASETS
from .base_hier_dataset import HierBaseSegDataset


def _norm(name: str) -> str:
    return ' '.join(str(name).split()).casefold()


@DATASETS.register_module()
class HierMapillaryVistasDataset(HierBaseSegDataset):
    """Mapillary Vistas v1.2 in its official layout, mapped into node space::

        data/mapillary_vistas/
          config_v1.2.json
          {training,validation}/images/<key>.jpg
          {training,validation}/v1.2/labels/<key>.png   (palette PNG, ids)

    At construction the label list of ``config_v1.2.json`` (66 entries in
    v1.2: 65 classes + ``unlabeled``) is checked against the tree's entry:
    same number of ids, and each id's ``readable`` (or ``name``) equal to
    the class name the tree gives it. A tree written for another Vistas
    version fails here instead of silently mislabelling pixels.

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        dataset_name (str): Defaults to ``'mapillary_vistas'``.
        config_file (str, optional): Label list json; relative paths are
            joined to ``data_root``. None skips the check. Defaults to
            ``'config_v1.2.json'``.
        img_suffix (str): Defaults to ``'.jpg'``.
        seg_map_suffix (str): Defaults to ``'.png'``.
        **kwargs: See :class:`HierBaseSegDataset`; typically
            ``data_prefix=dict(img_path='training/images',
            seg_map_path='training/v1.2/labels')``.
    """

    def __init__(self,
                 taxonomy,
                 dataset_name: str = 'mapillary_vistas',
                 config_file: Optional[str] = 'config_v1.2.json',
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        self.config_file = config_file
        super().__init__(
            taxonomy=taxonomy,
            dataset_name=dataset_name,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)

    def full_init(self) -> None:
        if not self._fully_initialized:
            self.check_data_paths()
            self.check_label_config()
        super().full_init()

    def check_label_config(self) -> None:
        """Compare ``config_v1.2.json`` with the tree's label list."""
        if self.config_file is None:
            return
        path = self.config_file
        if self.data_root is not None and not osp.isabs(path):
            path = osp.join(self.data_root, path)
        try:
            text = fileio.get_text(path, backend_args=self.backend_args)
            labels = json.loads(text)['labels']
        except FileNotFoundError:
            raise FileNotFoundError(
                f'Vistas label list {path} not found (set config_file=None '
                'to skip the check)') from None
        except (KeyError, ValueError) as err:
            raise ValueError(f'{path}: not a Vistas config file '
                             f'(no readable "labels" list): {err}') from None
        tree_names = self.tree.dataset_info(self.dataset_name)['class_names']
        if len(labels) != len(tree_names):
            raise ValueError(
                f'{path}: {len(labels)} labels, but the tree '
                f'({self.tree.source}) declares {len(tree_names)} ids for '
                f'dataset {self.dataset_name!r}')
        for raw_id, (label, tree_name) in enumerate(zip(labels, tree_names)):
            if _norm(tree_name) not in (_norm(label.get('readable', '')),
                                        _norm(label.get('name', ''))):
                raise ValueError(
                    f'{path}: label id {raw_id} is {label.get("readable")!r} '
                    f'({label.get("name")!r}) but the tree '
                    f'({self.tree.source}) calls it {tree_name!r}')
