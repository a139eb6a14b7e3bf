# Copyright (c) mmhier contributors. All rights reserved.
"""Plan and write the whole synthetic data set (``docs/synthetic_data.md``).

Every image gets its own ``np.random.SeedSequence([seed, dataset, split,
index])``, so the output is byte-identical for a given seed whatever the
number of worker processes, and one dataset can be (re)generated without
changing the others.
"""
import json
import multiprocessing
import os
import os.path as osp
import shutil
import time
from dataclasses import replace
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmhier.datasets.gtsdb_meta import NUM_GTSDB_CLASSES
from .cityscapes import CITIES, TARGET_CITIES, write_cityscapes_image
from .gtsdb import SIGN_PX as GTSDB_SIGN_PX
from .gtsdb import GTSDB_SPLITS, write_gt_txt, write_gtsdb_image
from .reid import (REID_SOURCE_STYLE, REID_TARGET_STYLE, plan_reid_domain,
                   write_reid_image)
from .style import (CITYSCAPES_STYLE, CITYSCAPES_TARGET_STYLE, GTSDB_STYLE,
                    VISTAS_STYLE)
from .vistas import vistas_key, write_vistas_config, write_vistas_image

#: Datasets in a fixed order; the position is part of every image's seed.
DATASETS = ('cityscapes', 'mapillary_vistas', 'gtsdb', 'cityscapes_extended',
            'cityscapes_target', 'reid_source', 'reid_target')
MARKER = '.complete'
#: Bump when the generated content changes, so old markers stop matching.
GENERATOR_VERSION = 3

CITYSCAPES_SIZE = (256, 128)
GTSDB_SIZE = (340, 200)
#: GTSDB gets this many times ``num_train`` / ``num_val`` images: it has only
#: boxes, a few per image, and 43 classes to cover (default: 120 training
#: images, about 9 boxes per class).
GTSDB_IMAGE_FACTOR = 3
#: Inclusive range of signs per GTSDB image that shows signs.
GTSDB_SIGNS_PER_IMAGE = (3, 6)

_WRITERS = dict(
    cityscapes=write_cityscapes_image,
    vistas=write_vistas_image,
    gtsdb=write_gtsdb_image,
    reid=write_reid_image,
)


#: Keys of ``generate(domain_shift=...)`` and what they change in every
#: street-scene domain (Cityscapes, Vistas, GTSDB, Cityscapes Extended).
DOMAIN_SHIFT_KEYS = ('sign_scale', 'horizon_shift', 'camera_height_scale',
                     'focal_scale')


def shift_style(style, shift: Dict):
    """``style`` with a domain shift applied: sign faces ``sign_scale``
    times as large (the sign's distance follows), the horizon row moved by
    ``horizon_shift`` (a fraction of the height), the camera height and the
    focal length multiplied by ``camera_height_scale`` / ``focal_scale``."""
    if not shift:
        return style
    unknown = sorted(set(shift) - set(DOMAIN_SHIFT_KEYS))
    if unknown:
        raise ValueError(f'domain_shift: unknown keys {unknown}; choose from '
                         f'{list(DOMAIN_SHIFT_KEYS)}')
    k = float(shift.get('sign_scale', 1.0))
    dh = float(shift.get('horizon_shift', 0.0))
    ch = float(shift.get('camera_height_scale', 1.0))
    fo = float(shift.get('focal_scale', 1.0))
    return replace(style,
                   sign_px=tuple(v * k for v in style.sign_px),
                   horizon=tuple(v + dh for v in style.horizon),
                   camera_height=tuple(v * ch for v in style.camera_height),
                   focal=tuple(v * fo for v in style.focal))


def _run_job(job):
    kind, kwargs = job
    return _WRITERS[kind](**kwargs)


def _image_seed(seed: int, dataset: str, split: int, index: int):
    return np.random.SeedSequence(
        [seed, DATASETS.index(dataset), split, index])


