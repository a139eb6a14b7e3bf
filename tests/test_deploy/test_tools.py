# Copyright (c) mmhier contributors. All rights reserved.
"""tools/deployment/pytorch2onnx.py on a pruned checkpoint, then
tools/infer.py --backend ort draws the same panels as the PyTorch backend;
inference_levels keeps working on files after arrays."""
import os.path as osp
import runpy
import sys

import mmcv
import numpy as np
import onnx

from mmhier.apis import inference_levels

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _run(monkeypatch, tool, *args):
    monkeypatch.setattr(sys, 'argv', [tool, *args])
    runpy.run_path(osp.join(REPO, tool), run_name='__main__')


def test_export_pruned_then_infer_with_ort(tiny_checkpoints, tmp_path,
                                           monkeypatch, capsys):
    config, ckpt = tiny_checkpoints['pruned']
    out = str(tmp_path / 'pruned.onnx')
    _run(monkeypatch, 'tools/deployment/pytorch2onnx.py', config, ckpt,
         '--out', out, '--dynamic-shape', '--decision', 'greedy',
         '--outputs', 'labels,levels')
    assert 'onnx.checker passed' in capsys.readouterr().out
    onnx.checker.check_model(out)
    img = np.random.default_rng(0).integers(0, 256, (40, 56, 3), np.uint8)
    img_file = str(tmp_path / 'imgs' / 'street.png')
    mmcv.imwrite(img, img_file)
    _run(monkeypatch, 'tools/infer.py', config, osp.dirname(img_file),
         '--out-dir', str(tmp_path / 'ort'), '--backend', 'ort', '--onnx',
         out, '--threads', '1', '--cfg-options',
         'model.decode_head.decision=greedy')
    _run(monkeypatch, 'tools/infer.py', config, ckpt, img_file, '--out-dir',
         str(tmp_path / 'pt'), '--cfg-options',
         'model.decode_head.decision=greedy')
    ort_png = mmcv.imread(str(tmp_path / 'ort' / 'street.png'))
    pt_png = mmcv.imread(str(tmp_path / 'pt' / 'street.png'))
    assert ort_png.shape == (40, 5 * 56, 3)  # input, 3 levels, leaf
    assert (ort_png == pt_png).all(-1).mean() >= 0.999


def test_inference_levels_files_after_arrays(tiny_models, tmp_path):
    model = tiny_models['hier']
    img = np.random.default_rng(1).integers(0, 256, (32, 48, 3), np.uint8)
    path = str(tmp_path / 'a.png')
    mmcv.imwrite(img, path)
    from_array = inference_levels(model, img)
    from_file = inference_levels(model, path)  # mmseg rewrote the pipeline
    assert np.array_equal(from_array.pred_sem_seg.data.numpy(),
                          from_file.pred_sem_seg.data.numpy())
