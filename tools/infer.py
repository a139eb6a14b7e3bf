# Copyright (c) mmhier contributors. All rights reserved.
"""Draw the decision of every tree level for images, like the figures of
Meletis & Dubbelman (IV 2018)::

    python tools/infer.py CONFIG CHECKPOINT IMG_OR_FOLDER --out-dir DIR \\
        [--device cpu]
    python tools/infer.py CONFIG IMG_OR_FOLDER --out-dir DIR \\
        --backend ort --onnx model.onnx
    python tools/infer.py CONFIG CHECKPOINT IMG_OR_FOLDER --out-dir DIR \\
        --backend pytorch-fast --device cuda:0 --batch-size 16 \\
        [--amp fp16] [--channels-last] [--compile MODE | --cuda-graph]

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
needed then. ``--backend pytorch-fast`` runs the same model in batches
through ``mmhier.deploy.FastInference`` (device-side normalisation,
optional AMP, channels_last, torch.compile or CUDA graphs; images of
different sizes in one batch are padded to the largest, as mmseg pads).
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
        choices=['pytorch', 'pytorch-fast', 'ort'],
        default='pytorch',
        help='pytorch (default), the batched fast PyTorch path, or '
        'onnxruntime on the CPU (needs --onnx)')
    fast = parser.add_argument_group('pytorch-fast options')
    fast.add_argument('--batch-size', type=int, default=1)
    fast.add_argument(
        '--amp', choices=['fp16', 'bf16'], help='autocast dtype')
    fast.add_argument(
        '--channels-last',
        action='store_true',
        help='model and input in the channels_last memory format')
    fast.add_argument(
        '--compile',
        nargs='?',
        const='default',
        help='torch.compile the model, with this mode (default: default)')
    fast.add_argument(
        '--cuda-graph',
        action='store_true',
        help='replay the model from a CUDA graph (CUDA only)')
    fast.add_argument(
        '--num-workers',
        type=int,
        help='threads loading and resizing images (default: one per image '
        'of a batch, at most the number of cores; at batch 1 one on a GPU, '
        'none on the CPU; 0: none)')
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
    if args.backend != 'ort' and not args.checkpoint:
        parser.error(f'the {args.backend} backend needs a checkpoint')
    fast_options = args.batch_size != 1 or args.amp or args.channels_last \
        or args.compile or args.cuda_graph or args.num_workers is not None
    if fast_options and args.backend != 'pytorch-fast':
        parser.error('--batch-size, --amp, --channels-last, --compile, '
                     '--cuda-graph and --num-workers need --backend '
                     'pytorch-fast')
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
    model = None
    # imported late so that --help works fast; importing mmhier registers
    # its components (init_model does not run the config's custom_imports)
    from mmseg.apis import inference_model

    from mmhier.apis import inference_levels, init_model, model_taxonomy

    if args.backend == 'ort':
        from mmengine.config import Config

        from mmhier.deploy import ORTSegmentor
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        predict = ORTSegmentor(args.onnx, cfg, num_threads=args.threads)
        tree = predict.tree
    elif args.backend == 'pytorch-fast':
        from mmhier.deploy import FastInference
        predict = FastInference.from_checkpoint(
            args.config,
            args.checkpoint,
            args.device,
            args.cfg_options,
            amp=args.amp,
            channels_last=args.channels_last,
            compile=args.compile or False,
            cuda_graph=args.cuda_graph,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            output_device='cpu')
        tree = predict.tree
    else:
        model = init_model(args.config, args.checkpoint, args.device,
                           args.cfg_options)
        tree = model_taxonomy(model)

        def predict(paths):
            if tree is None:  # a plain mmseg model: no levels to add
                return inference_model(model, paths)
            return inference_levels(model, paths)

    meta = getattr(predict, 'dataset_meta', None) or getattr(
        model, 'dataset_meta', None) or {}
    palette = meta.get('palette')
    os.makedirs(args.out_dir, exist_ok=True)
    root = args.img if osp.isdir(args.img) else osp.dirname(args.img)
    batch = args.batch_size if args.backend == 'pytorch-fast' else 1
    chunks = [images[i:i + batch] for i in range(0, len(images), batch)]
    for chunk in track_iter_progress(chunks):
        for path, sample in zip(chunk, predict(chunk)):
            draw(path, sample, tree, palette, root, args)
    print(f'\nwrote {len(images)} image(s) to {args.out_dir}')


def draw(path, sample, tree, palette, root, args):
    """Write the panels of one image's decisions (``palette``: the classes'
    colours, for a model without a tree)."""
    from mmhier.visualization import draw_label_panels, draw_level_panels
    image = mmcv.imread(path, channel_order='rgb')
    if tree is None:
        canvas = draw_label_panels(
            image, sample.pred_sem_seg.data[0].cpu().numpy(), palette,
            with_titles=not args.no_titles)
    else:
        canvas = draw_level_panels(
            image, sample.pred_level_sem_seg.data.cpu().numpy(),
            tree.node_palette, with_titles=not args.no_titles)
    name = osp.splitext(osp.relpath(path, root))[0].replace(os.sep, '_')
    mmcv.imwrite(
        np.ascontiguousarray(canvas[..., ::-1]),
        osp.join(args.out_dir, name + '.png'))


if __name__ == '__main__':
    main()