def _plan_cityscapes(out_dir, seed, dataset, style, cities, counts, **kw):
    jobs, summary = [], {}
    root = osp.join(out_dir, dataset)
    for split_code, (split, n) in enumerate(counts.items()):
        names = cities[split]
        for i in range(n):
            jobs.append(('cityscapes',
                         dict(root=root,
                              split=split,
                              city=names[i % len(names)],
                              index=i // len(names),
                              seed_seq=_image_seed(seed, dataset, split_code,
                                                   i),
                              style=style,
                              size=CITYSCAPES_SIZE,
                              **kw)))
        summary[split] = n
    return jobs, summary


def _plan_vistas(out_dir, seed, num_train, num_val, shift=None):
    jobs, summary = [], {}
    root = osp.join(out_dir, 'mapillary_vistas')
    for split_code, (split, n) in enumerate(
            (('training', num_train), ('validation', num_val))):
        key_rng = np.random.default_rng(
            _image_seed(seed, 'mapillary_vistas', split_code, 2**31))
        for i in range(n):
            jobs.append(('vistas',
                         dict(root=root,
                              split=split,
                              key=vistas_key(key_rng),
                              seed_seq=_image_seed(seed, 'mapillary_vistas',
                                                   split_code, i),
                              style=shift_style(VISTAS_STYLE, shift))))
        summary[split] = n
    return jobs, summary


