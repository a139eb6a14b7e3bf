# Copyright (c) mmhier contributors. All rights reserved.
"""Issue acceptance end to end: the tiny three-dataset hierarchical config
trains through tools/train.py on generated Cityscapes / Vistas / GTSDB files
(1:2:1 batches), tools/test.py prints the per-dataset table of its
checkpoint, and tools/infer.py draws the per-level decisions."""
import glob
import os.path as osp

import mmcv
import torch

CONFIG = 'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'
TRAIN_ROOTS = ('cityscapes', 'mapillary_vistas', 'gtsdb')
# GTSDB is scored twice: on the boxes and on the sign outlines
VAL_ROOTS = ('cityscapes', 'mapillary_vistas', 'gtsdb', 'gtsdb',
             'cityscapes_extended')


def _options(data_root, iters=2):
    opts = ['--cfg-options']
    for i, name in enumerate(TRAIN_ROOTS):
        opts.append(f'train_dataloader.dataset.datasets.{i}.data_root='
                    f'{osp.join(data_root, name)}')
    for loader in ('val_dataloader', 'test_dataloader'):
        for i, name in enumerate(VAL_ROOTS):
            opts.append(f'{loader}.dataset.datasets.{i}.data_root='
                        f'{osp.join(data_root, name)}')
    for evaluator in ('val_evaluator', 'test_evaluator'):
        # the sign-class subset rule counts pixels in GTSDB's gt.txt
        opts.append(f'{evaluator}.class_subset.train_ann_file=' + osp.join(
            data_root, 'gtsdb', 'TrainIJCNN2013', 'gt.txt'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    return opts + [
        f'train_cfg.max_iters={iters}', 'train_cfg.val_interval=1000',
        f'default_hooks.checkpoint.interval={iters}',
        'default_hooks.logger.interval=1'
    ]


def test_train_test_infer_three_datasets(synthetic_root, tool, tmp_path):
    work = tmp_path / 'work'
    out = tool('tools/train.py', CONFIG, '--work-dir', str(work),
               *_options(synthetic_root)).stdout
    # every classifier of the tree logs its own loss; GTSDB's weak labels
    # reach the sign classifiers
    for key in ('loss_hier.root', 'loss_hier.traffic_sign_front'):
        assert f'decode.{key}' in out, key
    ckpt = work / 'iter_2.pth'
    state = torch.load(ckpt, map_location='cpu',
                       weights_only=True)['state_dict']
    # one 1x1 classifier per internal node of the synthetic tree:
    # root 10, driveable 3, rider 2, traffic sign 2, traffic sign front 43
    sizes = [state[f'decode_head.classifiers.{j}.weight'].shape[0]
             for j in range(5)]
    assert sizes == [10, 3, 2, 2, 43]
    assert 'decode_head.conv_seg.weight' not in state

    out = tool('tools/test.py', CONFIG, str(ckpt), '--work-dir',
               str(tmp_path / 'test'), *_options(synthetic_root)).stdout
    table = out[out.index('per dataset results'):]
    for name in VAL_ROOTS + ('gtsdb_outlines', ):
        assert name in table, name
    for key in ('cityscapes/mIoU', 'mapillary_vistas/mPA', 'gtsdb/mPA',
                'gtsdb/mIoU', 'gtsdb_outlines/mPA', 'gtsdb/subset.mPA',
                'cityscapes_extended/mIoU'):
        assert f'{key}:' in out, key

    images = sorted(glob.glob(
        osp.join(synthetic_root, 'gtsdb', 'TestIJCNN2013', '*.ppm')))
    assert images
    out_dir = tmp_path / 'infer'
    tool('tools/infer.py', CONFIG, str(ckpt),
         osp.join(synthetic_root, 'gtsdb', 'TestIJCNN2013'), '--out-dir',
         str(out_dir), '--device', 'cpu')
    pngs = sorted(out_dir.glob('*.png'))
    assert [p.stem for p in pngs] == [
        osp.splitext(osp.basename(p))[0] for p in images]
    h, w = mmcv.imread(images[0]).shape[:2]
    # input + L1 + L2 + L3 + final leaf, side by side
    assert mmcv.imread(str(pngs[0])).shape == (h, 5 * w, 3)


def test_box_copy_paste_pastes_gtsdb_boxes(synthetic_root):
    """The copy-paste ablation: its GTSDB pipeline puts more labelled
    regions into a crop than the plain one (it trains through
    tools/train.py in the paste-into-every-crop test below, whose config
    pastes into GTSDB crops the same way)."""
    import cv2
    import numpy as np
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmhier.registry import DATASETS

    paste_cfg = 'configs/hier/ablations/hier_tiny_box-copy-paste.py'
    init_default_scope('mmhier')
    regions = {}
    for name, path in (('plain', CONFIG), ('paste', paste_cfg)):
        gtsdb = Config.fromfile(path).train_dataloader.dataset.datasets[2]
        gtsdb.data_root = osp.join(synthetic_root, 'gtsdb')
        dataset = DATASETS.build(gtsdb)
        np.random.seed(0)
        counts = []
        for i in range(24):
            seg = dataset[i % len(dataset)]['data_samples'].gt_sem_seg.data
            labelled = (seg.numpy()[0] != 255).astype(np.uint8)
            counts.append(cv2.connectedComponents(labelled)[0] - 1)
        regions[name] = np.mean(counts[8:])  # once the cache has filled
    # up to 4 pasted (2 on average) where they fit
    assert regions['paste'] >= regions['plain'] + 1.0, regions


def test_box_copy_paste_into_street_crops_and_trains(
        synthetic_root, tool, tmp_path, monkeypatch):
    """The paste-into-every-crop ablation: once the GTSDB pipeline has run,
    Cityscapes crops hold GTSDB weak codes (their own crops have none), and
    it trains through tools/train.py."""
    import numpy as np
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmhier.datasets.transforms import box_copy_paste
    from mmhier.registry import DATASETS

    monkeypatch.setattr(box_copy_paste, '_SHARED_CACHES', {})
    paste_cfg = 'configs/hier/ablations/hier_tiny_box-copy-paste-all.py'
    init_default_scope('mmhier')
    sources = Config.fromfile(paste_cfg).train_dataloader.dataset.datasets
    datasets = {}
    for name, cfg in zip(('cityscapes', 'gtsdb'), (sources[0], sources[2])):
        cfg.data_root = osp.join(synthetic_root, name)
        datasets[name] = DATASETS.build(cfg)
    np.random.seed(0)

    def codes(name, i):
        sample = datasets[name][i % len(datasets[name])]['data_samples']
        seg = sample.gt_sem_seg.data.numpy()[0]
        return seg[seg != 255]

    assert box_copy_paste._SHARED_CACHES.get('gtsdb', []) == []
    # GTSDB labels are weak codes only: the smallest is >= the first one
    weak_offset = min(int(codes('gtsdb', i).min()) for i in range(8))
    assert len(box_copy_paste._SHARED_CACHES['gtsdb']) > 0
    weak_pixels = [int((codes('cityscapes', i) >= weak_offset).sum())
                   for i in range(12)]
    # up to 4 regions per crop (2 on average): most crops get some
    assert sum(n > 0 for n in weak_pixels) >= 6, weak_pixels

    work = tmp_path / 'work'
    out = tool('tools/train.py', paste_cfg, '--work-dir', str(work),
               *_options(synthetic_root)).stdout
    assert 'decode.loss_hier.traffic_sign_front' in out
    assert (work / 'iter_2.pth').is_file()


def _hier_vs_flat(monkeypatch):
    from tool_runs import REPO, load_tool_module

    # run as a script, the driver finds ``common`` in its own folder
    monkeypatch.syspath_prepend(osp.join(REPO, 'tools', 'experiments'))
    return load_tool_module('tools/experiments/hier_vs_flat.py')


def test_hier_vs_flat_same_budget_and_table(monkeypatch):
    import argparse

    import pytest
    hvf = _hier_vs_flat(monkeypatch)
    monkeypatch.chdir(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
        __file__)))))
    args = argparse.Namespace(iters=16, seed=3, num_workers=0,
                              data_root='/elsewhere')
    cfgs = {name: hvf.derive_config(path, args)
            for name, path in hvf.MODELS.items()}
    hvf.check_same_budget(cfgs)
    hier, flat = cfgs['hier'], cfgs['flat_joint']
    assert hier.param_scheduler[0].milestones == [8, 12, 14]
    assert all(c.train_cfg.max_iters == 16 for c in cfgs.values())
    roots = [d.data_root for d in flat.test_dataloader.dataset.datasets]
    assert roots == ['/elsewhere/cityscapes', '/elsewhere/mapillary_vistas',
                     '/elsewhere/gtsdb', '/elsewhere/gtsdb',
                     '/elsewhere/cityscapes_extended']
    assert hier.test_evaluator[0].class_subset.train_ann_file == \
        '/elsewhere/gtsdb/TrainIJCNN2013/gt.txt'
    # the joint flat model is scored with the fair protocol, also per tree
    # level; the single-dataset ones are not
    assert flat.test_evaluator[0].fair_protocol
    assert all(m.fair_protocol for m in flat.test_evaluator[1:])
    assert not cfgs['flat_gtsdb'].test_evaluator[0].fair_protocol
    assert [m.dataset_name for m in cfgs['flat_gtsdb'].test_evaluator[1:]] \
        == ['gtsdb', 'gtsdb_outlines']
    flat.optim_wrapper.optimizer.lr = 0.1
    with pytest.raises(ValueError, match='optim_wrapper'):
        hvf.check_same_budget(cfgs)

    def metrics(value):
        return {f'{c}/{m}': value for c, _, _ in hvf.COLUMNS
                for m in ('mPA', 'mIoU')}
    results = dict(
        hier=dict(greedy=metrics(30.0), soft=metrics(20.0)),
        flat_cityscapes=dict(flat=metrics(12.5)),
        flat_vistas=dict(flat=metrics(12.5)),
        flat_gtsdb=dict(flat=metrics(2.5)),
        flat_joint=dict(flat=metrics(0.0)))
    table = hvf.paper_tables(results)
    assert '+27.50' in table and '+30.00' in table and '+17.50' in table
    assert 'GTSDB outlines' in table and 'hier soft' in table


