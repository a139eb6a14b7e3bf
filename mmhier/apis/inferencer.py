# Copyright (c) mmhier contributors. All rights reserved.
"""``MMSegInferencer`` for pruned checkpoints and per-level decisions.

mmseg's own ``MMSegInferencer(model=CONFIG, weights=CKPT)`` works on every
mmhier segmentation config with an unpruned checkpoint (the configs name
their model's scope and give ``test_dataloader.dataset.pipeline`` a plain
test pipeline). It builds the config's *unpruned* model and copies the
weights in without checking them, so it cannot load a pruned checkpoint.
:class:`HierSegInferencer` builds the model through
:func:`mmhier.apis.init_model` instead (pruning history replayed, strict,
``weights_only=True``) and adds the decision of every tree level to the
predicted data samples.
"""
import warnings
from typing import List, Optional, Union

import torch.nn as nn
from mmcv.transforms import Compose
from mmseg.apis import MMSegInferencer
from mmseg.utils import get_classes, get_palette

from mmhier.registry import INFERENCERS
from .hier_inference import (add_level_predictions, inference_pipeline,
                             model_taxonomy)
from .model_init import init_model


@INFERENCERS.register_module()
class HierSegInferencer(MMSegInferencer):
    """``MMSegInferencer`` whose model comes from
    :func:`mmhier.apis.init_model`.

    Differences from the stock inferencer:

    * pruned checkpoints load (their pruning history is replayed on the
      config's model before the weights are copied, strictly);
    * the pipeline is :func:`mmhier.apis.inference_pipeline` of the config
      (its ``test_pipeline``), so any config works, also one whose test set
      has no plain pipeline;
    * the default scope is ``'mmhier'`` (the config's ``default_scope`` when
      it names one);
    * with ``return_datasamples=True`` every prediction of a model with a
      taxonomy also holds ``pred_level_sem_seg``: ``[depth, H, W]`` node ids
      decided at each tree level, -1 below the decided node.

    Arguments are those of ``MMSegInferencer``::

        inferencer = HierSegInferencer(model=CONFIG, weights=CKPT)
        result = inferencer('street.png', out_dir='vis')
    """

    def __init__(self,
                 model,
                 weights: Optional[str] = None,
                 classes: Optional[Union[str, List]] = None,
                 palette: Optional[Union[str, List]] = None,
                 dataset_name: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'mmhier') -> None:
        super().__init__(
            model=model,
            weights=weights,
            classes=classes,
            palette=palette,
            dataset_name=dataset_name,
            device=device,
            scope=scope)

    def _init_model(self, cfg, weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        model = init_model(cfg or None, weights, device=device)
        if getattr(model, 'dataset_meta', None) is None:
            warnings.warn('no classes in the checkpoint and no taxonomy in '
                          'the config: using the Cityscapes classes')
            model.dataset_meta = dict(
                classes=get_classes('cityscapes'),
                palette=get_palette('cityscapes'))
        return model

    def _init_pipeline(self, cfg) -> Compose:
        pipeline = inference_pipeline(self.model.cfg)
        loaders = [
            i for i, t in enumerate(pipeline)
            if t.get('type') == 'LoadImageFromFile'
        ]
        if not loaders:
            raise ValueError(f'{self.model.cfg.filename}: no '
                             'LoadImageFromFile in the test pipeline')
        pipeline[loaders[0]]['type'] = 'InferencerLoader'
        return Compose(pipeline)

    def forward(self, inputs, **kwargs) -> list:
        results = super().forward(inputs, **kwargs)
        if model_taxonomy(self.model) is not None:
            add_level_predictions(self.model, results)
        return results
