# Copyright (c) mmhier contributors. All rights reserved.
"""Test-only instrumentation for ``tests/test_tools/test_ddp_equivalence.py``.

Imported by the test configs in ``tests/data/configs/`` through
``custom_imports`` (the test puts ``tests/data`` on ``PYTHONPATH``; a
``tests`` package in site-packages shadows ours, so it is not imported as
``tests.data``).

- :class:`DDPRecordHook` writes ``<work_dir>/ddp_record.json`` (rank 0) with,
  per training iteration and per rank, the image paths of the local batch,
  its number of labelled (non-255) pixels (segmentation) and the local loss
  values, gathered
  with ``all_gather_object``; and ``<work_dir>/init_weights.pth`` before the
  first iteration. MMEngine logs rank 0's *local* loss only, so the rank
  means written here are what compares with a one-process run.
- :class:`FillIgnoredLabels` (transform) writes one node's code into the
  ignored (255) pixels of ``gt_seg_map``, so every pixel is labelled and every
  rank's loss has the same normaliser (see the test's docstring).
- :class:`CountingLocalBackend` (file backend ``'ddp_test_counting'``) is a
  ``LocalBackend`` that appends ``"<rank> <path>"`` to
  ``<dir of path>/writes.log`` for every file it writes, so the test sees how
  many processes wrote each checkpoint.
"""
import json
import os
import os.path as osp

import torch
from mmengine.dist import all_gather_object, get_rank, is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import Hook

from mmcv.transforms import BaseTransform

from mmhier.registry import HOOKS, TRANSFORMS
from mmhier.taxonomy import LabelTree
from mmhier.utils import unwrap_model


@TRANSFORMS.register_module(force=True)
class FillIgnoredLabels(BaseTransform):
    """Label the ignored pixels of ``gt_seg_map`` with one node of the tree.

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        node (str): Name of the node whose (per-pixel) code is written.
        ignore_index (int): Defaults to 255.
    """

    def __init__(self, taxonomy, node: str, ignore_index: int = 255) -> None:
        self.code = LabelTree.build(taxonomy).node_id(node)
        self.ignore_index = ignore_index

    def transform(self, results: dict) -> dict:
        seg = results['gt_seg_map'].copy()
        seg[seg == self.ignore_index] = self.code
        results['gt_seg_map'] = seg
        return results


@register_backend('ddp_test_counting', force=True)
class CountingLocalBackend(LocalBackend):
    """LocalBackend that logs which rank wrote which file."""

    def _log(self, filepath) -> None:
        filepath = str(filepath)
        with open(osp.join(osp.dirname(filepath), 'writes.log'), 'a') as f:
            f.write(f'{get_rank()} {osp.basename(filepath)}\n')

    def put(self, obj, filepath) -> None:
        self._log(filepath)
        super().put(obj, filepath)

    def put_text(self, obj, filepath, encoding='utf-8') -> None:
        self._log(filepath)
        super().put_text(obj, filepath, encoding)


@HOOKS.register_module(force=True)
class DDPRecordHook(Hook):
    """Record per-rank batches and losses (see module docstring).

    Args:
        ignore_index (int): Label code not counted as labelled.
            Defaults to 255.
    """

    priority = 'LOWEST'

    def __init__(self, ignore_index: int = 255) -> None:
        self.ignore_index = ignore_index
        self.records = []

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        if is_main_process():
            torch.save(model.state_dict(),
                       osp.join(runner.work_dir, 'init_weights.pth'))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        samples = data_batch['data_samples']
        local = dict(
            rank=get_rank(),
            img_paths=[osp.basename(s.img_path) for s in samples],
            losses={k: float(v) for k, v in (outputs or {}).items()})
        if all('gt_sem_seg' in s for s in samples):  # segmentation
            local['labelled_pixels'] = int(
                sum((s.gt_sem_seg.data != self.ignore_index).sum()
                    for s in samples))
        gathered = all_gather_object(local)
        if is_main_process():
            self.records.append(
                dict(iter=runner.iter + 1,
                     ranks=sorted(gathered, key=lambda r: r['rank'])))

    def after_train(self, runner) -> None:
        if is_main_process():
            with open(osp.join(runner.work_dir, 'ddp_record.json'), 'w') as f:
                json.dump(
                    dict(world_size=int(os.environ.get('WORLD_SIZE', 1)),
                         iters=self.records), f)