def test_hier_vs_flat_copy_paste_for_every_gtsdb_model(monkeypatch):
    """The main job's config pastes GTSDB boxes: the comparison refuses
    flat baselines without it, and ``--gtsdb-copy-paste`` gives it to
    every model that trains on GTSDB, once."""
    import argparse

    import pytest
    hvf = _hier_vs_flat(monkeypatch)
    monkeypatch.chdir(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
        __file__)))))
    main_job = \
        'configs/hier/hier_r18-tiny-d8_1xb4-2000i_synthetic-cvg-128x128.py'
    paths = dict(hvf.MODELS, hier=main_job)
    args = argparse.Namespace(iters=16, seed=0, num_workers=0,
                              data_root='data/synthetic', gtsdb_copy_paste=0)
    cfgs = {name: hvf.derive_config(path, args)
            for name, path in paths.items()}
    with pytest.raises(ValueError, match='copy-paste of GTSDB boxes'):
        hvf.check_same_budget(cfgs)
    args.gtsdb_copy_paste = 4
    cfgs = {name: hvf.derive_config(path, args)
            for name, path in paths.items()}
    hvf.check_same_budget(cfgs)
    for name in ('hier', 'flat_joint', 'flat_gtsdb'):
        steps = [t['type'] for t in hvf._gtsdb_train_pipelines(cfgs[name])[0]]
        assert steps.count('BoxCopyPaste') == 1, name
        assert steps[-2:] == ['BoxCopyPaste', 'PackHierSegInputs'], name
        assert hvf._copy_paste(cfgs[name])[0][0]['max_num_pasted'] == 4
    assert hvf._gtsdb_train_pipelines(cfgs['flat_cityscapes']) == []
