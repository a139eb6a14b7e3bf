# Copyright (c) mmhier contributors. All rights reserved.
r"""Hierarchical classification loss (Meletis & Dubbelman, IV 2018,
Sec. III-D).

Every classifier :math:`j` is trained on the pixels :math:`P_j` labelled
strictly inside its subtree, with the child on the label's path as target:

.. math::

    L_j = -\frac{1}{|P_j|} \sum_{p \in P_j} \log \sigma^j_{p, y^j_p},
    \qquad L = \sum_j \lambda_j L_j,
    \qquad P_j = P_j^{pixel} \cup P_j^{weak}.

:math:`P_j^{pixel}`: per-pixel labels. :math:`P_j^{weak}`: box-derived
(weak) labels, kept only where the *detached* decisions of the classifiers
above :math:`j` route the pixel to :math:`j` (the online refinement of
Fig. 3: "the decision of the parent classifier is intersected with the
pseudo ground truth"; the parent only decides the pixels its own parent
gave it, Sec. III-C, so the gate is the whole greedy path from the root,
``weak_gate='path'``; ``'parent'`` checks the parent's argmax alone). The
root classifier is never trained by weak pixels. The gate is its own
warm-up: no box pixel passes until the root has learnt the parent class
from per-pixel labels (``weak_pass.<classifier>`` logs the share that
passes). :math:`\lambda_j` is the level weight of classifier :math:`j`
(1.0 / 0.1 / 0.1 in the paper), stated by the tree file (see
:class:`~mmhier.models.losses.tree_loss.TreeBoundLoss`).
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from torch import Tensor

from mmhier.registry import MODELS
from mmhier.taxonomy import IGNORE_INDEX, LabelTree
from .tree_loss import TreeBoundLoss

OptionalTensors = Optional[Sequence[Optional[Tensor]]]


def hierarchical_loss(cls_logits: Union[Tensor, Sequence[Tensor]],
                      codes: Tensor,
                      target_lut: Tensor,
                      code_is_weak: Tensor,
                      classifier_sizes: Sequence[int],
                      parent_classifier: Sequence[int],
                      parent_slot: Sequence[int],
                      classifier_weights: Sequence[float],
                      image_mask: Optional[Tensor] = None,
                      use_weak: bool = True,
                      weak_gate: str = 'path',
                      label_smoothing: float = 0.0,
                      class_weights: OptionalTensors = None,
                      sparse_fraction: float = 0.25,
                      gate_stats: Optional[Dict[int, Tensor]] = None
                      ) -> List[Tensor]:
    """Functional core of :class:`HierarchicalLoss` (see module docstring).

    Args:
        cls_logits (Tensor | Sequence[Tensor]): Concatenated ``[B, S, H, W]``
            logits (split by ``classifier_sizes``) or a list with one
            ``[B, K_j, H, W]`` tensor per classifier. Classifiers are in BFS
            order (a parent before its children; index 0 = root).
        codes (Tensor): ``[B, H, W]`` long node-space label codes.
        target_lut (Tensor): ``[J, 256]`` long: the slot classifier ``j``
            must predict for a code (the child on the path to the code's
            node), -1 if the node is not strictly inside ``j``'s subtree
            (``LabelTree.classifier_target_lut``).
        code_is_weak (Tensor): ``[256]`` bool, codes of box-derived labels.
        classifier_sizes (Sequence[int]): Classes of each classifier.
        parent_classifier (Sequence[int]): Classifier index deciding each
            classifier's node (-1 for the root).
        parent_slot (Sequence[int]): Slot of each classifier's node in its
            parent classifier (-1 for the root).
        classifier_weights (Sequence[float]): :math:`\\lambda_j`.
        image_mask (Tensor, optional): ``[B, J]`` bool, False switches
            classifier ``j`` off for image ``b`` (per-dataset switches).
        use_weak (bool): Whether weak pixels count at all (warm-up).
        weak_gate (str): ``'path'``: every classifier from the root down
            must select the branch (the paper's routing: a classifier sees
            the pixels its ancestors' decisions send to it); ``'parent'``:
            only the parent classifier's argmax must. Defaults to ``'path'``.
        label_smoothing (float): Passed to ``F.cross_entropy``.
        class_weights (Sequence[Tensor | None], optional): Per classifier
            class weights (``[K_j]``) or None.
        sparse_fraction (float): A classifier whose valid pixels are fewer
            than this fraction of the map gathers them and runs the softmax
            on those only (same value, less work). Defaults to 0.25.
        gate_stats (dict, optional): If given, filled with ``{j: [passed,
            total]}`` (0-dim tensors) for every non-root classifier that has
            weak pixels inside its subtree: how many of them pass the gate.

    Returns:
        list[Tensor]: Weighted loss of each classifier (scalar). A classifier
        without valid pixels gives an exact 0 connected to the graph.
    """
    if weak_gate not in ('parent', 'path'):
        raise ValueError(f"weak_gate must be 'parent' or 'path', got "
                         f'{weak_gate!r}')
    if isinstance(cls_logits, Tensor):
        cls_logits = cls_logits.split(list(classifier_sizes), dim=1)
    num_cls = len(classifier_sizes)
    if len(cls_logits) != num_cls:
        raise ValueError(f'got logits of {len(cls_logits)} classifiers, '
                         f'expected {num_cls}')
    codes = codes.long().clamp(0, target_lut.shape[1] - 1)
    # Targets in F.cross_entropy's convention (-100 = not supervised). The
    # table drops weak codes; they are written back below at the weak pixels
    # whose gate opens, so the parents' argmax is only taken at those pixels.
    ignore = -100
    weak_col = code_is_weak.view(1, -1)
    lut = torch.where((target_lut < 0) | weak_col,
                      torch.full_like(target_lut, ignore), target_lut)
    weak_lin = None
    if use_weak:
        # linear indices of the weak pixels (usually a small fraction)
        weak_lin = code_is_weak[codes].view(-1).nonzero().squeeze(1)
        if weak_lin.numel() == 0:
            weak_lin = None
    gates: List[Optional[Tensor]] = [None] * num_cls
    if weak_lin is not None:
        weak_codes = codes.view(-1)[weak_lin]
        hw = codes.shape[1] * codes.shape[2]
        b, pix = weak_lin // hw, weak_lin % hw
        decisions = {}
        with torch.no_grad():
            for j in range(num_cls):
                p = parent_classifier[j]
                if p < 0:
                    # the root's own branch is always "selected"
                    gates[j] = torch.ones_like(weak_codes, dtype=torch.bool)
                    continue
                if p not in decisions:
                    # detached decision of the parent at the weak pixels
                    decisions[p] = cls_logits[p].flatten(2)[b, :,
                                                            pix].argmax(1)
                gate = decisions[p] == parent_slot[j]
                if weak_gate == 'path':
                    gate = gate & gates[p]
                gates[j] = gate
    # all classifiers' targets at once: [J, B, H, W]
    targets = lut[:, codes]
    if weak_lin is not None:
        flat = targets.view(num_cls, -1)
        for j in range(num_cls):
            if parent_classifier[j] < 0:
                continue  # the root is never trained by weak pixels
            weak_target = target_lut[j][weak_codes]
            if gate_stats is not None:
                inside = weak_target >= 0
                if bool(inside.any()):
                    gate_stats[j] = [(gates[j] & inside).sum(), inside.sum()]
            flat[j].index_copy_(
                0, weak_lin,
                torch.where(gates[j] & (weak_target >= 0), weak_target,
                            torch.full_like(weak_target, ignore)))
    if image_mask is not None:
        targets.masked_fill_(~image_mask.t()[:, :, None, None], ignore)
    valid = targets != ignore
    counts = valid.flatten(1).sum(1).tolist()  # one host sync
    num_pixels = codes.numel()
    hw = codes.shape[1] * codes.shape[2]
    losses = []
    for j, logits in enumerate(cls_logits):
        target = targets[j]
        if counts[j] < sparse_fraction * num_pixels:
            # few pixels inside this subtree (the usual case below the
            # root): gather them instead of a dense softmax over the image
            lin = valid[j].view(-1).nonzero().squeeze(1)
            logits = logits.flatten(2)[lin // hw, :, lin % hw]
            target = target.view(-1)[lin]
        # reduction='sum' over no valid pixel is an exact 0 that is still
        # connected to the graph (DDP sees every classifier's gradient)
        loss_sum = F.cross_entropy(
            logits,
            target,
            weight=None if class_weights is None else class_weights[j],
            ignore_index=ignore,
            reduction='sum',
            label_smoothing=label_smoothing)
        losses.append(loss_sum * (classifier_weights[j] / max(counts[j], 1)))
    return losses


def frequency_class_weights(counts: Tensor, power: float = 0.5,
                            max_weight: float = 10.0) -> Tensor:
    r"""Class weights from labelled-pixel counts, median-frequency style
    (Eigen & Fergus, "Predicting Depth, Surface Normals and Semantic Labels
    with a Common Multi-Scale Convolutional Architecture", ICCV 2015):

    .. math::

        w_c = \min\left(\left(\frac{\operatorname{median}_k f_k}{f_c}
        \right)^{p}, w_{max}\right), \quad \text{then scaled so that }
        \sum_c f_c w_c = 1,

    so the average weight of a pixel stays 1 (the loss keeps its scale) and
    a class ``(median / f)^p`` times rarer than the median class weighs that
    much more. Classes never seen yet get weight 1 before the scaling; with
    no counts at all every weight is 1.

    Args:
        counts (Tensor): ``[K]`` labelled pixels per class.
        power (float): :math:`p` (1 = median frequency balancing, 0.5 its
            square root). Defaults to 0.5.
        max_weight (float): :math:`w_{max}` (also ``1 / w_max`` is the
            least weight). Defaults to 10.

    Returns:
        Tensor: ``[K]`` float32 weights.
    """
    counts = counts.double()
    seen = counts > 0
    weights = torch.ones_like(counts)
    if seen.sum() == 0:
        return weights.float()
    freq = counts / counts.sum()
    median = freq[seen].median()
    weights[seen] = (median / freq[seen]).pow(power).clamp(
        1.0 / max_weight, max_weight)
    return (weights / (freq * weights).sum()).float()


@MODELS.register_module()
class HierarchicalLoss(TreeBoundLoss):
    """Registered module around :func:`hierarchical_loss`.

    The tree, the weights :math:`\\lambda_j` and the per-dataset switches
    (the tree file's ``skip_classifiers``, read from each data sample's
    ``metainfo['dataset_name']``) are read by :class:`TreeBoundLoss`; the
    tree comes from ``taxonomy`` or, when it is None, from the
    :class:`~mmhier.models.heads.HierarchicalDecodeHead` that owns this loss.

    Args:
        taxonomy (str | dict | LabelTree, optional): Tree, bound later by the
            head when None.
        node_weights (dict[str, float], optional): See
            :class:`TreeBoundLoss`.
        weak_warmup_iters (int): Weak pixels count only from this training
            iteration on (read from MMEngine's ``MessageHub`` info ``iter``;
            0 outside a runner). Defaults to 0.
        weak_gate (str): ``'path'`` or ``'parent'``, see
            :func:`hierarchical_loss`. Defaults to ``'path'``.
        label_smoothing (float): Defaults to 0.
        class_weights (dict[str, list[float]], optional): Per classifier
            class weights (one per child, slot order).
        class_balance (dict, optional): Rare-class balance from the data:
            ``dict(classifiers=[names], power=0.5, max_weight=10.0)``. The
            loss counts the per-pixel labels of each listed classifier seen
            in training so far (persistent buffers, so ``--resume`` goes on
            with the same counts) and weighs its classes with
            :func:`frequency_class_weights`. Meant for the root, whose rare
            classes (traffic sign: about 1% of the street pixels) it must
            learn from per-pixel labels alone before any box pixel of a sign
            class can pass the gate. Not with ``class_weights`` for the
            same classifier. Defaults to None.
        loss_weight (float): Global factor. Defaults to 1.0.
        loss_name (str): Prefix of the logged keys,
            ``<loss_name>.<classifier>``; must start with ``loss_``.
            Defaults to ``'loss_hier'``.
    """

    def __init__(self,
                 taxonomy=None,
                 node_weights: Optional[Dict[str, float]] = None,
                 weak_warmup_iters: int = 0,
                 weak_gate: str = 'path',
                 label_smoothing: float = 0.0,
                 class_weights: Optional[Dict[str, Sequence[float]]] = None,
                 class_balance: Optional[dict] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_hier') -> None:
        super().__init__(node_weights, loss_weight, loss_name)
        if weak_gate not in ('parent', 'path'):
            raise ValueError(f"weak_gate must be 'parent' or 'path', got "
                             f'{weak_gate!r}')
        self.weak_warmup_iters = weak_warmup_iters
        self.weak_gate = weak_gate
        self.label_smoothing = label_smoothing
        self.class_weights_cfg = dict(class_weights or {})
        self.class_balance = None
        if class_balance is not None:
            balance = dict(class_balance)
            unknown = set(balance) - {'classifiers', 'power', 'max_weight'}
            if unknown or not balance.get('classifiers'):
                raise KeyError('class_balance takes classifiers (a non-empty '
                               'list of names), power, max_weight; got '
                               f'{sorted(balance)}')
            balance.setdefault('power', 0.5)
            balance.setdefault('max_weight', 10.0)
            self.class_balance = balance
        self._bind_given(taxonomy)

    def _bind_tables(self, tree: LabelTree) -> None:
        """The target and weak-code tables as (non-persistent) buffers, the
        class weights and the class-balance counters."""
        names = list(tree.classifier_names)
        unknown = sorted(set(self.class_weights_cfg) - set(names))
        if unknown:
            raise KeyError(f'HierarchicalLoss class_weights names {unknown}, '
                           f'not classifiers of the taxonomy: {names}')
        # logged only: mmengine back-propagates keys containing 'loss'
        self.pass_keys = [
            f'weak_pass.{name.replace(" ", "_")}' for name in names
        ]
        self.register_buffer(
            'target_lut',
            torch.as_tensor(
                np.asarray(tree.classifier_target_lut()), dtype=torch.long),
            persistent=False)
        self.register_buffer(
            'code_is_weak',
            torch.as_tensor(np.asarray(tree.code_is_weak), dtype=torch.bool),
            persistent=False)
        self._balanced = []
        if self.class_balance is not None:
            for name in self.class_balance['classifiers']:
                if name not in names:
                    raise KeyError(f'HierarchicalLoss class_balance names '
                                   f'{name!r}, not a classifier: {names}')
                if name in self.class_weights_cfg:
                    raise ValueError(f'classifier {name!r} has both '
                                     'class_weights and class_balance')
                j = names.index(name)
                self.register_buffer(
                    f'pixel_counts_{j}',
                    torch.zeros(self.classifier_sizes[j],
                                dtype=torch.float64))
                self._balanced.append(j)
        self._class_weight_names = []
        for j, name in enumerate(names):
            if name not in self.class_weights_cfg:
                continue
            w = torch.as_tensor(self.class_weights_cfg[name],
                                dtype=torch.float32)
            if w.numel() != self.classifier_sizes[j]:
                raise ValueError(
                    f'class_weights[{name!r}] has {w.numel()} entries, the '
                    f'classifier has {self.classifier_sizes[j]} classes')
            self.register_buffer(f'class_weight_{j}', w, persistent=False)
            self._class_weight_names.append(j)

    def _pixel_label_counts(self, j: int, seg_label: Tensor) -> Tensor:
        """Per-pixel (not box-derived) labels of classifier ``j``'s classes
        in a batch."""
        codes = seg_label.long().clamp(0, self.target_lut.shape[1] - 1)
        target = self.target_lut[j][codes]
        target = target[(target >= 0) & ~self.code_is_weak[codes]]
        return torch.bincount(
            target, minlength=self.classifier_sizes[j]).double()

    def _use_weak(self) -> bool:
        if self.weak_warmup_iters <= 0:
            return True
        hub = MessageHub.get_current_instance()
        return hub.get_info('iter', 0) >= self.weak_warmup_iters

    def forward(self,
                cls_logits: Union[Tensor, Sequence[Tensor]],
                seg_label: Tensor,
                dataset_names: Optional[Sequence[Optional[str]]] = None,
                ignore_index: int = IGNORE_INDEX,
                **kwargs) -> Dict[str, Tensor]:
        """Args:
            cls_logits (Tensor | Sequence[Tensor]): ``[B, S, H, W]``
                concatenated logits or one ``[B, K_j, H, W]`` per classifier.
            seg_label (Tensor): ``[B, H, W]`` node-space codes
                (``ignore_index`` must be the encoding's ``IGNORE_INDEX``,
                255).
            dataset_names (Sequence[str | None], optional): Per image.

        Returns:
            dict[str, Tensor]: ``{'<loss_name>.<classifier>': loss}`` and,
            in training, ``weak_pass.<classifier>``: the share of the weak
            (box) pixels inside that classifier's subtree that pass the gate
            in this batch (logged, not back-propagated; absent when the
            batch has none).
        """
        self._check_bound()
        if ignore_index != IGNORE_INDEX:
            raise ValueError('HierarchicalLoss works on the node-space '
                             'encoding whose ignore code is '
                             f'{IGNORE_INDEX}, got '
                             f'ignore_index={ignore_index}')
        class_weights = None
        if self._class_weight_names or self._balanced:
            class_weights = [
                getattr(self, f'class_weight_{j}', None)
                for j in range(len(self.classifier_sizes))
            ]
            for j in self._balanced:
                counts = getattr(self, f'pixel_counts_{j}')
                if self.training:
                    counts += self._pixel_label_counts(j, seg_label)
                class_weights[j] = frequency_class_weights(
                    counts, self.class_balance['power'],
                    self.class_balance['max_weight']).to(seg_label.device)
        gate_stats = {} if self.training else None
        losses = hierarchical_loss(
            cls_logits,
            seg_label,
            self.target_lut,
            self.code_is_weak,
            self.classifier_sizes,
            self.parent_classifier,
            self.parent_slot,
            self.classifier_weights,
            image_mask=self.image_mask(dataset_names, seg_label.device),
            use_weak=self._use_weak(),
            weak_gate=self.weak_gate,
            label_smoothing=self.label_smoothing,
            class_weights=class_weights,
            gate_stats=gate_stats)
        out = {
            key: self.loss_weight * value
            for key, value in zip(self.keys, losses)
        }
        for j, (passed, total) in (gate_stats or {}).items():
            out[self.pass_keys[j]] = passed.float() / total.float()
        return out
