# Copyright (c) mmhier contributors. All rights reserved.
"""onnxruntime inference of an exported segmentor, with the PyTorch path's
pre- and post-processing.

:class:`ORTSegmentor` reads a graph written by
:func:`mmhier.deploy.export_onnx` and returns ``SegDataSample`` s with the
fields of :func:`mmhier.apis.inference_levels`:

* pre-processing: the config's plain-image pipeline
  (:func:`mmhier.apis.inference_pipeline`, run by mmseg's own data
  preparation) and the config's ``data_preprocessor`` (BGR -> RGB, mean/std,
  test-time padding), built from the config: the very code of the PyTorch
  path;
* the graph: backbone, head and decision rule (labels and per-level
  decisions are decided in the graph);
* post-processing as ``EncoderDecoder.postprocess_result``: padding removed
  and the decided map resized (bilinear) to the original image size. When
  the graph's size is already the original size, ``pred_sem_seg`` and
  ``pred_level_sem_seg`` are the graph's outputs as they are. Otherwise the
  map that the PyTorch path resizes is rebuilt first: the log of the one-hot
  decision (:func:`~mmhier.taxonomy.decision.decided_log_map`)
  for the greedy rule, the exported ``logprobs`` for the soft rule (without
  them, the one-hot vote of the labels); the levels are then read from the
  resized map with the same rules as the PyTorch path
  (:func:`~mmhier.taxonomy.decision.greedy_decision`, or the taxonomy's
  ancestors for a flat model).

``seg_logits`` is set when the graph exports ``logprobs`` or decides
greedily (then it is the one-hot log map, as in the PyTorch path).
"""
import copy
import os
import types
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

from .export import INPUT_NAME, METADATA_KEY
from .wrapper import restore_original_size

ImageType = Union[str, np.ndarray]


