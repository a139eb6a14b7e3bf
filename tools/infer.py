# Copyright (c) mmhier contributors. All rights reserved.
"""Draw the decision of every tree level for images, like the figures of
Meletis & Dubbelman (IV 2018)::

    python tools/infer.py CONFIG CHECKPOINT IMG_OR_FOLDER --out-dir DIR \\
        [--device cpu]
    python tools/infer.py CONFIG IMG_OR_FOLDER --out-dir DIR \\
        --backend ort --onnx model.onnx

Writes ``DIR/<image name>.png`` per image: the input, the colour-coded
decision of each level (L1 = root classifier, L2, L3, ...; black where the
decided path ends above the level) and the final leaf, side by side, at the
input's resolution. Works for hierarchical models (levels from the head) and
for flat baselines whose config names their ``taxonomy`` (levels from the
predicted class's ancestors); a plain mmseg model without a tree gets the
input and its prediction. The checkpoint is loaded with
``weights_only=True``. ``--backend ort`` runs a graph exported by
``tools/deployment/pytorch2onnx.py`` with onnxruntime on the CPU (same pre-
and post-processing, see ``mmhier.deploy.ORTSegmentor``); no checkpoint is
needed then.
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
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (the pytorch backend needs it)')
    parser.add_argument('img', help='an image file or a folder of images')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--backend',
        choices=['pytorch', 'ort'],
        default='pytorch',
        help='pytorch (default) or onnxruntime on the CPU (needs --onnx)')
    parser.add_argument(
        '--onnx', help='graph from tools/deployment/pytorch2onnx.py')
    parser.add_argument(
        '--threads',
        type=int,
        help='onnxruntime threads (default: the number of cores)')
    parser.add_argument(
        '--no-titles', action='store_true', help='do not label the panels')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    args = parser.parse_args()
    if args.backend == 'ort' and not args.onnx:
        parser.error('--backend ort needs --onnx')
    if args.backend == 'pytorch' and not args.checkpoint:
        parser.error('the pytorch backend needs a checkpoint')
    return args


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
    from mmseg.apis import inference_model

    from mmhier.apis import inference_levels, init_model, model_taxonomy
    from mmhier.visualization import draw_label_panels, draw_level_panels

    if args.backend == 'ort':
        from mmengine.config import Config

        from mmhier.deploy import ORTSegmentor
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        predict = ORTSegmentor(args.onnx, cfg, num_threads=args.threads)
        tree = predict.tree
    else:
        model = init_model(args.config, args.checkpoint, args.device,
                           args.cfg_options)
        tree = model_taxonomy(model)

        def predict(path):
            if tree is None:  # a plain mmseg model: no levels to add
                return inference_model(model, path)
            return inference_levels(model, path)

    os.makedirs(args.out_dir, exist_ok=True)
    root = args.img if osp.isdir(args.img) else osp.dirname(args.img)
    for path in track_iter_progress(images):
        sample = predict(path)
        image = mmcv.imread(path, channel_order='rgb')
        if tree is None:
            canvas = draw_label_panels(
                image, sample.pred_sem_seg.data[0].cpu().numpy(),
                model.dataset_meta['palette'],
                with_titles=not args.no_titles)
        else:
            canvas = draw_level_panels(
                image, sample.pred_level_sem_seg.data.cpu().numpy(),
                tree.node_palette, with_titles=not args.no_titles)
        name = osp.splitext(osp.relpath(path, root))[0].replace(os.sep, '_')
        mmcv.imwrite(
            np.ascontiguousarray(canvas[..., ::-1]),
            osp.join(args.out_dir, name + '.png'))
    print(f'\nwrote {len(images)} image(s) to {args.out_dir}')


if __name__ == '__main__':
    main()
