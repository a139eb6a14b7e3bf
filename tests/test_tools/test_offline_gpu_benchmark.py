# Copyright (c) mmhier contributors. All rights reserved.
"""``tools/misc/offline_gpu_benchmark.sh``: valid bash, and its
``MMCV_OPS=none`` placeholder for mmcv's compiled ops passes mmcv's own
extension loader yet stops any op call with an error that names the op."""
import importlib.util
import os.path as osp
import re
import subprocess
import sys

import pytest

SCRIPT = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'misc',
                  'offline_gpu_benchmark.sh')


def test_script_is_valid_bash():
    subprocess.run(['bash', '-n', SCRIPT], check=True)


@pytest.fixture
def placeholder(tmp_path, monkeypatch):
    text = open(SCRIPT).read()
    body = re.search(r"<<'EXT'\n(.*?)\nEXT\n", text, re.S)
    assert body, 'no placeholder module in the script'
    path = tmp_path / 'placeholder_ext.py'
    path.write_text(body.group(1) + '\n')
    spec = importlib.util.spec_from_file_location('placeholder_ext', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, 'placeholder_ext', module)
    return module


def test_placeholder_passes_mmcv_loader(placeholder, monkeypatch):
    from mmcv.utils import ext_loader

    # mmcv's loader imports 'mmcv.<name>' and asserts every op is there
    real_import = ext_loader.importlib.import_module
    monkeypatch.setattr(
        ext_loader.importlib, 'import_module', lambda name: placeholder
        if name == 'mmcv.placeholder_ext' else real_import(name))
    ext = ext_loader.load_ext('placeholder_ext',
                              ['nms', 'roi_align_forward'])
    assert ext is placeholder
    with pytest.raises(RuntimeError, match=r"'roi_align_forward'.*"
                       r'MMCV_OPS=none'):
        ext.roi_align_forward(1, 2)


def test_placeholder_keeps_dunder_lookups_false(placeholder):
    # copy / pickle / inspect probe dunders with hasattr: they must see none
    assert not hasattr(placeholder, '__wrapped__')
    assert not hasattr(placeholder, '__path__')