def _gtsdb_class_ids(rng: np.random.Generator, num_images: int,
                     empty: set) -> List[List[int]]:
    """Sign classes of every image of a GTSDB split: each image with signs
    gets :data:`GTSDB_SIGNS_PER_IMAGE` of them, taken in turn from a stream
    of shuffled rounds of all 43 classes, so each class gets about the same
    number of boxes (the real benchmark is long-tailed; with few synthetic
    images that would leave classes with no training box at all)."""
    counts = [
        0 if i in empty else int(rng.integers(GTSDB_SIGNS_PER_IMAGE[0],
                                              GTSDB_SIGNS_PER_IMAGE[1] + 1))
        for i in range(num_images)
    ]
    rounds = -(-sum(counts) // NUM_GTSDB_CLASSES)
    stream = np.concatenate(
        [rng.permutation(NUM_GTSDB_CLASSES) for _ in range(rounds)] +
        [np.zeros(0, np.int64)]).tolist()
    out, pos = [], 0
    for count in counts:
        out.append(stream[pos:pos + count])
        pos += count
    return out


def _plan_gtsdb(out_dir, seed, num_train, num_val, style=GTSDB_STYLE,
                sign_px=None):
    jobs, summary = {}, {}
    for split_code, (split, n) in enumerate(
            (('train', num_train), ('test', num_val))):
        rng = np.random.default_rng(
            _image_seed(seed, 'gtsdb', split_code, 2**31))
        # Like the real benchmark some images show no sign at all.
        num_empty = max(1, int(round(0.15 * n))) if n >= 2 else 0
        empty = set(rng.choice(n, num_empty, replace=False).tolist())
        class_ids = _gtsdb_class_ids(rng, n, empty)
        split_dir = osp.join(out_dir, 'gtsdb', GTSDB_SPLITS[split])
        jobs[split_dir] = [('gtsdb',
                            dict(split_dir=split_dir,
                                 index=i,
                                 seed_seq=_image_seed(seed, 'gtsdb',
                                                      split_code, i),
                                 style=style,
                                 size=GTSDB_SIZE,
                                 class_ids=class_ids[i],
                                 sign_px=sign_px)) for i in range(n)]
        summary[GTSDB_SPLITS[split]] = n
    return jobs, summary


def _plan_reid(out_dir, seed, dataset, style, num_train_ids, num_test_ids):
    root = osp.join(out_dir, dataset)
    planned = plan_reid_domain(
        np.random.SeedSequence([seed, DATASETS.index(dataset)]), style,
        num_train_ids, num_test_ids)
    jobs = [('reid', dict(root=root, job=job, style=style)) for job in planned]
    summary = {}
    for job in planned:
        folder = osp.dirname(job['path'])
        summary[folder] = summary.get(folder, 0) + 1
    return jobs, summary


def _check_args(args: Dict) -> None:
    if not isinstance(args['seed'], int) or args['seed'] < 0:
        raise ValueError(f'seed must be a non-negative int, got '
                         f'{args["seed"]!r}')
    for key in ('num_train', 'num_val', 'num_reid_train_ids',
                'num_reid_test_ids'):
        if args[key] < 1:
            raise ValueError(f'{key} must be >= 1 after scaling, got '
                             f'{args[key]}')
    unknown = sorted(set(args['datasets']) - set(DATASETS))
    if unknown:
        raise ValueError(f'unknown datasets {unknown}; choose from '
                         f'{list(DATASETS)}')


def _run(jobs, nproc: int, progress: bool):
    if nproc > 1:
        if progress:
            from mmengine.utils import track_parallel_progress
            return track_parallel_progress(_run_job, jobs, nproc)
        with multiprocessing.Pool(nproc) as pool:
            return pool.map(_run_job, jobs, chunksize=4)
    if progress:
        from mmengine.utils import track_progress
        return track_progress(_run_job, jobs)
    return [_run_job(job) for job in jobs]


def generate(out_dir: str,
             seed: int = 0,
             num_train: int = 40,
             num_val: int = 10,
             num_reid_train_ids: int = 60,
             num_reid_test_ids: int = 40,
             scale: float = 1.0,
             datasets: Sequence[str] = DATASETS,
             overwrite: bool = False,
             nproc: int = 1,
             progress: bool = False,
             domain_shift: Optional[Dict] = None) -> Dict:
    """Generate the synthetic datasets under ``out_dir``.

    Args:
        out_dir (str): Output root (``data/synthetic``).
        seed (int): Global seed; same seed and arguments give the same bytes.
        num_train (int): Training images per segmentation dataset
            (Cityscapes Extended has only a val split); GTSDB gets
            :data:`GTSDB_IMAGE_FACTOR` times as many.
        num_val (int): Validation (GTSDB: test) images per dataset (GTSDB:
            :data:`GTSDB_IMAGE_FACTOR` times as many).
        num_reid_train_ids (int): Training identities per re-ID domain.
        num_reid_test_ids (int): Test (query / gallery) identities per
            re-ID domain.
        scale (float): Multiplies all the counts above (at least 1 each).
        datasets (Sequence[str]): Subset of :data:`DATASETS` to write.
        overwrite (bool): Regenerate into a non-empty ``out_dir`` (deletes
            the dataset folders listed in :data:`DATASETS` first).
        nproc (int): Worker processes (the output does not depend on it).
        progress (bool): Show a progress bar.
        domain_shift (dict, optional): Other statistics for every street
            domain, e.g. a held-out data set: ``sign_scale``,
            ``horizon_shift``, ``camera_height_scale``, ``focal_scale`` (see
            :func:`shift_style`). Defaults to None (no shift).

    Returns:
        dict: ``{'datasets': {name: {split: num_images}}, 'skipped': bool,
        'seconds': float}``; ``skipped`` is True when ``out_dir`` already
        holds a complete set made with the same arguments (``.complete``).

    Raises:
        FileExistsError: ``out_dir`` is not empty, is not a complete set with
            the same arguments and ``overwrite`` is False.
    """
    start = time.perf_counter()

    def scaled(n):
        return max(1, int(round(n * scale)))

    args = dict(version=GENERATOR_VERSION,
                seed=seed,
                num_train=scaled(num_train),
                num_val=scaled(num_val),
                num_reid_train_ids=scaled(num_reid_train_ids),
                num_reid_test_ids=scaled(num_reid_test_ids),
                datasets=[d for d in DATASETS if d in datasets] +
                sorted(set(datasets) - set(DATASETS)))
    shift = dict(domain_shift or {})
    if shift:
        args['domain_shift'] = shift
    street = {name: shift_style(style, shift) for name, style in (
        ('cityscapes', CITYSCAPES_STYLE), ('gtsdb', GTSDB_STYLE))}
    _check_args(args)
    marker = osp.join(out_dir, MARKER)
    if osp.isdir(out_dir) and os.listdir(out_dir):
        previous = None
        if osp.isfile(marker):
            with open(marker) as f:
                previous = json.load(f)
        if not overwrite:
            if previous is not None and previous.get('args') == args:
                return dict(datasets=previous['datasets'],
                            skipped=True,
                            seconds=time.perf_counter() - start)
            reason = ('was generated with other arguments '
                      f'{previous.get("args")}' if previous is not None else
                      f'has no {MARKER} marker of a complete generation')
            raise FileExistsError(
                f'Output directory {out_dir} is not empty and {reason}; '
                f'pass overwrite=True (--overwrite) to regenerate it.')
        if osp.exists(marker):
            os.remove(marker)
        for name in DATASETS:
            shutil.rmtree(osp.join(out_dir, name), ignore_errors=True)
    os.makedirs(out_dir, exist_ok=True)

    selected = args['datasets']
    n_train, n_val = args['num_train'], args['num_val']
    jobs, summary, gtsdb_splits = [], {}, {}

    def add(name, planned):
        new_jobs, counts = planned
        jobs.extend(new_jobs)
        summary[name] = counts

    if 'cityscapes' in selected:
        add(
            'cityscapes',
            _plan_cityscapes(out_dir, seed, 'cityscapes',
                             street['cityscapes'], CITIES,
                             dict(train=n_train, val=n_val)))
    if 'mapillary_vistas' in selected:
        write_vistas_config(osp.join(out_dir, 'mapillary_vistas'))
        add('mapillary_vistas',
            _plan_vistas(out_dir, seed, n_train, n_val, shift))
    if 'gtsdb' in selected:
        gtsdb_px = tuple(v * float(shift.get('sign_scale', 1.0))
                         for v in GTSDB_SIGN_PX)
        gtsdb_splits, summary['gtsdb'] = _plan_gtsdb(
            out_dir, seed, GTSDB_IMAGE_FACTOR * n_train,
            GTSDB_IMAGE_FACTOR * n_val, street['gtsdb'], gtsdb_px)
        for split_jobs in gtsdb_splits.values():
            jobs.extend(split_jobs)
    if 'cityscapes_extended' in selected:
        add(
            'cityscapes_extended',
            _plan_cityscapes(out_dir,
                             seed,
                             'cityscapes_extended',
                             street['cityscapes'],
                             CITIES,
                             dict(val=n_val),
                             sign_ids=True,
                             num_signs=(3, 5)))
    if 'cityscapes_target' in selected:
        add(
            'cityscapes_target',
            _plan_cityscapes(out_dir, seed, 'cityscapes_target',
                             CITYSCAPES_TARGET_STYLE, TARGET_CITIES,
                             dict(train=n_train, val=n_val)))
    for name, style in (('reid_source', REID_SOURCE_STYLE),
                        ('reid_target', REID_TARGET_STYLE)):
        if name in selected:
            add(
                name,
                _plan_reid(out_dir, seed, name, style,
                           args['num_reid_train_ids'],
                           args['num_reid_test_ids']))

    results = _run(jobs, nproc, progress)
    by_job = {id(job): res for job, res in zip(jobs, results)}
    for split_dir, split_jobs in gtsdb_splits.items():
        lines = [line for job in split_jobs for line in by_job[id(job)]]
        write_gt_txt(split_dir, lines)
    with open(marker, 'w') as f:
        json.dump(dict(args=args, datasets=summary),
                  f,
                  indent=2,
                  sort_keys=True)
        f.write('\n')
    return dict(datasets=summary,
                skipped=False,
                seconds=time.perf_counter() - start)
