# Copyright (c) mmhier contributors. All rights reserved.
"""The exportable form of a segmentor: backbone, decode head and decision
rule as one ``nn.Module`` whose ``forward`` takes the normalised image batch
and returns plain tensors.

It computes exactly what the PyTorch path's ``whole`` inference computes
before post-processing (``EncoderDecoder.encode_decode``: features, head
output resized to the input size by ``BaseDecodeHead.predict_by_feat``, then
:meth:`~mmhier.models.heads.HierarchicalDecodeHead.decide`), and the
per-level read-out of
:meth:`~mmhier.models.heads.HierarchicalDecodeHead.predict_levels`:

* ``labels`` ``[B, H, W]`` int64: the class decided at every pixel (for a
  hierarchical head the greedy top-down leaf of Meletis & Dubbelman, IEEE IV
  2018, with ``decision='greedy'``, the leaf of largest path probability
  with ``'soft'``; for a flat head the argmax);
* ``levels`` ``[B, D, H, W]`` int64: the node decided at each tree level
  (-1 below the decided leaf): the greedy walk of the tree's classifiers
  (:func:`mmhier.taxonomy.decision.greedy_decision`), or for a flat head the
  ancestors of the predicted class in the config's ``taxonomy``;
* ``logprobs`` ``[B, C, H, W]`` float32: the head output before the
  decision, i.e. leaf log-probabilities for a hierarchical head and class
  logits for a flat one (what the PyTorch path stores in ``seg_logits`` with
  the soft rule).
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

#: names of the graph outputs, in the order they are returned
OUTPUT_NAMES = ('labels', 'levels', 'logprobs')
DECISIONS = ('greedy', 'soft')


def restore_original_size(seg_map: Tensor, padding: Sequence[int],
                          ori_shape: Sequence[int], meta: dict,
                          align_corners: bool) -> Tensor:
    """``EncoderDecoder.postprocess_result`` on one ``[1, C, H, W]`` map:
    crop ``padding`` (left, right, top, bottom), undo the test flip, resize
    to ``ori_shape`` (bilinear). Shared by the onnxruntime and the fast
    PyTorch backends."""
    pad_l, pad_r, pad_t, pad_b = padding
    _, _, h, w = seg_map.shape
    seg_map = seg_map[:, :, pad_t:h - pad_b, pad_l:w - pad_r]
    if meta.get('flip'):
        dims = (3, ) if meta.get('flip_direction') == 'horizontal' \
            else (2, )
        seg_map = seg_map.flip(dims=dims)
    return F.interpolate(
        seg_map,
        size=tuple(ori_shape),
        mode='bilinear',
        align_corners=align_corners)


def _hierarchical_head(head) -> bool:
    return hasattr(head, 'greedy_levels') and getattr(head, 'tree',
                                                      None) is not None


class SegmentorExportWrapper(nn.Module):
    """Whole-image inference of an mmseg/mmhier segmentor as plain tensors.

    Args:
        segmentor (nn.Module): An ``EncoderDecoder`` (from
            :func:`mmhier.apis.init_model`, pruned checkpoints included) with
            a :class:`~mmhier.models.heads.HierarchicalDecodeHead` or a flat
            head (the flat baseline's ``FCNHead``).
        decision (str, optional): ``'greedy'`` or ``'soft'`` for a
            hierarchical head; None takes the head's own. A flat head only
            has the argmax (``'soft'``).
        outputs (Sequence[str]): Any of :data:`OUTPUT_NAMES`, returned in
            this order.
    """

    def __init__(self,
                 segmentor: nn.Module,
                 decision: Optional[str] = None,
                 outputs: Sequence[str] = OUTPUT_NAMES) -> None:
        super().__init__()
        from mmhier.apis import unwrap_model
        segmentor = unwrap_model(segmentor)
        unknown = [o for o in outputs if o not in OUTPUT_NAMES]
        if unknown or not outputs or len(set(outputs)) != len(outputs):
            raise ValueError(f'outputs must be distinct names among '
                             f'{OUTPUT_NAMES}, got {list(outputs)}')
        head = segmentor.decode_head
        self.hierarchical = _hierarchical_head(head)
        if decision is None:
            decision = head.decision if self.hierarchical else 'soft'
        if decision not in DECISIONS:
            raise ValueError(f'decision must be one of {DECISIONS}, got '
                             f'{decision!r}')
        if not self.hierarchical and decision != 'soft':
            raise ValueError(
                f'{type(head).__name__} is a flat head: it has no tree of '
                "classifiers to walk, only decision='soft' (the argmax)")
        mode = (getattr(segmentor, 'test_cfg', None) or {}).get(
            'mode', 'whole')
        if mode != 'whole':
            raise ValueError(f"only test_cfg.mode='whole' exports; the "
                             f'model has {mode!r}')
        self.segmentor = segmentor
        self.decision = decision
        self.outputs = tuple(outputs)
        self.align_corners = bool(getattr(head, 'align_corners', False))
        if not self.hierarchical and 'levels' in self.outputs:
            self.register_buffer(
                'class_levels', self._flat_level_table(segmentor),
                persistent=False)

    @staticmethod
    def _flat_level_table(segmentor) -> Tensor:
        """``[C, D]``: node at each tree level of every flat class."""
        from mmhier.apis.hier_inference import class_to_node, model_taxonomy
        tree = model_taxonomy(segmentor)
        if tree is None:
            raise KeyError(
                'a flat model exports per-level decisions only when its '
                "config names a `taxonomy`; drop 'levels' from the outputs")
        coarse = segmentor.cfg.get('flat_coarse_nodes', [])
        table = tree.level_ancestor_table()
        return torch.from_numpy(table[class_to_node(tree, coarse)])

    @property
    def num_levels(self) -> int:
        """Number of tree levels ``D`` in the ``levels`` output."""
        if self.hierarchical:
            return int(self.segmentor.decode_head.max_depth)
        return int(self.class_levels.shape[1]) if hasattr(
            self, 'class_levels') else 0

    def forward(self, inputs: Tensor):
        """Normalised images ``[B, 3, H, W]`` -> the requested outputs (a
        tensor when one is requested, else a tuple)."""
        return self.decide(self.head_logits(inputs))

    def head_logits(self, inputs: Tensor) -> Tensor:
        """Backbone and head: ``[B, C, H, W]`` at the input size (the part
        worth running in reduced precision)."""
        head = self.segmentor.decode_head
        feats = self.segmentor.extract_feat(inputs)
        # BaseDecodeHead.predict_by_feat: to the (padded) input size
        return F.interpolate(
            head.forward(feats),
            size=inputs.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)

    def decide(self, logits: Tensor):
        """The decision rule on :meth:`head_logits`: the requested outputs
        (a tensor when one is requested, else a tuple)."""
        head = self.segmentor.decode_head
        out = dict(logprobs=logits)
        if self.hierarchical:
            levels, leaf = head.greedy_levels(logits)
            out['levels'] = levels
            out['labels'] = leaf if self.decision == 'greedy' else \
                logits.argmax(dim=1)
        else:
            out['labels'] = logits.argmax(dim=1)
            if 'levels' in self.outputs:
                out['levels'] = self.class_levels[out['labels']].permute(
                    0, 3, 1, 2)
        result = tuple(out[name] for name in self.outputs)
        return result[0] if len(result) == 1 else result
