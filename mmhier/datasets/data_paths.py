# Copyright (c) mmhier contributors. All rights reserved.
"""A missing data folder names the dataset, the path and the config key.

Without this, a wrong ``data_root`` surfaces as ``FileNotFoundError: [Errno
2] No such file or directory: '.../leftImg8bit/train'`` from deep inside a
file listing, naming neither the dataset nor the setting to fix.
:func:`check_data_paths` is called by mmhier's datasets before they list
their files, and by ``tools/train.py`` / ``tools/test.py`` on the config
(:func:`check_config_data_paths`, which also covers stock mmseg datasets and
names the full dotted key, e.g. ``train_dataloader.dataset.datasets.1.
data_root``).
"""
import os.path as osp
from typing import Dict, Iterator, Optional, Tuple

#: a URI (``s3://``, ``http://`` ...) is not on the local file system
_REMOTE_MARK = '://'


def _is_local(path) -> bool:
    return isinstance(path, str) and _REMOTE_MARK not in path


def check_data_paths(owner: str,
                     data_root: Optional[str],
                     paths: Dict[str, Optional[str]],
                     key: str = '',
                     backend_args: Optional[dict] = None) -> None:
    """Raise a ``FileNotFoundError`` naming the dataset, the path it tried
    and the config key to fix.

    Args:
        owner (str): The dataset, e.g. ``'HierCityscapesDataset
            (cityscapes)'``.
        data_root (str, optional): The dataset's ``data_root``.
        paths (dict): ``{config key relative to the dataset config (e.g.
            'data_prefix.img_path', 'ann_file'): path}``, each path as the
            dataset will open it (already joined with ``data_root``). Empty
            or None paths are skipped.
        key (str): Dotted config key of the dataset itself (e.g.
            ``'train_dataloader.dataset'``); ``''`` names the keys relative
            to the dataset config.
        backend_args (dict, optional): A non-local file backend skips the
            check (the paths are not on this file system).
    """
    if backend_args and backend_args.get('backend', 'local') != 'local':
        return
    where = f'{key}.' if key else ''
    if _is_local(data_root) and data_root and not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{owner}: data_root {data_root!r} does not exist; set '
            f'`{where}data_root` in the config to the dataset\'s folder')
    for name, path in paths.items():
        if not _is_local(path) or not path or osp.exists(path):
            continue
        hint = ''
        if data_root and _is_local(data_root):
            hint = f' (under `{where}data_root` = {data_root!r})'
        raise FileNotFoundError(
            f'{owner}: {path!r} does not exist; check `{where}{name}`'
            f'{hint} in the config')


def _join(data_root, path):
    if not _is_local(path) or not path:
        return path
    if data_root and _is_local(data_root) and not osp.isabs(path):
        return osp.join(data_root, path)
    return path


def _dataset_configs(cfg, key: str) -> Iterator[Tuple[str, dict]]:
    """``(dotted key, dataset config)`` of a dataset config and the datasets
    it wraps (``datasets`` of a concatenation, ``dataset`` of a wrapper)."""
    if not isinstance(cfg, dict):
        return
    yield key, cfg
    inner = cfg.get('datasets')
    if isinstance(inner, (list, tuple)):
        for i, sub in enumerate(inner):
            yield from _dataset_configs(sub, f'{key}.datasets.{i}')
    if isinstance(cfg.get('dataset'), dict):
        yield from _dataset_configs(cfg['dataset'], f'{key}.dataset')


def check_config_data_paths(cfg, loaders=('train_dataloader', )) -> None:
    """Check the data paths a config names explicitly, before anything is
    built.

    Looks at ``data_root``, every ``data_prefix`` entry and ``ann_file`` of
    the datasets of the given dataloaders, and of the ``dataloader`` of
    every ``custom_hooks`` entry that has one (e.g. the clustering loader of
    MMT). Paths that a dataset class fills in by default are checked by the
    dataset itself.

    Args:
        cfg (Config | dict): The full config.
        loaders (Sequence[str]): Top-level dataloader keys to check
            (missing or None ones are skipped).
    """
    roots = [(name, cfg.get(name)) for name in loaders]
    for i, hook in enumerate(cfg.get('custom_hooks') or []):
        if isinstance(hook, dict) and isinstance(hook.get('dataloader'), dict):
            roots.append((f'custom_hooks.{i}.dataloader', hook['dataloader']))
    for loader_key, loader in roots:
        if not isinstance(loader, dict) or not isinstance(
                loader.get('dataset'), dict):
            continue
        for key, dataset in _dataset_configs(loader['dataset'],
                                             f'{loader_key}.dataset'):
            data_root = dataset.get('data_root')
            paths = {}
            prefix = dataset.get('data_prefix')
            if isinstance(prefix, dict):
                for name, path in prefix.items():
                    paths[f'data_prefix.{name}'] = _join(data_root, path)
            paths['ann_file'] = _join(data_root, dataset.get('ann_file'))
            check_data_paths(
                str(dataset.get('type', 'dataset')), data_root, paths, key,
                dataset.get('backend_args'))
