# Copyright (c) mmhier contributors. All rights reserved.
"""The test-time-augmentation version of a test config (``--tta``).

mmseg's ``tools/test.py --tta`` sets ``test_dataloader.dataset.pipeline =
tta_pipeline``. A multi-dataset test set has no single pipeline: each source
loads its own annotations (``LoadHierAnnotations`` for per-pixel labels,
``LoadBoxAnnotations`` + ``BoxToMask`` for GTSDB boxes) and packs its own
meta keys. So here a config's ``tta_pipeline`` is the TTA form of its *plain*
``test_pipeline``::

    tta_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='TestTimeAug', transforms=[
            [Resize at each scale ...], [RandomFlip prob 0 and 1],
            [dict(type='PackSegInputs', meta_keys=...)]])]

and every test dataset gets it with its own annotation transforms (taken,
in order, from its test pipeline) as extra stages before the last one, and
its own packing transform as the last stage. The model is wrapped into
``tta_model`` (:class:`~mmhier.models.segmentors.HierSegTTAModel`).
"""
import copy
from typing import List

from mmengine.config import Config

from .hier_inference import ANNOTATION_TRANSFORMS


def dataset_tta_pipeline(tta_pipeline: List[dict],
                         test_pipeline: List[dict],
                         where: str = 'tta_pipeline') -> List[dict]:
    """``tta_pipeline`` with the annotation transforms and the packing
    transform of one dataset's ``test_pipeline`` (see the module
    docstring)."""
    if not tta_pipeline or tta_pipeline[-1].get('type') != 'TestTimeAug':
        raise KeyError(f'{where}: tta_pipeline must end with a TestTimeAug '
                       'transform')
    *loading, tta = copy.deepcopy(list(tta_pipeline))
    stages = [
        list(stage) for stage in tta['transforms'][:-1]
        if not any(t.get('type') in ANNOTATION_TRANSFORMS for t in stage)
    ]
    stages += [[copy.deepcopy(t)] for t in test_pipeline
               if t.get('type') in ANNOTATION_TRANSFORMS]
    stages.append([copy.deepcopy(test_pipeline[-1])])
    return loading + [dict(tta, transforms=stages)]


def _set_tta_pipelines(dataset: dict, tta_pipeline: List[dict],
                       where: str) -> int:
    """Give every leaf dataset below ``dataset`` its TTA pipeline; returns
    how many got one."""
    count = 0
    for child in dataset.get('datasets', []) or []:
        count += _set_tta_pipelines(child, tta_pipeline, where)
    if isinstance(dataset.get('dataset'), dict):  # RepeatDataset & co.
        count += _set_tta_pipelines(dataset['dataset'], tta_pipeline, where)
    if count == 0 and dataset.get('pipeline'):
        dataset['pipeline'] = dataset_tta_pipeline(tta_pipeline,
                                                   dataset['pipeline'], where)
        count = 1
    return count


def tta_config(cfg: Config) -> Config:
    """A copy of ``cfg`` that tests with test-time augmentation.

    Args:
        cfg (Config): With ``tta_pipeline`` (see the module docstring) and
            ``tta_model``.

    Returns:
        Config: ``test_dataloader``'s datasets use their TTA pipelines and
        ``model`` is ``tta_model`` wrapping the config's model.
    """
    cfg = copy.deepcopy(cfg)
    for key in ('tta_pipeline', 'tta_model'):
        if cfg.get(key) is None:
            raise KeyError(f'{cfg.filename}: --tta needs `{key}` in the '
                           'config')
    where = f'{cfg.filename}: tta_pipeline'
    if not _set_tta_pipelines(cfg.test_dataloader.dataset, cfg.tta_pipeline,
                              where):
        raise KeyError(f'{cfg.filename}: no test dataset with a pipeline')
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    return cfg
