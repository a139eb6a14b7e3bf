# Copyright (c) mmhier contributors. All rights reserved.
"""The test-time-augmentation version of a test config (``--tta``).

mmseg's ``tools/test.py --tta`` sets ``test_dataloader.dataset.pipeline =
tta_pipeline``. A multi-dataset test set has no single pipeline: each source
loads its own annotations (``LoadHierAnnotations`` for per-pixel labels,
``LoadBoxAnnotations`` + ``BoxToMask`` for GTSDB boxes) and packs its own
meta keys. So here the TTA pipeline is the TTA form of the config's *plain*
``test_pipeline``, built by :func:`build_tta_pipeline` from that pipeline's
``Resize`` scale and the config's ``tta_ratios``::

    tta_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='TestTimeAug', transforms=[
            [Resize at scale * r for r in tta_ratios],
            [RandomFlip prob 0 and 1],   # prob 0 only with tta_flip=False
            [dict(type='PackSegInputs', meta_keys=...)]])]

(a config that writes ``tta_pipeline`` out itself keeps it),

and every test dataset gets it with its own annotation transforms (taken,
in order, from its test pipeline) as extra stages before the last one, and
its own packing transform as the last stage. The model is wrapped into
``tta_model`` (:class:`~mmhier.models.segmentors.HierSegTTAModel`).
"""
import copy
from typing import List, Sequence

from mmengine.config import Config

from .hier_inference import ANNOTATION_TRANSFORMS


def build_tta_pipeline(test_pipeline: List[dict],
                       tta_ratios: Sequence[float],
                       where: str = 'test_pipeline',
                       flip: bool = True) -> List[dict]:
    """The TTA form of a plain ``test_pipeline``: its loading transforms,
    then ``TestTimeAug`` over its ``Resize`` at ``(int(w * r), int(h * r))``
    for every ``r`` in ``tta_ratios``, unflipped and (with ``flip``)
    horizontally flipped, and its packing transform. Annotation transforms
    are left to :func:`dataset_tta_pipeline`.

    Args:
        test_pipeline (list[dict]): Loading, one ``Resize`` with a
            ``scale`` (and ``keep_ratio``), optional annotation transforms,
            packing last.
        tta_ratios (Sequence[float]): Scale factors of the ``Resize``.
        where (str): Named in the errors.
        flip (bool): Also the mirrored view of every scale (mmseg's
            default). Off for label spaces with mirror-image classes (GTSDB's
            'dangerous curve left' / 'right', 'keep left' / 'right', ...),
            whose mirrored views vote for the wrong class of the pair.

    Returns:
        list[dict]: The TTA pipeline.
    """
    resize = [i for i, t in enumerate(test_pipeline)
              if t.get('type') == 'Resize']
    if len(resize) != 1 or 'scale' not in test_pipeline[resize[0]]:
        raise KeyError(f'{where}: TTA needs exactly one Resize with a scale '
                       'in the test pipeline')
    if not tta_ratios:
        raise KeyError(f'{where}: tta_ratios is empty')
    index = resize[0]
    resize = test_pipeline[index]
    width, height = resize['scale']
    scales = [
        dict(resize, scale=(int(width * r), int(height * r)))
        for r in tta_ratios
    ]
    flips = [dict(type='RandomFlip', prob=0., direction='horizontal')]
    if flip:
        flips.append(dict(type='RandomFlip', prob=1., direction='horizontal'))
    return copy.deepcopy(list(test_pipeline[:index]) + [
        dict(
            type='TestTimeAug',
            transforms=[scales, flips, [test_pipeline[-1]]])
    ])


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
        cfg (Config): With ``tta_model`` and ``tta_ratios`` (the TTA
            pipeline is built from ``test_pipeline`` and the optional
            ``tta_flip``, default True, see :func:`build_tta_pipeline`) or a
            ``tta_pipeline`` of its own. An optional
            ``tta_unflipped_classifiers`` becomes the TTA model's
            ``unflipped_classifiers`` (unless it sets its own).

    Returns:
        Config: ``test_dataloader``'s datasets use their TTA pipelines and
        ``model`` is ``tta_model`` wrapping the config's model.
    """
    cfg = copy.deepcopy(cfg)
    if cfg.get('tta_model') is None:
        raise KeyError(f'{cfg.filename}: --tta needs `tta_model` in the '
                       'config')
    tta_pipeline = cfg.get('tta_pipeline')
    if tta_pipeline is None:
        if cfg.get('tta_ratios') is None or cfg.get('test_pipeline') is None:
            raise KeyError(f'{cfg.filename}: --tta needs `tta_ratios` and '
                           '`test_pipeline` (or `tta_pipeline`) in the '
                           'config')
        tta_pipeline = build_tta_pipeline(cfg.test_pipeline, cfg.tta_ratios,
                                          f'{cfg.filename}: test_pipeline',
                                          flip=cfg.get('tta_flip', True))
        cfg.tta_pipeline = tta_pipeline
    if cfg.get('tta_unflipped_classifiers'):
        cfg.tta_model.setdefault('unflipped_classifiers',
                                 list(cfg.tta_unflipped_classifiers))
    where = f'{cfg.filename}: tta_pipeline'
    if not _set_tta_pipelines(cfg.test_dataloader.dataset, tta_pipeline,
                              where):
        raise KeyError(f'{cfg.filename}: no test dataset with a pipeline')
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model
    return cfg
