# Copyright (c) mmhier contributors. All rights reserved.
"""Batched PyTorch inference with the host work cut down: the fast path of
a segmentor on a GPU, with the results of the PyTorch path.

:class:`FastInference` returns ``SegDataSample`` s with the fields of
:func:`mmhier.apis.inference_levels` (``pred_sem_seg``,
``pred_level_sem_seg``, optionally ``seg_logits``), like
:class:`~mmhier.deploy.ORTSegmentor`, but spends its time differently:

* pre-processing: the config's plain-image pipeline
  (:func:`mmhier.apis.inference_pipeline`: loading and the test resize)
  runs per image on the host up to, not including, ``PackSegInputs``; the
  resized ``uint8`` images are copied into one padded ``[B, H, W, 3]`` host
  buffer (pinned on a GPU) and sent to the device at once. There, one set
  of tensor ops does what the config's ``SegDataPreProcessor`` does image by
  image (BGR -> RGB, ``(x - mean) / std``, padding to the batch's size with
  ``pad_val``, after the test ``size`` / ``size_divisor`` when the
  preprocessor's ``test_cfg`` names one). The ``[B, H, W, 3]`` buffer seen
  as ``[B, 3, H, W]`` is already in the channels_last layout;
* the model: :class:`~mmhier.deploy.SegmentorExportWrapper` (backbone,
  head, resize to the input and decision rule as one tensor function),
  optionally under ``torch.autocast`` (``amp``), with the model in the
  channels_last memory format, compiled by ``torch.compile`` or replayed
  from a CUDA graph;
* post-processing per image as ``EncoderDecoder.postprocess_result``:
  padding cropped; when the pipeline resized the image, the map that the
  PyTorch path resizes (the one-hot log map of the greedy decision, the
  log-probabilities for the soft rule and flat heads) is cropped, resized
  to the original size and decided again (argmax, and the greedy walk for
  the levels), as :class:`~mmhier.deploy.ORTSegmentor` does, all on the
  device.

Images of different sizes share a batch: each is padded (bottom and right,
like mmseg's ``stack_batch``) to the largest, and its outputs cropped. The
padding is part of the network's input, so near the bottom and right
borders a padded image's decisions can differ from the image's alone, as in
mmseg when the preprocessor's ``test_cfg`` pads; the results equal the
PyTorch path's with the same padding.

Options follow the PyTorch documentation: "Automatic Mixed Precision"
(``torch.autocast``), "Channels Last Memory Format in PyTorch",
``torch.compile`` and "CUDA Graphs" (``torch.cuda.graph``: warm-up on a side
stream, capture with static input and output tensors, replay after copying
each batch into the static input).
"""
import copy
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.structures import PixelData

from .wrapper import SegmentorExportWrapper, restore_original_size

ImageType = Union[str, np.ndarray]
#: ``amp`` values and their dtypes
AMP_DTYPES = dict(fp16=torch.float16, bf16=torch.bfloat16)


