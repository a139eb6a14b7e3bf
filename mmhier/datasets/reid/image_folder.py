# Copyright (c) mmhier contributors. All rights reserved.
"""Market-1501-style image-folder layout shared by Market-1501 and
DukeMTMC-reID: ``bounding_box_train/``, ``query/``, ``bounding_box_test/``
with person and camera ids encoded in the file names."""
import glob
import os.path as osp
import re
from typing import List, Optional

from .base_reid import BaseReIDDataset, ReIDRecord


class ImageFolderReIDDataset(BaseReIDDataset):
    """Re-ID dataset whose ids are parsed from ``<pid>_c<cam>...jpg`` names.

    Subclasses set ``NUM_CAMERAS`` (and may change ``SUBSET_DIRS`` /
    ``NAME_PATTERN``). The pattern is matched at the start of the *file name*
    (not the whole path, so a folder name cannot be parsed by accident).

    Args:
        data_root (str): Root folder holding the three subset folders.
        split (str): 'train', 'query', 'gallery' or 'test'.
        num_cameras (int, optional): Override ``NUM_CAMERAS`` (camera ids
            outside ``1..num_cameras`` are an error), e.g. for a Market-style
            folder recorded with 8 cameras. Defaults to None.
        **kwargs: See :class:`BaseReIDDataset`.
    """

    SUBSET_DIRS = dict(
        train='bounding_box_train', query='query', gallery='bounding_box_test')
    NAME_PATTERN = re.compile(r'^([-\d]+)_c(\d+)')
    NUM_CAMERAS = 0

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 num_cameras: Optional[int] = None,
                 **kwargs) -> None:
        self.num_cameras = num_cameras or self.NUM_CAMERAS
        super().__init__(data_root=data_root, split=split, **kwargs)

    def parse_subset(self, subset: str) -> List[ReIDRecord]:
        folder = osp.join(self.data_root, self.SUBSET_DIRS[subset])
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'{type(self).__name__}: folder {folder!r} does not exist; '
                f'check `data_root` (= {self.data_root!r}) in the config: it '
                'must hold ' + ', '.join(
                    f'{d}/' for d in self.SUBSET_DIRS.values()))
        records = []
        for img_path in glob.glob(osp.join(folder, '*.jpg')):
            match = self.NAME_PATTERN.match(osp.basename(img_path))
            if match is None:
                raise ValueError(
                    f'{type(self).__name__}: cannot parse person/camera id '
                    f'from image name {img_path!r} (expected '
                    f'{self.NAME_PATTERN.pattern!r})')
            pid, camid = int(match.group(1)), int(match.group(2))
            records.append((img_path, pid,
                            self.check_camera(camid, self.num_cameras,
                                              img_path)))
        return records
