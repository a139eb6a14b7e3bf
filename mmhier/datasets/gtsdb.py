# Copyright (c) mmhier contributors. All rights reserved.
import os.path as osp
import warnings
from collections import defaultdict
from typing import Dict, List

import mmengine.fileio as fileio
from PIL import Image

from mmhier.registry import DATASETS
from .base_hier_dataset import HierBaseSegDataset


@DATASETS.register_module()
class GTSDBDataset(HierBaseSegDataset):
    """German Traffic Sign Detection Benchmark: ``*.ppm`` images + ``gt.txt``.

    The official layout (``FullIJCNN2013`` / ``TrainIJCNN2013`` /
    ``TestIJCNN2013``) holds the images and one ``gt.txt`` whose lines are
    ``00000.ppm;left;top;right;bottom;classId`` (inclusive pixel
    coordinates, ``classId`` 0..42). Every ``*.ppm`` of the image folder is a
    sample, also those without a line (images with no sign: all pixels are
    ignore, but they still pass through the network, as in the paper).

    Each ``data_info`` has ``instances = [dict(bbox=[left, top, right + 1,
    bottom + 1], bbox_label=classId)]`` (mmdet's pixel-edge convention),
    ``width``, ``height`` and ``dataset_name``; the pipeline is
    ``LoadImageFromFile -> LoadBoxAnnotations -> BoxToMask -> ...``.

    Bad input (the message names ``gt.txt`` and the line number): a line
    without 6 fields, a non-integer field, a class id the tree does not
    declare, ``right < left`` or ``bottom < top``, or an image named in the
    file that does not exist -> ``ValueError`` / ``FileNotFoundError``; a
    box reaching outside its image -> a warning, and the box is clipped.

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        dataset_name (str): Defaults to ``'gtsdb'``.
        ann_file (str): The ``gt.txt``, joined to ``data_root``. Defaults to
            ``'TrainIJCNN2013/gt.txt'``.
        data_prefix (dict): ``img_path`` is the image folder. Defaults to
            ``dict(img_path='TrainIJCNN2013')``.
        img_suffix (str): Defaults to ``'.ppm'``.
        **kwargs: See :class:`HierBaseSegDataset`.
    """

    def __init__(self,
                 taxonomy,
                 dataset_name: str = 'gtsdb',
                 ann_file: str = 'TrainIJCNN2013/gt.txt',
                 data_prefix: dict = dict(img_path='TrainIJCNN2013'),
                 img_suffix: str = '.ppm',
                 **kwargs) -> None:
        super().__init__(
            taxonomy=taxonomy,
            dataset_name=dataset_name,
            ann_file=ann_file,
            data_prefix=data_prefix,
            img_suffix=img_suffix,
            **kwargs)

    def _parse_gt(self, num_classes: int) -> Dict[str, List[tuple]]:
        """``gt.txt`` -> {image name: [(line number, box, class id)]}."""
        boxes = defaultdict(list)
        text = fileio.get_text(self.ann_file, backend_args=self.backend_args)
        for lineno, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            where = f'{self.ann_file}, line {lineno} ({line!r})'
            fields = line.split(';')
            if len(fields) != 6:
                raise ValueError(
                    f'{where}: expected 6 fields '
                    f'"image;left;top;right;bottom;classId", got '
                    f'{len(fields)}')
            try:
                left, top, right, bottom, class_id = map(int, fields[1:])
            except ValueError:
                raise ValueError(
                    f'{where}: left, top, right, bottom and classId must be '
                    'integers') from None
            if not 0 <= class_id < num_classes:
                raise ValueError(
                    f'{where}: class id {class_id} is outside 0..'
                    f'{num_classes - 1} of dataset {self.dataset_name!r}')
            if right < left or bottom < top:
                raise ValueError(
                    f'{where}: box has right < left or bottom < top')
            boxes[fields[0].strip()].append(
                (lineno, [left, top, right + 1, bottom + 1], class_id))
        return boxes

    def load_data_list(self) -> List[dict]:
        self.check_data_paths()
        img_dir = self.data_prefix.get('img_path', '')
        num_classes = len(
            self.tree.dataset_info(self.dataset_name)['class_names'])
        boxes = self._parse_gt(num_classes)
        images = sorted(
            fileio.list_dir_or_file(
                img_dir, list_dir=False, suffix=self.img_suffix,
                recursive=False, backend_args=self.backend_args))
        missing = sorted(set(boxes) - set(images))
        if missing:
            lineno = boxes[missing[0]][0][0]
            raise FileNotFoundError(
                f'{self.ann_file}, line {lineno}: image {missing[0]} not '
                f'found in {img_dir} ({len(missing)} missing image(s) in '
                'all)')
        if not images:
            raise FileNotFoundError(
                f'GTSDBDataset: no {self.img_suffix} image in {img_dir}')
        data_list = []
        for name in images:
            img_path = osp.join(img_dir, name)
            # PIL reads only the header here
            with Image.open(img_path) as img:
                width, height = img.size
            instances = []
            for lineno, (x1, y1, x2, y2), class_id in boxes.get(name, []):
                clipped = [
                    min(max(x1, 0), width), min(max(y1, 0), height),
                    min(max(x2, 0), width), min(max(y2, 0), height)
                ]
                if clipped != [x1, y1, x2, y2]:
                    warnings.warn(
                        f'{self.ann_file}, line {lineno}: box '
                        f'{[x1, y1, x2 - 1, y2 - 1]} reaches outside image '
                        f'{name} ({width}x{height}); clipped')
                instances.append(dict(bbox=clipped, bbox_label=class_id))
            data_list.append(
                dict(
                    img_path=img_path,
                    instances=instances,
                    width=width,
                    height=height,
                    dataset_name=self.dataset_name,
                    seg_fields=[],
                    reduce_zero_label=False))
        return data_list
