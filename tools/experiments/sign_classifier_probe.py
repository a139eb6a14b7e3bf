# Copyright (c) mmhier contributors. All rights reserved.
"""How many sign presentations does the tiny backbone need to name the 43
GTSDB classes, outside the segmentation model?

A diagnostic for the hierarchical model's 43-way sign classifier: it takes
every GTSDB box of a split, at the scale the tiny segmentation configs train
at (image fitted into ``--scale``), and trains the same backbone as those
configs (ResNetV1c-18, 16 base channels, from scratch, output stride 8)
plus one linear layer as a plain image classifier, for a given number of
sign presentations (boxes seen, with repetition). Two inputs:

* ``--input tight``: the box resized to ``--size`` x ``--size`` (every sign
  at one scale), classified from the globally pooled feature;
* ``--input native``: a ``--size`` x ``--size`` window centred on the box at
  its native scale (context included), classified from the 2 x 2 feature
  cells at its centre, as a segmentation head sees a sign;
* ``--input dense``: as the segmentation model's sign classifier sees it: a
  ``--size`` x ``--size`` street crop (default 128, the configs' crop) with
  the box at a random place (``--copies`` draws per box, a test box
  centred), a 1 x 1 convolution on every stride-8 feature cell and the
  loss on every cell whose centre lies in the box; batch norm sees the whole
  crop. The accuracy is that of those cells (like the segmentation model's
  per-pixel "L3 given the path"). ``--pool K`` classifies each cell from
  the mean feature of the box cells in the K x K cells around it.

``--stage`` picks the backbone stage the classifier reads (a smaller
receptive field), ``--save-backbone`` writes the last training's backbone
weights (a start for a segmentation config's ``backbone.init_cfg``).

It prints the accuracy on the training and the test boxes for each number
of presentations, so that the budget a 43-way sign classifier needs can be
compared with what a training schedule gives it (an 800-iteration schedule
with one GTSDB crop of 1-2 signs per batch presents about 1-2 thousand
signs). Example::

    python tools/experiments/sign_classifier_probe.py \\
        --data-root data/synthetic/gtsdb --input native --lr 0.005 \\
        --presentations 1600 6400 25600
"""
import argparse
import os.path as osp
import time
from typing import Tuple

import mmcv
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.backbones import ResNetV1c

NUM_CLASSES = 43


