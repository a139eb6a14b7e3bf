# Copyright (c) mmhier contributors. All rights reserved.
import os.path as osp
import re
from typing import List

from mmhier.registry import DATASETS
from .base_reid import BaseReIDDataset, ReIDRecord


@DATASETS.register_module()
class MSMT17Dataset(BaseReIDDataset):
    """MSMT17 (Wei et al., CVPR 2018), V1 layout.

    ``data_root`` (``MSMT17_V1``) holds ``train/`` and ``test/`` image
    folders and the list files ``list_train.txt``, ``list_val.txt``,
    ``list_query.txt``, ``list_gallery.txt`` with lines
    ``<pid folder>/<name>.jpg <pid>``, names
    ``PPPP_III_CC_<date><time>_NNNN_N.jpg`` (camera ``CC`` in 1..15).
    The person id is the list's label; the camera comes from the name. As in
    the authors' code the training split is ``list_train`` + ``list_val``
    (32,621 images, 1,041 ids).

    See :class:`BaseReIDDataset` for the items.
    """

    NUM_CAMERAS = 15
    SUBSET_LISTS = dict(
        train=(('list_train.txt', 'train'), ('list_val.txt', 'train')),
        query=(('list_query.txt', 'test'), ),
        gallery=(('list_gallery.txt', 'test'), ))
    NAME_PATTERN = re.compile(r'^(\d+)_(\d+)_(\d+)_')

    def parse_subset(self, subset: str) -> List[ReIDRecord]:
        records = []
        for list_name, folder in self.SUBSET_LISTS[subset]:
            list_file = osp.join(self.data_root, list_name)
            if not osp.isfile(list_file):
                raise FileNotFoundError(
                    f'MSMT17Dataset: list file {list_file!r} does not exist; '
                    f'check `data_root` (= {self.data_root!r}) in the '
                    'config: it must be the MSMT17_V1 folder')
            with open(list_file) as f:
                for line_no, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    fields = line.split()
                    source = f'{list_file}:{line_no}'
                    if len(fields) != 2 or not fields[1].lstrip('-').isdigit():
                        raise ValueError(
                            'MSMT17Dataset: expected "<path> <pid>" at '
                            f'{source}, got {line.strip()!r}')
                    match = self.NAME_PATTERN.match(osp.basename(fields[0]))
                    if match is None:
                        raise ValueError(
                            'MSMT17Dataset: cannot parse the camera id from '
                            f'image name {fields[0]!r} at {source}')
                    camid = self.check_camera(
                        int(match.group(3)), self.NUM_CAMERAS, source)
                    records.append((osp.join(self.data_root, folder,
                                             fields[0]), int(fields[1]),
                                    camid))
        return records
