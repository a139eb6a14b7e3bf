# Copyright (c) mmhier contributors. All rights reserved.
"""Common base of the person re-ID datasets (Market-1501, DukeMTMC-reID,
MSMT17): one split per dataset object, identities and cameras parsed from the
files, the standard train relabelling and junk handling."""
from abc import ABCMeta, abstractmethod
from typing import List, Tuple

from mmpretrain.datasets import BaseDataset

from ..data_paths import check_data_paths

#: A parsed image: (absolute image path, raw person id, 0-based camera id).
ReIDRecord = Tuple[str, int, int]


class BaseReIDDataset(BaseDataset, metaclass=ABCMeta):
    """Base class of the re-ID datasets.

    Every item of ``data_list`` has:

    - ``img_path``: absolute path of the image;
    - ``gt_label``: for ``split='train'`` the person id relabelled to
      ``0..P-1`` (sorted raw ids); otherwise the raw person id;
    - ``pid``: the raw person id; ``camid``: 0-based camera id;
    - ``is_query``: True for query images (``split='query'``, or the query
      part of ``split='test'``);
    - ``sample_idx``: added by MMEngine's ``get_data_info``.

    Junk images (raw pid -1, e.g. Market-1501's ``-1_c..`` boxes) are dropped
    from every split, as the standard protocol (the authors' code, Market's
    official evaluation) does; distractors (Market's pid 0, ``0000_c..``)
    stay in the gallery as negatives, since no query can match them.

    Args:
        data_root (str): Root folder of the dataset.
        split (str): 'train', 'query', 'gallery' or 'test' (query followed by
            gallery, the split :class:`mmhier.evaluation.ReIDMetric` needs).
        pipeline (Sequence): Data transforms.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``indices``, ``serialize_data``, ``lazy_init``, ...).
    """

    SPLITS = ('train', 'query', 'gallery', 'test')
    JUNK_PID = -1

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline=(),
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of '
                             f'{self.SPLITS}, got {split!r}')
        check_data_paths(type(self).__name__, data_root, {})
        self.split = split
        kwargs.setdefault('test_mode', split != 'train')
        super().__init__(
            ann_file='', data_root=data_root, pipeline=pipeline, **kwargs)

    @abstractmethod
    def parse_subset(self, subset: str) -> List[ReIDRecord]:
        """Read one of 'train', 'query', 'gallery' from disk.

        Subclasses implement their layout here and raise an error naming the
        file at fault when a name or a line does not parse.
        """

    def _load_subset(self, subset: str) -> List[ReIDRecord]:
        records = [r for r in self.parse_subset(subset)
                   if r[1] != self.JUNK_PID]
        if not records:
            raise ValueError(
                f'{type(self).__name__}: the {subset} set under '
                f'{self.data_root!r} is empty (no parsable images left after '
                'dropping junk)')
        return sorted(records)

    def load_data_list(self) -> List[dict]:
        """Build ``data_list`` for ``self.split``."""
        if self.split == 'test':
            parts = [(r, True) for r in self._load_subset('query')]
            parts += [(r, False) for r in self._load_subset('gallery')]
        else:
            parts = [(r, self.split == 'query')
                     for r in self._load_subset(self.split)]
        pid2label = None
        if self.split == 'train':
            pid2label = {
                pid: label
                for label, pid in enumerate(sorted({r[1] for r, _ in parts}))
            }
        data_list = []
        for (img_path, pid, camid), is_query in parts:
            data_list.append(
                dict(
                    img_path=img_path,
                    gt_label=pid2label[pid] if pid2label else pid,
                    pid=pid,
                    camid=camid,
                    is_query=is_query))
        return data_list

    @property
    def num_pids(self) -> int:
        """Number of distinct person ids in this split."""
        return len({self.get_data_info(i)['pid'] for i in range(len(self))})

    def check_camera(self, camid: int, num_cameras: int, source: str) -> int:
        """Return the 0-based camera id or raise naming ``source``."""
        if not 1 <= camid <= num_cameras:
            raise ValueError(
                f'{type(self).__name__}: camera id {camid} out of range '
                f'1..{num_cameras} in {source!r}')
        return camid - 1
