# Copyright (c) mmhier contributors. All rights reserved.
"""tools/experiments/sign_classifier_probe.py: box crops and the probe."""
import mmcv
import numpy as np
import pytest
import torch
from tool_runs import load_tool_module, run_tool


def load_tool():
    return load_tool_module('tools/experiments/sign_classifier_probe.py',
                            'sign_probe')


@pytest.fixture
def split_dir(tmp_path):
    """Two 60x40 images: pixel (y, x) = (x, y, 7); image 0 has a red 9x9
    box of class 3 at (10, 10)-(18, 18), image 1 a blue one of class 7 at
    (40, 20)-(48, 28)."""
    yy, xx = np.mgrid[0:40, 0:60]
    lines = []
    for i, (box, colour, cls) in enumerate([((10, 10, 18, 18), (255, 0, 0),
                                             3),
                                            ((40, 20, 48, 28), (0, 0, 255),
                                             7)]):
        img = np.stack([xx, yy, np.full_like(xx, 7)], -1).astype(np.uint8)
        left, top, right, bottom = box
        img[top:bottom + 1, left:right + 1] = colour
        name = f'{i:05d}.ppm'
        mmcv.imwrite(img[..., ::-1], str(tmp_path / name))  # RGB -> BGR
        lines.append(f'{name};{left};{top};{right};{bottom};{cls}')
    (tmp_path / 'gt.txt').write_text('\n'.join(lines) + '\n')
    return str(tmp_path)


def test_native_crop_is_centred_on_the_box(split_dir):
    probe = load_tool()
    x, y = probe.load_boxes(split_dir, (60, 40), 8, native=True)
    assert y.tolist() == [3, 7]
    assert x.shape == (2, 3, 8, 8)
    pixels = x * 64. + 128.
    # box 0 centre (14, 14) is at crop (4, 4): red; the window spans
    # x, y = 10..17, all inside the red box
    assert pixels[0, :, 4, 4].tolist() == [255., 0., 0.]
    assert torch.all(pixels[0, 0] == 255.)
    # box 1 centre (44, 24): crop (0, 0) is image (40, 20), inside the box
    assert pixels[1, :, 0, 0].tolist() == [0., 0., 255.]


def test_tight_crop_is_the_box_resized(split_dir):
    probe = load_tool()
    # scale (120, 80): images doubled, boxes doubled with them
    x, _ = probe.load_boxes(split_dir, (120, 80), 4, native=False)
    pixels = x * 64. + 128.
    assert torch.allclose(pixels[0, 0], torch.full((4, 4), 255.), atol=1)
    assert torch.allclose(pixels[1, 2], torch.full((4, 4), 255.), atol=1)
    assert torch.allclose(pixels[1, 0], torch.zeros(4, 4), atol=1)


def test_probe_learns_two_separable_classes(split_dir):
    probe = load_tool()
    x, y = probe.load_boxes(split_dir, (60, 40), 16, native=True)
    model = probe.train_probe(x, y, presentations=400, batch=4, lr=0.05,
                              center=True)
    assert probe.accuracy(model, x, y) == 100.0


def test_bad_line_names_file_and_line(tmp_path):
    probe = load_tool()
    (tmp_path / 'gt.txt').write_text('00000.ppm;1;2;3\n')
    with pytest.raises(ValueError, match=r'gt.txt:1: expected 6 fields'):
        probe.load_boxes(str(tmp_path), (60, 40), 8, native=True)


def test_box_cells_by_hand():
    probe = load_tool()
    # 16x16 window, stride 8: cell centres at 3.5 and 11.5
    cells = probe.box_cells((0, 4, 7, 15), 16, 5)
    assert cells.tolist() == [[-100, -100], [5, -100]]
    assert probe.box_cells((2, 2, 13, 13), 16, 1).tolist() == [[1, 1],
                                                               [1, 1]]


def test_dense_windows_hold_the_box_where_the_cells_say(split_dir):
    probe = load_tool()
    # 16x16 windows at native scale, 3 random placements per box
    x, y = probe.load_boxes(split_dir, (60, 40), 16, native=True, copies=3)
    assert x.shape == (6, 3, 16, 16) and y.shape == (6, 2, 2)
    pixels = x * 64. + 128.
    colours = [[255., 0., 0.]] * 3 + [[0., 0., 255.]] * 3
    classes = [3] * 3 + [7] * 3
    for i in range(6):
        # the 9x9 box lies inside the window: 81 pixels of its colour
        match = (pixels[i].permute(1, 2, 0) == torch.tensor(colours[i]))
        assert int(match.all(-1).sum()) == 81
        # every supervised cell centre is a box pixel, with the box's class
        for cy, cx in zip(*np.nonzero(y[i].numpy() >= 0)):
            assert y[i, cy, cx] == classes[i]
            assert pixels[i, :, cy * 8 + 4, cx * 8 + 4].tolist() == \
                colours[i]


def test_dense_probe_gives_cell_logits():
    probe = load_tool()
    model = probe.SignProbe(center=False, dense=True).eval()
    with torch.no_grad():
        out = model(torch.zeros(2, 3, 32, 32))
    assert out.shape == (2, probe.NUM_CLASSES, 4, 4)
    y = torch.full((2, 4, 4), -100)
    y[0, 1, 1] = int(out[0, :, 1, 1].argmax())
    y[1, 2, 2] = (int(out[1, :, 2, 2].argmax()) + 1) % probe.NUM_CLASSES
    # one of the two supervised cells is right
    assert probe.accuracy(model, torch.zeros(2, 3, 32, 32), y) == 50.0


