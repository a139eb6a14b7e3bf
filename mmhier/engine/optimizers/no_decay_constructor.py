# Copyright (c) mmhier contributors. All rights reserved.
"""Optimizer-wrapper constructor: no weight decay (and no LARS adaptation)
on normalization-layer parameters and biases, chosen by module type."""
import importlib
import sys
from typing import List, Optional, Sequence, Set, Tuple, Type, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch.nn.modules.batchnorm import _NormBase

from mmhier.registry import OPTIM_WRAPPER_CONSTRUCTORS

# torch base classes of every normalization layer with affine parameters:
# _NormBase covers BatchNorm*/SyncBatchNorm/InstanceNorm*/LazyBatchNorm*, and
# mmengine's/mmcv's/mmpretrain's BN/LN/GN variants subclass one of these.
TORCH_NORM_TYPES: Tuple[Type[nn.Module], ...] = (
    _NormBase, nn.GroupNorm, nn.LayerNorm) + (
        (nn.RMSNorm, ) if hasattr(nn, 'RMSNorm') else ())

# Normalization layers of the OpenMMLab libraries that do NOT subclass a
# torch norm class (so ``isinstance`` on the torch bases misses them).
# They are looked up only in modules that are already imported: a model that
# contains one of them has necessarily imported its module.
OPENMMLAB_NORM_TYPES: Tuple[str, ...] = (
    'mmcv.ops.sync_bn.SyncBatchNorm',  # 'MMSyncBN'
    'mmpretrain.models.utils.norm.GRN',  # ConvNeXt-V2
    'mmpretrain.models.backbones.hornet.HorNetLayerNorm',
    'mmseg.models.utils.san_layers.LayerNorm2d',
    'mmdet.models.necks.ssd_neck.L2Norm',
)


def _resolve_type(path: str, import_missing: bool) -> Optional[type]:
    """Class named by a dotted ``path``; None if its module is not loaded
    (and ``import_missing`` is False) or the class does not exist."""
    module_name, _, cls_name = path.rpartition('.')
    module = sys.modules.get(module_name)
    if module is None and import_missing:
        module = importlib.import_module(module_name)
    return getattr(module, cls_name, None) if module is not None else None


def norm_types(extra: Sequence[Union[str, type]] = ()) -> Tuple[type, ...]:
    """All normalization-layer classes known at call time.

    Args:
        extra (Sequence[str | type]): More classes (or dotted import paths)
            to treat as normalization layers, e.g. a project's own norm.

    Returns:
        tuple[type]: Classes for ``isinstance`` checks.
    """
    types = list(TORCH_NORM_TYPES)
    for path in OPENMMLAB_NORM_TYPES:
        cls = _resolve_type(path, import_missing=False)
        if cls is not None:
            types.append(cls)
    for item in extra:
        cls = _resolve_type(item, import_missing=True) if isinstance(
            item, str) else item
        if not isinstance(cls, type):
            raise TypeError('paramwise_cfg.extra_norm_types: cannot resolve '
                            f'{item!r} to a class')
        types.append(cls)
    return tuple(types)


def is_bias(param_name: str) -> bool:
    """Whether ``param_name`` (the local name of a module's own parameter,
    not a dotted path) is a bias:
    ``bias`` of conv/linear/norm layers, ``in_proj_bias`` of
    ``nn.MultiheadAttention`` and similar ``*_bias`` parameters."""
    return param_name == 'bias' or param_name.endswith('_bias')


