# Copyright (c) mmhier contributors. All rights reserved.
"""Test-time augmentation that merges leaf log-probabilities, then decides.

mmseg's ``SegTTAModel`` averages ``softmax(seg_logits)`` of the views and takes
the argmax. With the hierarchical head's greedy rule (Meletis & Dubbelman, IEEE
IV 2018, Sec. III-C) ``seg_logits`` is already the log of a one-hot decision
per view, so that average is a vote between decisions. Here every view is
predicted with the head's ``decision`` set to ``'soft'`` (leaf
log-probabilities, resized to the input by mmseg), the views' leaf
log-probabilities are averaged (for a flat model: ``log_softmax`` of its
logits), and the head's decision rule (``decode_head.decide``, the configured
one) is applied once, to the merged map.

Mirrored views suit classes that look alike in a mirror, not GTSDB's signs:
a mirrored 'dangerous curve left' is a 'dangerous curve right', and the
sign classifier, trained without flips, never saw mirrored glyphs. With
``unflipped_classifiers`` every view's leaf log-probabilities are split back
into each classifier's own log-softmax
(:meth:`HierarchicalDecodeHead.slot_log_probs`), the named classifiers are
averaged over the unmirrored views only, the others over all views (each
renormalised), and the leaf log-probabilities are put back together along
the tree.
"""
from contextlib import contextmanager
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import SegTTAModel
from mmseg.structures import SegDataSample
from mmseg.utils import SampleList

from mmhier.registry import MODELS


@contextmanager
def soft_decision(head):
    """Let ``head`` (if it has a ``decision`` rule) return leaf
    log-probabilities inside the block."""
    if getattr(head, 'decision', None) is None:
        yield
        return
    decision, head.decision = head.decision, 'soft'
    try:
        yield
    finally:
        head.decision = decision


@MODELS.register_module()
class HierSegTTAModel(SegTTAModel):
    """Flip / multi-scale test-time augmentation for hierarchical and flat
    segmentors (``tta_model = dict(type='HierSegTTAModel')``).

    Every view is predicted with the decision rule off; the merged
    ``seg_logits`` is the mean of the views' leaf log-probabilities (views
    are already flipped back and resized to the input by mmseg's
    ``EncoderDecoder.postprocess_result``), passed through
    ``decode_head.decide`` when the head has one. Each merged data sample
    keeps the metainfo (``dataset_name``, ``img_path``, ...) and the
    ground truth of its first view, so per-dataset metrics work unchanged.

    Args:
        unflipped_classifiers (Sequence[str], optional): Classifiers of the
            hierarchical head (tree node names, e.g. ``'traffic sign
            front'``) whose decision is merged from the unmirrored views
            only (see the module docstring). A flat model merges all views.
        **kwargs: ``SegTTAModel``'s (``module``, ...).
    """

    def __init__(self,
                 unflipped_classifiers: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.unflipped_classifiers = list(unflipped_classifiers or [])

    def test_step(self, data) -> SampleList:
        head = getattr(self.module, 'decode_head', None)
        with soft_decision(head):
            merged = super().test_step(data)
        if self.module.out_channels == 1:
            return merged
        for sample in merged:
            logp = sample.seg_logits.data
            if hasattr(head, 'decide'):
                logp = head.decide(logp[None])[0]
            sample.seg_logits = PixelData(data=logp)
            sample.pred_sem_seg = PixelData(
                data=logp.argmax(dim=0, keepdim=True))
        return merged

    def merge_preds(self,
                    data_samples_list: List[SampleList]) -> SampleList:
        """Mean leaf log-probability over the views of each image (the
        decision follows in :meth:`test_step`)."""
        if self.module.out_channels == 1:  # binary: mmseg's sigmoid vote
            return super().merge_preds(data_samples_list)
        # the hierarchical head's outputs are leaf log-probabilities already
        hierarchical = hasattr(self.module.decode_head, 'decide')
        unflipped_slots = self._unflipped_slots() if hierarchical else []
        merged = []
        for views in data_samples_list:
            if unflipped_slots:
                logp = self._merge_mirror_aware(views, unflipped_slots)
            else:
                logp = torch.stack([
                    view.seg_logits.data if hierarchical else F.log_softmax(
                        view.seg_logits.data, dim=0) for view in views
                ]).mean(dim=0)
            sample = SegDataSample(metainfo=views[0].metainfo)
            sample.seg_logits = PixelData(data=logp)
            if 'gt_sem_seg' in views[0]:
                sample.gt_sem_seg = views[0].gt_sem_seg
            merged.append(sample)
        return merged

    def _unflipped_slots(self) -> List[int]:
        """Global slot indices of ``unflipped_classifiers``."""
        head = self.module.decode_head
        names = list(head.tree.classifier_names)
        slots = []
        for name in self.unflipped_classifiers:
            if name not in names:
                raise KeyError(
                    f'HierSegTTAModel: unflipped_classifiers names '
                    f'{name!r}, not a classifier of the tree '
                    f'{head.tree.source}; its classifiers: {names}')
            slots += list(head.classifier_slots[names.index(name)])
        return slots

    def _merge_mirror_aware(self, views: SampleList,
                            unflipped_slots: List[int]) -> torch.Tensor:
        """Mean of every classifier's log-softmax over the views (the
        ``unflipped_slots`` over the unmirrored views only), renormalised
        per classifier, back to leaf log-probabilities."""
        head = self.module.decode_head
        slots = torch.stack([
            head.slot_log_probs(view.seg_logits.data[None])[0]
            for view in views
        ])
        mean = slots.mean(dim=0)
        keep = [
            i for i, view in enumerate(views)
            if not view.metainfo.get('flip', False)
        ]
        if keep:
            mean[unflipped_slots] = slots[keep][:, unflipped_slots].mean(
                dim=0)
        # the head's leaf_log_probs renormalises each classifier (its
        # segment-wise log-softmax), so the leaves put back together are a
        # tree softmax again
        return head.leaf_log_probs(mean[None])[0]
