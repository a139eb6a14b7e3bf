# Copyright (c) mmhier contributors. All rights reserved.
"""A missing data root through the tools: the error names the dataset type,
the path and the full config key, for stock mmseg datasets too."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmhier.datasets.data_paths import check_config_data_paths

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FCN = ('configs/baselines/'
       'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')


def test_train_py_names_dataset_path_and_key(tmp_path):
    missing = str(tmp_path / 'no_cityscapes')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', FCN, '--work-dir',
         str(tmp_path / 'work'), '--cfg-options',
         f'train_dataloader.dataset.data_root={missing}'],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=300)
    assert proc.returncode != 0
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith('FileNotFoundError: CityscapesDataset'), last
    assert missing in last and '`train_dataloader.dataset.data_root`' in last


def test_config_walk_names_nested_keys(tmp_path):
    (tmp_path / 'a' / 'img').mkdir(parents=True)
    cfg = dict(
        train_dataloader=dict(dataset=dict(
            type='HierConcatDataset',
            datasets=[
                dict(type='A', data_root=str(tmp_path / 'a'),
                     data_prefix=dict(img_path='img')),
                dict(type='B', data_root=str(tmp_path / 'a'),
                     data_prefix=dict(img_path='img', seg_map_path='seg')),
            ])),
        custom_hooks=[dict(type='H', dataloader=dict(dataset=dict(
            type='C', data_root=str(tmp_path / 'c'))))])
    with pytest.raises(FileNotFoundError) as err:
        check_config_data_paths(cfg)
    message = str(err.value)
    assert message.startswith('B: ')
    assert osp.join(str(tmp_path / 'a'), 'seg') in message
    assert '`train_dataloader.dataset.datasets.1.data_prefix.seg_map_path`' \
        in message
    cfg['train_dataloader']['dataset']['datasets'].pop()
    with pytest.raises(FileNotFoundError) as err:
        check_config_data_paths(cfg)
    assert '`custom_hooks.0.dataloader.dataset.data_root`' in str(err.value)
    # remote paths are not checked on the local file system
    cfg['custom_hooks'][0]['dataloader']['dataset']['data_root'] = 's3://c'
    check_config_data_paths(cfg)