def test_mask_context_keeps_only_the_box(split_dir):
    probe = load_tool()
    # box 0 (10, 10)-(18, 18), centre (14, 14): a 16x16 window starts at
    # image (6, 6), so the box is window pixels 4..12 in both axes
    x, _ = probe.load_boxes(split_dir, (60, 40), 16, native=True,
                            mask_context=True)
    inside = torch.zeros(16, 16, dtype=torch.bool)
    inside[4:13, 4:13] = True
    assert torch.all(x[0][:, ~inside] == 0)  # the mean after normalising
    assert torch.all(x[0][0, inside] == (255. - 128.) / 64.)
    # without masking the street around the box is still there
    x, _ = probe.load_boxes(split_dir, (60, 40), 16, native=True)
    assert x[0, 0, 0, 0] == (6. - 128.) / 64.  # pixel (6, 6): red = x


def test_centre_and_edge_cells_by_hand():
    probe = load_tool()
    y = torch.full((2, 6, 6), -100)
    y[0, 1:5, 0:4] = 3  # a 4x4-cell box: its middle 2x2 cells are centre
    y[1, 2, 2] = 1  # a one-cell box: that cell is its centre
    centre = probe.centre_cells(y)
    assert torch.nonzero(centre[0]).tolist() == [[2, 1], [2, 2], [3, 1],
                                                 [3, 2]]
    assert torch.nonzero(centre[1]).tolist() == [[2, 2]]

    class Constant(torch.nn.Module):  # predicts class 3 on every cell
        def forward(self, x):
            out = torch.zeros(len(x), probe.NUM_CLASSES, 6, 6)
            out[:, 3] = 1.
            return out

    # centre cells: 4 right (box 0) + 1 wrong (box 1); edge: 12 right
    centre_acc, edge_acc = probe.centre_edge_accuracy(
        Constant(), torch.zeros(2, 3, 48, 48), y)
    assert centre_acc == 80.0 and edge_acc == 100.0


def test_pool_averages_the_box_cells_around_each_cell():
    probe = load_tool()
    model = probe.SignProbe(center=False, dense=True, pool=3)
    feat = torch.full((1, 128, 4, 4), 100.)
    feat[0, :, 1, 1], feat[0, :, 1, 2] = 2., 4.

    class Fixed(torch.nn.Module):  # the backbone's output, set by hand
        def forward(self, x):
            return [feat]

    model.backbone = Fixed()
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.zero_()
        model.fc.weight[0, 0] = 1.  # logit 0 = the pooled channel 0
    mask = torch.zeros(1, 4, 4, dtype=torch.bool)
    mask[0, 1, 1] = mask[0, 1, 2] = True
    out = model(torch.zeros(1, 3, 32, 32), mask)
    # both box cells see the mean of the two; (3, 3) has none around it
    assert out[0, 0, 1, 1] == 3. and out[0, 0, 1, 2] == 3.
    # street cells: (0, 3) has only box cell (1, 2) in its 3x3, (0, 0)
    # only (1, 1)
    assert out[0, 0, 0, 3] == 4. and out[0, 0, 0, 0] == 2.
    assert out[0, 0, 3, 3] == 0.
    # without pooling each cell keeps its own feature
    model.pool = 0
    assert model(torch.zeros(1, 3, 32, 32))[0, 0, 3, 3] == 100.


def test_stage_sets_the_classifier_width():
    probe = load_tool()
    model = probe.SignProbe(center=False, dense=True, stage=1)
    assert model.fc.in_features == 32  # 16 base channels x 2
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 43, 4, 4)


def test_dense_mask_context_keeps_only_the_box(split_dir):
    probe = load_tool()
    x, y = probe.load_boxes(split_dir, (60, 40), 16, native=True, copies=3,
                            mask_context=True)
    red = torch.tensor([127., -128., -128.]) / 64.
    blue = torch.tensor([-128., -128., 127.]) / 64.
    for window, cells, colour in zip(x, y, [red] * 3 + [blue] * 3):
        street = (window == 0).all(0)
        box = (window == colour.view(3, 1, 1)).all(0)
        assert torch.all(street | box)  # nothing but the box survives
        assert box.any() and (cells >= 0).any()


def test_script_saves_a_backbone_for_init_cfg(split_dir, tmp_path):
    import glob
    import shutil
    root = tmp_path / 'gtsdb'  # split_dir is tmp_path: copy its files
    files = glob.glob(f'{split_dir}/*.ppm') + [f'{split_dir}/gt.txt']
    for split in ('TrainIJCNN2013', 'TestIJCNN2013'):
        (root / split).mkdir(parents=True)
        for f in files:
            shutil.copy(f, root / split)
    out = tmp_path / 'backbone.pth'
    run_tool('tools/experiments/sign_classifier_probe.py', '--data-root',
             str(root), '--scale', '60', '40', '--input', 'tight',
             '--presentations', '8', '--batch', '4', '--save-backbone',
             str(out))
    state = torch.load(str(out), weights_only=True)
    probe = load_tool()
    assert sorted(state) == sorted(probe.SignProbe(True).backbone.state_dict())
    bad = run_tool('tools/experiments/sign_classifier_probe.py',
                   '--data-root', str(root), '--input', 'native', '--pool',
                   '3', expect_failure=True)
    assert '--pool applies to --input dense' in bad.stdout
