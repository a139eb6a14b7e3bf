# Copyright (c) mmhier contributors. All rights reserved.
"""The TensorBoard logging options of docs/useful_tools.md."""
import argparse
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'hier',
                  'hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')
# the child config of docs/useful_tools.md: local files + TensorBoard
CHILD = """_base_ = [{config!r}]
vis_backends = [
    dict(type='LocalVisBackend'),
    dict(type='TensorboardVisBackend')
]
visualizer = dict(vis_backends=vis_backends)
"""
# the command-line option of docs/useful_tools.md: TensorBoard instead of
# the local files
CLI_OPTION = 'visualizer.vis_backends.0.type=TensorboardVisBackend'


def _child_config(tmp_path):
    path = tmp_path / 'hier_tiny_tensorboard.py'
    path.write_text(CHILD.format(config=CONFIG))
    return Config.fromfile(str(path))


def _cli_config():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', CLI_OPTION]).cfg_options
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options)
    return cfg


def test_options_set_the_backends(tmp_path):
    cfg = _child_config(tmp_path)
    assert cfg.visualizer.type == 'SegLocalVisualizer'
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend'
    ]
    assert [b['type'] for b in _cli_config().visualizer.vis_backends] == [
        'TensorboardVisBackend'
    ]


@pytest.mark.parametrize('how', ['child_config', 'cfg_options'])
def test_tensorboard_receives_the_scalars(tmp_path, how):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator

    from mmhier.registry import VISUALIZERS
    cfg = _child_config(tmp_path) if how == 'child_config' else _cli_config()
    init_default_scope('mmhier')
    # what the Runner does: name and save_dir (its log dir) added
    visualizer = VISUALIZERS.build(
        dict(cfg.visualizer, name=f'tensorboard_{how}',
             save_dir=str(tmp_path / 'log')))
    scalars = {'decode.loss_hier.root': 1.5, 'cityscapes/mIoU': 52.0}
    visualizer.add_scalars(scalars, step=10)
    visualizer.close()
    vis_data = tmp_path / 'log' / 'vis_data'
    events = glob.glob(str(vis_data / '**' / 'events.out.tfevents.*'),
                       recursive=True)
    assert len(events) == 1
    acc = EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    for key, value in scalars.items():
        [event] = acc.Scalars(key)
        assert (event.step, event.value) == (10, value)
    local = vis_data / 'scalars.json'
    if how == 'child_config':  # the local files are still written
        assert json.loads(local.read_text()) == dict(scalars, step=10)
    else:
        assert not local.exists()