class FastInference:
    """Batched inference of a segmentor from :func:`mmhier.apis.init_model`.

    Args:
        model (nn.Module): An ``EncoderDecoder`` with
            ``test_cfg.mode='whole'`` (pruned checkpoints included), see
            :class:`~mmhier.deploy.SegmentorExportWrapper`. It is moved to
            ``device`` (and to channels_last with ``channels_last``).
        device (str | torch.device, optional): Where the model runs; None
            keeps the model's device.
        amp (str, optional): ``'fp16'`` or ``'bf16'``: run the model under
            ``torch.autocast`` with that dtype (fp16 on a GPU's tensor
            cores, bf16 on CPUs that have it); None runs in fp32. Backbone
            and head run in that dtype, the decision rule on their output
            in fp32; labels can differ from fp32 where classes are near
            ties.
        channels_last (bool): Model and input in the channels_last (NHWC)
            memory format: the layout of the tensor-core convolutions of
            cuDNN, mostly useful with ``amp``.
        compile (bool | str): ``torch.compile`` the device step (input
            normalisation, network, decision); a string is the compile
            ``mode`` (``'default'``, ``'reduce-overhead'``,
            ``'max-autotune'``), True the default mode. Each new input shape
            compiles again.
        cuda_graph (bool): Capture the device step in a CUDA graph at the
            first batch's shape and replay it (no per-kernel launch cost;
            CUDA only). Every batch is padded to ``batch_size`` images; a
            batch of another height or width raises ``ValueError`` (set
            ``pad_size``). Not combined with ``compile``.
        batch_size (int): Images per forward pass.
        pad_size (tuple[int, int], optional): Pad every batch to this
            ``(H, W)`` (at least every resized image), like the data
            preprocessor's ``test_cfg=dict(size=...)``: one input shape for
            CUDA graphs or ``torch.compile``.
        decision (str, optional): ``'greedy'`` or ``'soft'`` for a
            hierarchical head; None takes the head's own.
        with_logits (bool): Also return ``seg_logits`` (the map that the
            PyTorch path stores there: the one-hot log map of the greedy
            decision, else the log-probabilities / logits), at the original
            size.
        output_device (str | torch.device, optional): Where the returned
            tensors live; None leaves them on ``device`` (as the PyTorch
            path does).
        num_workers (int, optional): Threads that load and resize the
            images of a batch on the host (OpenCV releases the GIL while it
            decodes and resizes), and load the next batch while the device
            runs the current one. 0 loads in the calling thread, one image
            after the other. None (default): :meth:`default_num_workers`.
    """

    def __init__(self,
                 model: nn.Module,
                 device: Union[str, torch.device, None] = None,
                 amp: Optional[str] = None,
                 channels_last: bool = False,
                 compile: Union[bool, str] = False,
                 cuda_graph: bool = False,
                 batch_size: int = 1,
                 pad_size: Optional[Tuple[int, int]] = None,
                 decision: Optional[str] = None,
                 with_logits: bool = False,
                 output_device: Union[str, torch.device, None] = None,
                 num_workers: Optional[int] = None):
        from mmhier.apis import unwrap_model
        model = unwrap_model(model)
        self.device = torch.device(device) if device is not None else next(
            model.parameters()).device
        if amp is not None and amp not in AMP_DTYPES:
            raise ValueError(f'amp must be None or one of '
                             f'{tuple(AMP_DTYPES)}, got {amp!r}')
        if int(batch_size) < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if num_workers is None:
            num_workers = self.default_num_workers(batch_size,
                                                   self.device.type)
        if int(num_workers) < 0:
            raise ValueError(f'num_workers must be >= 0, got {num_workers}')
        if cuda_graph and self.device.type != 'cuda':
            raise ValueError(
                f'cuda_graph=True needs a CUDA device; device is '
                f'{self.device}: use cuda_graph=False (or compile) there')
        if cuda_graph and compile:
            raise ValueError(
                'cuda_graph and compile are exclusive: for both, use '
                "compile='reduce-overhead' (torch.compile's CUDA graphs)")
        self.amp = amp
        self.channels_last = bool(channels_last)
        self.batch_size = int(batch_size)
        self.pad_size = tuple(pad_size) if pad_size is not None else None
        self.with_logits = bool(with_logits)
        self.output_device = torch.device(output_device) \
            if output_device is not None else None
        self.cfg = model.cfg
        self.dataset_meta = getattr(model, 'dataset_meta', None)

        model = model.to(self.device).eval()
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self._init_decision(model, decision)
        self.wrapper = SegmentorExportWrapper(
            model, decision, outputs=self.outputs).to(self.device).eval()
        self._init_preprocessor(model.data_preprocessor)
        self._init_pipelines()

        self.compile = compile
        self._step = self._device_step
        if compile:
            mode = None if compile is True else str(compile)
            self._step = torch.compile(self._device_step, mode=mode)
        self.cuda_graph = bool(cuda_graph)
        self._graph = None
        self.num_workers = int(num_workers)
        self._pool = ThreadPoolExecutor(
            self.num_workers, thread_name_prefix='fast-inference-load'
        ) if self.num_workers > 0 else None

    @staticmethod
    def default_num_workers(batch_size: int, device_type: str,
                            cpu_count: Optional[int] = None) -> int:
        """Loading threads when none are given: one per image of a batch,
        at most the number of cores. At batch 1 one thread on a GPU, where
        it loads the next image while the device runs, and none on the CPU,
        where the model already uses the cores and a thread only adds its
        hand-over (one Cityscapes-size JPEG: 44 ms in a thread, 36 ms in
        the calling thread, on a 2-core CPU)."""
        cores = cpu_count or os.cpu_count() or 1
        if int(batch_size) > 1:
            return min(int(batch_size), cores)
        return 1 if device_type == 'cuda' else 0

    def close(self) -> None:
        """Stop the loading threads (also done when the object is
        collected)."""
        # getattr: __del__ also runs after an __init__ that raised early
        if getattr(self, '_pool', None) is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __del__(self) -> None:
        self.close()

    @classmethod
    def from_checkpoint(cls,
                        config,
                        checkpoint: Optional[str] = None,
                        device: str = 'cpu',
                        cfg_options: Optional[dict] = None,
                        **kwargs) -> 'FastInference':
        """Build the model with :func:`mmhier.apis.init_model` (pruned
        checkpoints replay their history) on ``device``; ``kwargs`` are
        this class's options."""
        from mmhier.apis import init_model
        model = init_model(config, checkpoint, device, cfg_options)
        return cls(model, device=device, **kwargs)

    # ------------------------------------------------------------ set-up
    def _init_decision(self, model, decision) -> None:
        """Which graph outputs the post-processing needs, and the tables of
        the per-level decisions."""
        from mmhier.apis.hier_inference import class_to_node, model_taxonomy
        from mmhier.deploy.wrapper import _hierarchical_head
        head = model.decode_head
        self.hierarchical = _hierarchical_head(head)
        if decision is None:
            decision = head.decision if self.hierarchical else 'soft'
        self.decision = decision
        self.num_classes = int(head.num_classes)
        self.align_corners = bool(getattr(head, 'align_corners', False))
        self.tree = model_taxonomy(model)
        outputs = ['labels']
        if self.tree is not None:
            outputs.append('levels')
        if decision == 'soft':  # the map the PyTorch path resizes
            outputs.append('logprobs')
        self.outputs = tuple(outputs)
        self.tables = None
        self.class_levels = None
        if self.hierarchical:
            self.tables = dict(
                path_matrix=head.path_matrix,
                slot_table=head.slot_table,
                slot_nodes=head.slot_nodes,
                node_own_classifier=head.node_own_classifier,
                max_depth=int(head.max_depth),
                classifier_slots=head.classifier_slots,
                slot_leaves=head.slot_leaves)
        elif self.tree is not None:
            coarse = model.cfg.get('flat_coarse_nodes', [])
            table = self.tree.level_ancestor_table()
            self.class_levels = torch.from_numpy(
                table[class_to_node(self.tree, coarse)]).to(self.device)

    def _init_preprocessor(self, preprocessor) -> None:
        """The config's ``SegDataPreProcessor`` settings, applied to whole
        batches by :meth:`_normalize`."""
        self.bgr_to_rgb = bool(getattr(preprocessor, 'channel_conversion',
                                       False))
        self.mean = self.std = None
        if getattr(preprocessor, '_enable_normalize', False):
            self.mean = preprocessor.mean.view(1, 3, 1, 1).float().to(
                self.device)
            self.std = preprocessor.std.view(1, 3, 1, 1).float().to(
                self.device)
        self.pad_val = float(getattr(preprocessor, 'pad_val', 0))
        test_cfg = getattr(preprocessor, 'test_cfg', None) or {}
        self.test_size = test_cfg.get('size')
        self.size_divisor = test_cfg.get('size_divisor')

    def _init_pipelines(self) -> None:
        """The plain-image pipeline up to its packing transform, for files
        and for arrays (mmseg's ``LoadImageFromNDArray``)."""
        from mmcv.transforms import Compose
        from mmengine.registry import init_default_scope

        from mmhier.apis import inference_pipeline
        init_default_scope(self.cfg.get('default_scope', 'mmhier'))
        steps = [
            t for t in inference_pipeline(self.cfg)
            if not str(t.get('type', '')).startswith('Pack')
        ]
        arrays = copy.deepcopy(steps)
        arrays[0]['type'] = 'LoadImageFromNDArray'
        self.file_pipeline = Compose(steps)
        self.array_pipeline = Compose(arrays)

    # ------------------------------------------------------------ running
    def __call__(self, imgs: Union[ImageType, Sequence[ImageType]]):
        """Image file(s) or BGR ``uint8`` array(s) -> ``SegDataSample``
        (a list for a list), in batches of ``batch_size``."""
        is_batch = isinstance(imgs, (list, tuple))
        imgs = list(imgs) if is_batch else [imgs]
        chunks = [
            imgs[start:start + self.batch_size]
            for start in range(0, len(imgs), self.batch_size)
        ]
        results = []
        pending = self._submit_loads(chunks[0]) if chunks else []
        for k in range(len(chunks)):
            loaded = [f.result() for f in pending]
            if k + 1 < len(chunks):  # the host loads while the device runs
                pending = self._submit_loads(chunks[k + 1])
            pixels, sizes, metas = self.collate(loaded)
            outs = self.forward(pixels, sizes)
            results.extend(self.postprocess(outs, metas))
        return results if is_batch else results[0]

    def _submit_loads(self, imgs: Sequence[ImageType]) -> List[Future]:
        """:meth:`load` of every image, in the threads (or done here when
        ``num_workers`` is 0), as futures in the order of ``imgs``."""
        if self._pool is not None:
            return [self._pool.submit(self.load, img) for img in imgs]
        futures = []
        for img in imgs:
            future = Future()
            future.set_result(self.load(img))
            futures.append(future)
        return futures

    def load(self, img: ImageType) -> dict:
        """One image through the pipeline: the resized ``img`` (HxWx3
        ``uint8``, BGR) and its meta."""
        if isinstance(img, np.ndarray):
            return self.array_pipeline(dict(img=img))
        return self.file_pipeline(dict(img_path=str(img)))

    def batch_shape(self, shapes: Sequence[Tuple[int, int]]
                    ) -> Tuple[int, int]:
        """``(H, W)`` of a batch of resized images: ``pad_size``, else the
        largest image padded as the preprocessor's ``test_cfg`` asks."""
        h = max(s[0] for s in shapes)
        w = max(s[1] for s in shapes)
        size = self.pad_size or self.test_size
        if size is not None:
            if h > size[0] or w > size[1]:
                raise ValueError(f'an image of {h}x{w} after the test '
                                 f'pipeline exceeds the padded size '
                                 f'{size[0]}x{size[1]}')
            return int(size[0]), int(size[1])
        if self.size_divisor:
            d = int(self.size_divisor)
            h, w = -(-h // d) * d, -(-w // d) * d
        return h, w

    def preprocess(self, imgs: Sequence[ImageType]
                   ) -> Tuple[torch.Tensor, torch.Tensor, List[dict]]:
        """Images -> (``[B, H, W, 3]`` uint8 on the device, ``[B, 2]``
        resized sizes on the device, per-image metas). ``B`` is
        ``batch_size`` with ``cuda_graph`` (missing images are zeros)."""
        return self.collate(
            [f.result() for f in self._submit_loads(imgs)])

    def collate(self, results: Sequence[dict]
                ) -> Tuple[torch.Tensor, torch.Tensor, List[dict]]:
        """:meth:`load` results -> the batch of :meth:`preprocess`."""
        shapes = [r['img'].shape[:2] for r in results]
        h, w = self.batch_shape(shapes)
        num = self.batch_size if self.cuda_graph else len(results)
        pin = self.device.type == 'cuda'
        host = torch.zeros((num, h, w, 3), dtype=torch.uint8,
                           pin_memory=pin)
        buf = host.numpy()
        metas = []
        for i, r in enumerate(results):
            img = r['img']
            if img.ndim == 2:
                img = img[..., None]
            rh, rw = img.shape[:2]
            buf[i, :rh, :rw] = img
            metas.append(
                dict(
                    img_path=r.get('img_path'),
                    ori_shape=tuple(r['ori_shape'][:2]),
                    img_shape=(rh, rw),
                    pad_shape=(h, w),
                    padding_size=[0, w - rw, 0, h - rh],
                    scale_factor=r.get('scale_factor'),
                    flip=r.get('flip', False),
                    flip_direction=r.get('flip_direction')))
        sizes = torch.tensor([m['img_shape'] for m in metas] + [[h, w]] *
                             (num - len(metas)))
        if pin:
            sizes = sizes.pin_memory()
        return (host.to(self.device, non_blocking=True),
                sizes.to(self.device, non_blocking=True), metas)

    def _normalize(self, pixels: torch.Tensor,
                   sizes: torch.Tensor) -> torch.Tensor:
        """``[B, H, W, 3]`` uint8 -> the preprocessor's ``[B, 3, H, W]``
        float input: channel order, ``(x - mean) / std``, then ``pad_val``
        outside each image's ``sizes`` (as ``stack_batch`` pads after
        normalising), for the whole batch at once."""
        x = pixels.permute(0, 3, 1, 2)  # NHWC storage: channels_last
        if self.bgr_to_rgb:
            x = x.flip(1)
        x = x.float()
        if self.mean is not None:
            x = (x - self.mean) / self.std
        _, _, h, w = x.shape
        rows = torch.arange(h, device=x.device) < sizes[:, :1]
        cols = torch.arange(w, device=x.device) < sizes[:, 1:]
        inside = (rows[:, :, None] & cols[:, None, :])[:, None]
        x = torch.where(inside, x, x.new_full((), self.pad_val))
        memory_format = torch.channels_last if self.channels_last \
            else torch.contiguous_format
        return x.contiguous(memory_format=memory_format)

    def _device_step(self, pixels: torch.Tensor,
                     sizes: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Normalisation, network and decision: the part that
        ``torch.compile`` compiles and a CUDA graph captures."""
        x = self._normalize(pixels, sizes)
        if self.amp is None:
            outs = self.wrapper(x)
        else:
            with torch.autocast(self.device.type, AMP_DTYPES[self.amp]):
                logits = self.wrapper.head_logits(x)
            # the decision in fp32: the greedy rule sums leaf probabilities,
            # which half precision would round into false ties
            outs = self.wrapper.decide(logits.float())
        if not isinstance(outs, tuple):
            outs = (outs, )
        return dict(zip(self.outputs, outs))

    @torch.no_grad()
    def forward(self, pixels: torch.Tensor,
                sizes: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The device step on a batch from :meth:`preprocess`."""
        if not self.cuda_graph:
            return self._step(pixels, sizes)
        if self._graph is None:
            self._capture(pixels, sizes)
        static_pixels, static_sizes = self._graph_inputs
        if pixels.shape != static_pixels.shape:
            raise ValueError(
                f'cuda_graph was captured for a batch of '
                f'{tuple(static_pixels.shape[:3])} (images, H, W); this '
                f'batch is {tuple(pixels.shape[:3])}: give every batch one '
                'size with pad_size=(H, W), or use cuda_graph=False')
        static_pixels.copy_(pixels)
        static_sizes.copy_(sizes)
        self._graph.replay()
        # the next replay overwrites the static outputs
        return {k: v.clone() for k, v in self._graph_outputs.items()}

    def _capture(self, pixels: torch.Tensor, sizes: torch.Tensor) -> None:
        """Warm up on a side stream, then capture the device step (the
        recipe of PyTorch's "CUDA Graphs" documentation)."""
        static_pixels, static_sizes = pixels.clone(), sizes.clone()
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(stream):
            for _ in range(3):  # cuDNN autotuning, allocator warm-up
                self._device_step(static_pixels, static_sizes)
        torch.cuda.current_stream(self.device).wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outputs = self._device_step(static_pixels, static_sizes)
        self._graph = graph
        self._graph_inputs = (static_pixels, static_sizes)
        self._graph_outputs = outputs

    # ------------------------------------------------------------ output
    def _decided_map(self, outs: dict, i: int, h: int,
                     w: int) -> torch.Tensor:
        """``[1, C, h, w]`` float: the map the PyTorch path resizes, cropped
        to the image."""
        if self.decision == 'greedy':
            from mmhier.taxonomy.decision import decided_log_map
            return decided_log_map(outs['labels'][i:i + 1, :h, :w],
                                   self.num_classes,
                                   torch.zeros((), device=self.device))
        return outs['logprobs'][i:i + 1, :, :h, :w]

    def _levels(self, seg_map: torch.Tensor,
                pred: torch.Tensor) -> torch.Tensor:
        """``[D, H, W]`` node per level: the greedy walk of ``seg_map`` for
        a hierarchical head, else the taxonomy's ancestors of ``pred``."""
        if self.hierarchical:
            from mmhier.taxonomy.decision import greedy_decision
            return greedy_decision(seg_map, **self.tables)[0][0]
        return self.class_levels[pred].permute(2, 0, 1)

    def postprocess(self, outs: Dict[str, torch.Tensor],
                    metas: Sequence[dict]) -> List:
        """Batch outputs -> one ``SegDataSample`` per image (see the module
        docstring)."""
        from mmseg.structures import SegDataSample
        samples = []
        for i, meta in enumerate(metas):
            h, w = meta['img_shape']
            ori = meta['ori_shape']
            flip = bool(meta.get('flip'))
            seg_map = None
            if (h, w) == ori and not flip:
                pred = outs['labels'][i, :h, :w]
                levels = outs['levels'][i, :, :h, :w] \
                    if 'levels' in outs else None
                if self.with_logits:
                    seg_map = self._decided_map(outs, i, h, w)
            else:
                # already cropped to the image: no padding left
                seg_map = restore_original_size(
                    self._decided_map(outs, i, h, w), (0, 0, 0, 0), ori,
                    meta, self.align_corners)
                pred = seg_map[0].argmax(dim=0)
                levels = self._levels(seg_map, pred) \
                    if 'levels' in outs else None
            fields = dict(pred_sem_seg=pred[None])
            if levels is not None:
                fields['pred_level_sem_seg'] = levels
            if self.with_logits:
                fields['seg_logits'] = seg_map[0]
            if self.output_device is not None:
                fields = {
                    k: v.to(self.output_device)
                    for k, v in fields.items()
                }
            sample = SegDataSample(
                metainfo={k: v
                          for k, v in meta.items() if v is not None})
            sample.set_data(
                {k: PixelData(data=v)
                 for k, v in fields.items()})
            samples.append(sample)
        return samples