def load_boxes(split_dir: str, scale: Tuple[int, int], size: int,
               native: bool, copies: int = 0, seed: int = 0,
               mask_context: bool = False
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Crop every ``gt.txt`` box of ``split_dir``; returns ``[N, 3, size,
    size]`` float images (roughly zero-mean) and ``[N]`` class ids.

    With ``mask_context`` (native windows only) every pixel of the window
    outside the box is set to 0 (the mean): the sign without its street.

    With ``copies > 0`` (dense mode, native scale) every box gives
    ``copies`` windows with the box at a random place inside (as far as
    it fits) and the labels are ``[N, size // 8, size // 8]`` cell maps:
    the class on the cells whose centre lies in the box, -100 elsewhere.
    """
    rng = np.random.default_rng(seed)
    ann = osp.join(split_dir, 'gt.txt')
    if not osp.isfile(ann):
        raise FileNotFoundError(f'sign_classifier_probe: no gt.txt in '
                                f'{split_dir}')
    images, labels = [], []
    cache = {}
    with open(ann) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.strip().split(';')
            if len(fields) != 6:
                raise ValueError(f'{ann}:{lineno}: expected 6 fields '
                                 f'"name;left;top;right;bottom;classId", '
                                 f'got {line.strip()!r}')
            name = fields[0]
            if name not in cache:
                img = mmcv.imread(osp.join(split_dir, name),
                                  channel_order='rgb')
                h, w = img.shape[:2]
                s = min(scale[0] / w, scale[1] / h)
                cache = {name: (mmcv.imresize(
                    img, (int(w * s + .5), int(h * s + .5))), s)}
            img, s = cache[name]
            left, top, right, bottom = (
                int(float(v) * s) for v in fields[1:5])
            cls = int(fields[5])
            if copies:
                padded = np.pad(img, ((size, size), (size, size), (0, 0)))
                for _ in range(copies):
                    # window origin: the box anywhere inside the window
                    x0 = int(rng.integers(
                        min(right - size + 1, left), max(right - size + 1,
                                                         left) + 1))
                    y0 = int(rng.integers(
                        min(bottom - size + 1, top), max(bottom - size + 1,
                                                         top) + 1))
                    window = padded[y0 + size:y0 + 2 * size,
                                    x0 + size:x0 + 2 * size]
                    if mask_context:
                        inside = np.zeros(window.shape[:2], bool)
                        inside[max(top - y0, 0):max(bottom - y0 + 1, 0),
                               max(left - x0, 0):max(right - x0 + 1, 0)] = True
                        window = np.where(inside[..., None], window, 128)
                    images.append(window)
                    labels.append(box_cells(
                        (left - x0, top - y0, right - x0, bottom - y0),
                        size, cls))
                continue
            if native:
                cx, cy = (left + right) // 2, (top + bottom) // 2
                padded = np.pad(img, ((size, size), (size, size), (0, 0)))
                y0, x0 = cy + size - size // 2, cx + size - size // 2
                crop = padded[y0:y0 + size, x0:x0 + size]
                if mask_context:
                    inside = np.zeros(crop.shape[:2], bool)
                    bx0, by0 = left - (x0 - size), top - (y0 - size)
                    inside[max(by0, 0):max(by0 + bottom - top + 1, 0),
                           max(bx0, 0):max(bx0 + right - left + 1, 0)] = True
                    crop = np.where(inside[..., None], crop, 128)
            else:
                crop = mmcv.imresize(img[top:bottom + 1, left:right + 1],
                                     (size, size))
            images.append(crop)
            labels.append(cls)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
    y = torch.from_numpy(np.stack(labels)) if copies else \
        torch.tensor(labels)
    return (x - 128.) / 64., y


def box_cells(box, size: int, cls: int, stride: int = 8) -> np.ndarray:
    """``[size // stride] * 2`` int64 map: ``cls`` on the stride-``stride``
    cells whose centre lies in ``box = (left, top, right, bottom)``
    (inclusive pixel coordinates), -100 (not supervised) elsewhere."""
    n = size // stride
    centres = np.arange(n) * stride + (stride - 1) / 2
    left, top, right, bottom = box
    inx = (centres >= left) & (centres <= right)
    iny = (centres >= top) & (centres <= bottom)
    out = np.full((n, n), -100, np.int64)
    out[np.ix_(iny, inx)] = cls
    return out


class SignProbe(nn.Module):
    """The tiny configs' backbone + a linear classifier.

    Args:
        center (bool): Classify from the 2 x 2 cells at the centre.
        dense (bool): Logits of every cell (a 1 x 1 convolution).
        pool (int): Dense only: each cell's feature is first replaced by
            the mean feature of the ``mask`` cells in the ``pool`` x
            ``pool`` cells around it (0: off).
        stage (int): Backbone stage read by the classifier (3: the last).
    """

    def __init__(self, center: bool, dense: bool = False,
                 pool: int = 0, stage: int = 3) -> None:
        super().__init__()
        self.center = center
        self.dense = dense
        self.pool = pool
        self.backbone = ResNetV1c(
            depth=18,
            stem_channels=16,
            base_channels=16,
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            out_indices=(stage, ))
        self.fc = nn.Linear(16 * 2**stage, NUM_CLASSES)

    def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
        feat = self.backbone(x)[0]
        if self.pool and mask is not None:
            m = mask[:, None].float()
            k = self.pool
            feat = F.avg_pool2d(feat * m, k, 1, k // 2) / F.avg_pool2d(
                m, k, 1, k // 2).clamp(min=1e-6)
        if self.dense:  # a 1x1 convolution: logits of every cell
            return torch.einsum('bchw,kc->bkhw', feat,
                                self.fc.weight) + self.fc.bias.view(
                                    1, -1, 1, 1)
        if self.center:
            h, w = feat.shape[2:]
            feat = feat[:, :, h // 2 - 1:h // 2 + 1, w // 2 - 1:w // 2 + 1]
        return self.fc(feat.mean((2, 3)))


def train_probe(x, y, presentations: int, batch: int, lr: float,
                center: bool, seed: int = 0,
                dense: bool = False, pool: int = 0,
                stage: int = 3) -> SignProbe:
    """SGD (momentum 0.9, wd 5e-4, lr halved at 1/2, 3/4, 7/8 as the tiny
    configs) on ``presentations // batch`` random batches."""
    torch.manual_seed(seed)
    model = SignProbe(center, dense, pool, stage)
    steps = max(presentations // batch, 1)
    opt = torch.optim.SGD(
        model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.MultiStepLR(
        opt, [steps // 2, steps * 3 // 4, steps * 7 // 8], 0.5)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(y), (batch, ))
        loss = F.cross_entropy(cell_logits(model, x[idx], y[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


def cell_logits(model, x, y):
    """``model(x)``; a pooling probe (``pool > 0``) also gets the cells
    the labels ``y`` mark as a box."""
    if getattr(model, 'pool', 0):
        return model(x, y >= 0)
    return model(x)


@torch.no_grad()
def accuracy(model: SignProbe, x, y) -> float:
    """% of boxes (dense: of the box cells) classified right."""
    right, total = 0, 0
    for i in range(0, len(y), 64):
        gt = y[i:i + 64]
        pred = cell_logits(model, x[i:i + 64], gt).argmax(1)
        right += ((pred == gt) & (gt >= 0)).sum().item()
        total += (gt >= 0).sum().item()
    return 100. * right / max(total, 1)


def centre_cells(y: torch.Tensor) -> torch.Tensor:
    """``[N, h, w]`` bool: the labelled cells of each dense label map that
    lie in the middle half of its box's cells (within a quarter of the box's
    cell extent, at least half a cell, of the box's cell centre); the other
    labelled cells are the box's edge."""
    out = torch.zeros_like(y, dtype=torch.bool)
    for i, cells in enumerate(y >= 0):
        ys, xs = torch.nonzero(cells, as_tuple=True)
        if not len(ys):
            continue
        ys, xs = ys.float(), xs.float()
        half_y = max((ys.max() - ys.min() + 1).item() / 4, 0.5)
        half_x = max((xs.max() - xs.min() + 1).item() / 4, 0.5)
        keep = ((ys - ys.mean()).abs() <= half_y) & \
            ((xs - xs.mean()).abs() <= half_x)
        out[i, ys[keep].long(), xs[keep].long()] = True
    return out


@torch.no_grad()
def centre_edge_accuracy(model: SignProbe, x, y) -> Tuple[float, float]:
    """Dense mode: % right of the box's centre cells and of its edge cells
    (:func:`centre_cells`)."""
    centre = centre_cells(y)
    counts = torch.zeros(2, 2)
    for i in range(0, len(y), 64):
        right = cell_logits(model, x[i:i + 64],
                            y[i:i + 64]).argmax(1) == y[i:i + 64]
        for k, cells in enumerate((centre[i:i + 64],
                                   (y[i:i + 64] >= 0) & ~centre[i:i + 64])):
            counts[k] += torch.tensor([(right & cells).sum().item(),
                                       cells.sum().item()])
    return tuple((100. * counts[:, 0] / counts[:, 1].clamp(min=1)).tolist())


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/synthetic/gtsdb',
                        help='GTSDB root with TrainIJCNN2013/ and '
                        'TestIJCNN2013/ (gt.txt + .ppm)')
    parser.add_argument('--train-dir', default='TrainIJCNN2013')
    parser.add_argument('--test-dir', default='TestIJCNN2013')
    parser.add_argument('--scale', type=int, nargs=2, default=[512, 256],
                        metavar=('W', 'H'),
                        help='the configs\' Resize scale (keep ratio)')
    parser.add_argument('--input', choices=['tight', 'native', 'dense'],
                        default='native')
    parser.add_argument('--size', type=int, default=None,
                        help='crop side (default 24 tight, 48 native, '
                        '128 dense)')
    parser.add_argument('--mask-context', action='store_true',
                        help='native: pixels outside the box set to the '
                        'mean (the sign without its street)')
    parser.add_argument('--copies', type=int, default=8,
                        help='dense: random windows per training box')
    parser.add_argument('--pool', type=int, default=0,
                        help='dense: each cell classified from the average '
                        'feature of the box cells in the k x k cells around '
                        'it (the box mask stands in for the root\'s sign '
                        'mask)')
    parser.add_argument('--stage', type=int, default=3,
                        help='backbone stage read (3: the last, as the '
                        'configs; 1: stride 8 too, a ~100 px receptive '
                        'field instead of ~480 px)')
    parser.add_argument('--presentations', type=int, nargs='+',
                        default=[1600, 6400, 25600])
    parser.add_argument('--batch', type=int, default=16)
    parser.add_argument('--lr', type=float, default=0.005)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--save-backbone', default=None,
                        help='save the backbone state dict of the last '
                        'training (for a segmentation config\'s '
                        'backbone init_cfg)')
    return parser.parse_args()


def main():
    args = parse_args()
    native = args.input in ('native', 'dense')
    dense = args.input == 'dense'
    size = args.size or dict(tight=24, native=48, dense=128)[args.input]
    if args.mask_context and args.input == 'tight':
        raise SystemExit('--mask-context applies to --input native / dense')
    if args.pool and not dense:
        raise SystemExit('--pool applies to --input dense only')
    xtr, ytr = load_boxes(
        osp.join(args.data_root, args.train_dir), args.scale, size, native,
        copies=args.copies if dense else 0, seed=args.seed,
        mask_context=args.mask_context)
    # dense test windows: one per box, the box placed at random as well
    xte, yte = load_boxes(
        osp.join(args.data_root, args.test_dir), args.scale, size, native,
        copies=1 if dense else 0, seed=args.seed + 1,
        mask_context=args.mask_context)
    num_boxes = len(ytr) // (args.copies if dense else 1)
    print(f'{num_boxes} training boxes, '
          f'{len(yte)} test boxes; input {args.input} {size}x{size}'
          f'{" (context masked)" if args.mask_context else ""}, '
          f'lr {args.lr}, batch {args.batch}, chance '
          f'{100 / NUM_CLASSES:.1f}%')
    cells = ' | test centre / edge cells %' if dense else ''
    print(f'presentations | epochs | train acc % | test acc %{cells} | '
          'seconds')
    for n in args.presentations:
        start = time.time()
        model = train_probe(xtr, ytr, n, args.batch, args.lr,
                            native and not dense, args.seed, dense,
                            args.pool, args.stage)
        row = (f'{n} | {n / num_boxes:.1f} | '
               f'{accuracy(model, xtr, ytr):.1f} | '
               f'{accuracy(model, xte, yte):.1f}')
        if dense:
            row += ' | {:.1f} / {:.1f}'.format(
                *centre_edge_accuracy(model, xte, yte))
        print(f'{row} | {time.time() - start:.0f}', flush=True)
    if args.save_backbone:
        torch.save(model.backbone.state_dict(), args.save_backbone)
        print(f'backbone saved to {args.save_backbone}')


if __name__ == '__main__':
    main()