class ORTSegmentor:
    """A segmentor exported to ONNX, run by onnxruntime.

    Args:
        onnx_file (str): Written by :func:`mmhier.deploy.export_onnx`.
        config (str | Config, optional): The model's config; None uses the
            one saved in the file.
        num_threads (int, optional): onnxruntime intra-op threads; None uses
            ``os.cpu_count()``.
        providers (Sequence[str]): onnxruntime execution providers. Defaults
            to the CPU.
    """

    def __init__(self,
                 onnx_file: str,
                 config: Union[str, Config, None] = None,
                 num_threads: Optional[int] = None,
                 providers: Sequence[str] = ('CPUExecutionProvider', )):
        import json

        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(num_threads or os.cpu_count())
        self.session = ort.InferenceSession(
            onnx_file, sess_options=options, providers=list(providers))
        custom = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in custom:
            raise KeyError(f'{onnx_file} has no {METADATA_KEY!r} metadata: '
                           'export it with tools/deployment/pytorch2onnx.py')
        self.meta = json.loads(custom[METADATA_KEY])
        self.cfg = self._config(config, onnx_file)
        self.outputs = list(self.meta['outputs'])
        self.align_corners = bool(self.meta['align_corners'])
        self.dataset_meta = self.meta.get('dataset_meta')
        init_default_scope(self.cfg.get('default_scope', 'mmhier'))
        self.data_preprocessor = self._build_preprocessor()
        self.tree = self._taxonomy()
        self.coarse_nodes = list(self.cfg.get('flat_coarse_nodes', []))
        if self.meta['hierarchical']:
            self.max_depth = self.tree.depth
            self.tables = {
                k: torch.as_tensor(v)
                for k, v in self.tree.decision_tables().items()
            }

    # ------------------------------------------------------------ set-up
    def _config(self, config, onnx_file: str) -> Config:
        from mmhier.apis import inference_pipeline
        if config is None:
            if not self.meta.get('config'):
                raise KeyError(f'{onnx_file} holds no config: pass one')
            cfg = Config.fromstring(self.meta['config'], file_format='.py')
        elif isinstance(config, Config):
            cfg = copy.deepcopy(config)
        else:
            cfg = Config.fromfile(str(config))
        cfg.test_pipeline = inference_pipeline(cfg)
        return cfg

    def _build_preprocessor(self):
        from mmhier.registry import MODELS
        dp_cfg = copy.deepcopy(self.cfg.model.get(
            'data_preprocessor', dict(type='SegDataPreProcessor')))
        return MODELS.build(dp_cfg).eval()

    def _taxonomy(self):
        from mmhier.taxonomy import LabelTree
        head = self.cfg.model.get('decode_head', {})
        taxonomy = head.get('taxonomy') if self.meta['hierarchical'] else \
            self.cfg.get('taxonomy')
        return LabelTree.build(taxonomy) if taxonomy is not None else None

    # ------------------------------------------------------------ running
    def preprocess(self, imgs: Sequence[ImageType]) -> dict:
        """Images -> ``dict(inputs, data_samples)`` exactly as the PyTorch
        path's ``inference_model`` + ``data_preprocessor``."""
        from mmseg.apis.utils import _preprare_data

        # mmseg's data preparation edits the config's pipeline: give it a copy
        holder = types.SimpleNamespace(cfg=copy.deepcopy(self.cfg))
        data, _ = _preprare_data(list(imgs), holder)
        with torch.no_grad():
            return self.data_preprocessor(data, False)

    def forward(self, inputs: torch.Tensor) -> dict:
        """Run the graph on a normalised batch; outputs as torch tensors."""
        shape = self.meta.get('input_shape')
        if shape is not None and list(inputs.shape[2:]) != list(shape):
            raise ValueError(
                f'the graph was exported for {shape[0]}x{shape[1]} inputs '
                f'but the test pipeline gives '
                f'{inputs.shape[2]}x{inputs.shape[3]}: export with '
                '--dynamic-shape or --shape '
                f'{inputs.shape[2]} {inputs.shape[3]}')
        feed = {INPUT_NAME: inputs.float().contiguous().numpy()}
        outs = self.session.run(self.outputs, feed)
        return {k: torch.from_numpy(v) for k, v in zip(self.outputs, outs)}

    def __call__(self, imgs: Union[ImageType, Sequence[ImageType]]):
        """Image file(s) or BGR array(s) -> ``SegDataSample`` (a list for a
        list), like :func:`mmhier.apis.inference_levels`."""
        is_batch = isinstance(imgs, (list, tuple))
        data = self.preprocess(imgs if is_batch else [imgs])
        results = self.postprocess(
            self.forward(data['inputs']), data['data_samples'])
        return results if is_batch else results[0]

    # ------------------------------------------------------------ output
    def _decided_map(self, outs: dict, i: int) -> Optional[torch.Tensor]:
        """``[1, C, H, W]``: the map that the PyTorch path stores in
        ``seg_logits`` before resizing, or None when it cannot be rebuilt
        exactly (soft rule without exported ``logprobs``)."""
        from mmhier.taxonomy.decision import decided_log_map
        if self.meta['decision'] == 'greedy':
            num_classes = self.tree.num_leaves
            return decided_log_map(outs['labels'][i:i + 1], num_classes,
                                   torch.zeros((), dtype=torch.float32))
        if 'logprobs' in outs:
            return outs['logprobs'][i:i + 1]
        return None

    def _levels(self, seg_map: Optional[torch.Tensor],
                pred: torch.Tensor) -> torch.Tensor:
        """``[D, H, W]`` node per tree level: the greedy walk of
        ``seg_map`` (``[1, L, H, W]``) for a hierarchical model, else the
        ancestors of ``pred`` (``[H, W]``)."""
        if self.meta['hierarchical'] and seg_map is not None:
            from mmhier.taxonomy.decision import greedy_decision
            levels, _ = greedy_decision(
                seg_map, max_depth=self.max_depth, **self.tables)
            return levels[0]
        from mmhier.apis.hier_inference import level_nodes_from_prediction
        return level_nodes_from_prediction(pred, self.tree,
                                           self.coarse_nodes)

    def postprocess(self, outs: dict, data_samples: List) -> List:
        """Graph outputs -> data samples with ``pred_sem_seg``,
        ``pred_level_sem_seg`` (when the model has a taxonomy) and
        ``seg_logits`` (see the module docstring)."""
        from mmhier.taxonomy.decision import decided_log_map
        labels = outs['labels']
        _, h, w = labels.shape
        num_classes = self.tree.num_leaves if self.meta['hierarchical'] \
            else None
        for i, sample in enumerate(data_samples):
            meta = sample.metainfo
            padding = tuple(
                meta.get('img_padding_size', meta.get('padding_size',
                                                      [0] * 4)))
            ori = tuple(meta['ori_shape'][:2])
            seg_map = self._decided_map(outs, i)
            if padding == (0, 0, 0, 0) and (h, w) == ori and \
                    not meta.get('flip'):
                pred, out_map = labels[i], seg_map
                levels = outs['levels'][i] if 'levels' in outs else None
                vote = seg_map
            else:
                vote = seg_map
                if vote is None:  # soft rule without logprobs: label vote
                    vote = decided_log_map(
                        labels[i:i + 1], num_classes or len(
                            self.dataset_meta['classes']), torch.zeros(()))
                vote = restore_original_size(vote, padding, ori, meta,
                                             self.align_corners)
                pred = vote[0].argmax(dim=0)
                out_map = vote if seg_map is not None else None
                levels = None
            if levels is None and self.tree is not None:
                levels = self._levels(vote, pred)
            fields = dict(pred_sem_seg=PixelData(data=pred[None]))
            if out_map is not None:
                fields['seg_logits'] = PixelData(data=out_map[0])
            if levels is not None:
                fields['pred_level_sem_seg'] = PixelData(data=levels)
            sample.set_data(fields)
        return data_samples