def split_no_decay_params(
        model: nn.Module,
        extra_norm_types: Sequence[Union[str, type]] = ()
) -> Tuple[Set[int], Set[int]]:
    """Ids of the parameters of normalization layers and of biases.

    Args:
        model (nn.Module): The model.
        extra_norm_types (Sequence[str | type]): See :func:`norm_types`.

    Returns:
        tuple[set[int], set[int]]: ``id()`` of every parameter owned by a
        normalization layer (weight and bias), and of every other bias.
    """
    types = norm_types(extra_norm_types)
    norm_ids, bias_ids = set(), set()
    for module in model.modules():
        is_norm = isinstance(module, types)
        for name, param in module.named_parameters(recurse=False):
            if is_norm:
                norm_ids.add(id(param))
            elif is_bias(name):
                bias_ids.add(id(param))
    return norm_ids, bias_ids - norm_ids


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NoDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer-wrapper constructor that exempts every normalization-layer
    parameter and every bias from weight decay and from LARS adaptation.

    The large-batch recipe (Jia et al., arXiv:1807.11205, 2018: no decay
    on bias / BN beta / gamma,
    +1.3% top-1) needs this for *all* such parameters. mmengine's
    ``paramwise_cfg=dict(norm_decay_mult=0, bias_decay_mult=0)`` is close but
    misses some, so this class reuses all of mmengine's rules and then
    overrides the decay of norm parameters and biases found **by module
    type**:

    - ``custom_keys`` win over every other rule in mmengine: a common
      ``custom_keys={'backbone': dict(lr_mult=0.1)}`` silently gives all
      backbone norms and biases the full weight decay again. Here
      ``custom_keys`` keep their ``lr_mult`` (and extra keys) but norm
      parameters and biases still get no decay.
    - mmengine recognises norms only as torch ``_BatchNorm``/``_InstanceNorm``
      /``GroupNorm``/``LayerNorm`` subclasses: mmcv's ``MMSyncBN``,
      mmpretrain's ``GRN``, ``torch.nn.RMSNorm`` etc. are decayed.
    - biases of modules inside a DCN (``conv_offset.bias``) and
      ``*_bias`` parameters (``MultiheadAttention.in_proj_bias``) keep their
      decay under ``bias_decay_mult``.
    - no group gets ``lars_exclude``; only custom keys could set it, by name.

    The exempt groups get ``weight_decay = base_wd * norm_decay_mult`` (norm
    parameters, weight and bias, counted once) or ``base_wd *
    bias_decay_mult`` (other biases), both 0 by default, and
    ``lars_exclude=True`` (read by :class:`~mmhier.engine.optimizers.LARS`,
    ignored by other optimizers). A parameter shared by several modules is
    put in the first group only, so every parameter is in exactly one group.

    ``paramwise_cfg`` accepts everything mmengine's does plus:

    - ``lars_exclude`` (bool): mark exempt groups. Defaults to True.
    - ``extra_norm_types`` (list[str | type]): more norm classes (dotted
      paths or classes) to treat like torch's.

    Args:
        optim_wrapper_cfg (dict): See ``DefaultOptimWrapperConstructor``;
            ``optimizer.weight_decay`` is required.
        paramwise_cfg (dict, optional): See above. Defaults to None.

    Example:
        >>> optim_wrapper = dict(
        ...     type='OptimWrapper',
        ...     optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
        ...                    weight_decay=1e-4),
        ...     constructor='NoDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.)}))
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        paramwise_cfg.setdefault('norm_decay_mult', 0.)
        paramwise_cfg.setdefault('bias_decay_mult', 0.)
        self.lars_exclude = paramwise_cfg.pop('lars_exclude', True)
        self.extra_norm_types = paramwise_cfg.pop('extra_norm_types', ())
        optimizer_cfg = optim_wrapper_cfg.get('optimizer', {})
        if optimizer_cfg.get('weight_decay') is None:
            raise ValueError(
                'NoDecayOptimWrapperConstructor needs '
                'optim_wrapper.optimizer.weight_decay to be set, got '
                f'optimizer={optimizer_cfg}')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        """Add ``module``'s parameters with mmengine's rules, then (at the
        top-level call only) apply the by-type no-decay rule and drop
        duplicates of shared parameters."""
        if prefix:  # recursive call made by the parent implementation
            super().add_params(params, module, prefix, is_dcn_module)
            return
        first = len(params)
        super().add_params(params, module, prefix, is_dcn_module)
        norm_ids, bias_ids = split_no_decay_params(module,
                                                   self.extra_norm_types)
        norm_wd = self.base_wd * self.paramwise_cfg['norm_decay_mult']
        bias_wd = self.base_wd * self.paramwise_cfg['bias_decay_mult']
        seen: Set[int] = set(id(p) for g in params[:first]
                             for p in g['params'])
        groups = params[first:]
        del params[first:]
        for group in groups:
            group_params = [p for p in group['params'] if id(p) not in seen]
            if not group_params:
                continue
            seen.update(id(p) for p in group_params)
            group['params'] = group_params
            # mmengine's add_params makes one group per parameter.
            pid = id(group_params[0])
            if pid in norm_ids or pid in bias_ids:
                group['weight_decay'] = norm_wd if pid in norm_ids \
                    else bias_wd
                if self.lars_exclude:
                    group['lars_exclude'] = True
            params.append(group)
        print_log(
            f'{type(self).__name__}: {len(norm_ids)} norm parameters '
            f'(weight_decay={norm_wd}) and {len(bias_ids)} biases '
            f'(weight_decay={bias_wd}), lars_exclude={self.lars_exclude}; '
            'these override the per-parameter lines logged above.',
            logger='current')
