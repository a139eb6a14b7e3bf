# Copyright (c) mmhier contributors. All rights reserved.
"""Draw the decision of every tree level for images, like the figures of
Meletis & Dubbelman (IV 2018)::

    python tools/infer.py CONFIG CHECKPOINT IMG_OR_FOLDER --out-dir DIR \\
        [--device cpu]

Writes ``DIR/<image name>.png`` per image: the input, the colour-coded
decision of each level (L1 = root classifier, L2, L3, ...; black where the
decided path ends above the level) and the final leaf, side by side, at the
input's resolution. Works for hierarchical models (levels from the head) and
for flat baselines whose config names their ``taxonomy`` (levels from the
predicted class's ancestors). The checkpoint is loaded with
``weights_only=True``.
"""
import argparse
import os
import os.path as osp

import mmcv
import numpy as np
from mmengine.config import DictAction
from mmengine.utils import track_iter_progress

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.tif', '.tiff')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Per-level decisions of a (hierarchical) segmentor')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('img', help='an image file or a folder of images')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--no-titles', action='store_true', help='do not label the panels')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args()


def list_images(path: str) -> list:
    """``path`` itself, or the images in the folder ``path`` (recursively,
    sorted)."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'no image or folder {path}')
    images = sorted(
        osp.join(root, name) for root, _, names in os.walk(path)
        for name in names if name.lower().endswith(IMG_EXTENSIONS))
    if not images:
        raise FileNotFoundError(f'no image ({", ".join(IMG_EXTENSIONS)}) '
                                f'in {path}')
    return images


def main():
    args = parse_args()
    images = list_images(args.img)
    # imported late so that --help works fast; importing mmhier registers
    # its components (init_model does not run the config's custom_imports)
    from mmhier.apis import inference_levels, init_model, model_taxonomy
    from mmhier.visualization import draw_level_panels

    model = init_model(args.config, args.checkpoint, args.device,
                       args.cfg_options)
    tree = model_taxonomy(model)
    os.makedirs(args.out_dir, exist_ok=True)
    root = args.img if osp.isdir(args.img) else osp.dirname(args.img)
    for path in track_iter_progress(images):
        sample = inference_levels(model, path)
        levels = sample.pred_level_sem_seg.data.cpu().numpy()
        image = mmcv.imread(path, channel_order='rgb')
        canvas = draw_level_panels(
            image, levels, tree.node_palette, with_titles=not args.no_titles)
        name = osp.splitext(osp.relpath(path, root))[0].replace(os.sep, '_')
        mmcv.imwrite(
            np.ascontiguousarray(canvas[..., ::-1]),
            osp.join(args.out_dir, name + '.png'))
    print(f'\nwrote {len(images)} image(s) to {args.out_dir}')


if __name__ == '__main__':
    main()
