# Copyright (c) mmhier contributors. All rights reserved.
"""The ``datasets`` entries of a label-tree file.

A :class:`DatasetSpec` is one validated entry: the dataset's official label
list (raw id -> class name -> tree node), how it is annotated and which of
its ids are ignored. It owns the projection of the dataset's raw label ids
to the label codes of ``mmhier/taxonomy/encoding.py`` (:meth:`map_raw_ids`)
and, for evaluation in the dataset's own label space, the projection of
tree nodes and label codes to its evaluation classes (:meth:`eval_tables`).

A weak (``annotation='box'``) dataset supervises its nodes only through the
classifiers below the root; the root classifier must see per-pixel labels
(Meletis & Dubbelman, "Training of Convolutional Networks on Multiple
Heterogeneous Datasets for Street Scene Semantic Segmentation", IEEE IV
2018, Sec. III-D), which :func:`check_root_supervised` enforces.
"""
import copy
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .encoding import IGNORE_INDEX, NUM_CODE_VALUES
from .errors import TaxonomyError, UnknownLabelError

#: Values of a dataset's ``annotation`` key.
ANNOTATION_TYPES = ('pixel', 'box')
#: Keys a dataset entry may set (besides ``base``).
SPEC_KEYS = ('annotation', 'classes', 'num_classes', 'ignore_ids',
             'eval_ignore', 'eval_only', 'skip_classifiers')


def _fail(source: str, msg: str):
    raise TaxonomyError(f'{source}: {msg}')


class DatasetSpec:
    """One validated dataset entry of a tree file.

    Build it with :meth:`parse`; the tree then attaches the label codes with
    :meth:`bind_codes`.

    Attributes:
        name (str): Dataset name in the tree file.
        annotation (str): ``'pixel'`` or ``'box'`` (weak labels).
        eval_only (bool): Whether the dataset only evaluates.
        class_names (list[str]): Class name of every raw id.
        raw_to_node (np.ndarray): int64 node id of every raw id, 0 (the
            root) for an id mapped to None (ignore).
        ignore_ids (list[int]): Extra raw ids that mean ignore.
        eval_ignore (list[int]): Raw ids left out of the evaluation classes.
        skip_classifiers (list[str]): Internal nodes whose classifiers this
            dataset does not train.
    """

    def __init__(self, name: str, annotation: str, eval_only: bool,
                 class_names: List[str], raw_to_node: np.ndarray,
                 ignore_ids: List[int], eval_ignore: List[int],
                 skip_classifiers: List[str]) -> None:
        self.name = name
        self.annotation = annotation
        self.eval_only = eval_only
        self.class_names = class_names
        self.raw_to_node = raw_to_node
        self.ignore_ids = ignore_ids
        self.eval_ignore = eval_ignore
        self.skip_classifiers = skip_classifiers
        self.lut: Optional[np.ndarray] = None
        self.known: Optional[np.ndarray] = None
        self._eval_tables: Optional[dict] = None

    # ------------------------------------------------------------------
    # parsing and validation
    # ------------------------------------------------------------------
    @classmethod
    def parse(cls, name: str, spec: dict, tree) -> 'DatasetSpec':
        """Validate a dataset entry (``base`` already merged) against the
        structure of ``tree`` (a :class:`~mmhier.taxonomy.LabelTree` whose
        nodes are compiled)."""
        source = tree.source
        where = f'dataset {name!r}'
        unknown = set(spec) - set(SPEC_KEYS)
        if unknown:
            _fail(source, f'{where}: unknown key(s) {sorted(unknown)}; '
                  f'allowed: {sorted(set(SPEC_KEYS) | {"base"})}')
        annotation = spec.get('annotation', 'pixel')
        if annotation not in ANNOTATION_TYPES:
            _fail(source, f'{where}: annotation must be one of '
                  f'{ANNOTATION_TYPES}, got {annotation!r}')
        by_raw = _parse_classes(source, where, spec.get('classes'))
        num = int(spec.get('num_classes', max(by_raw) + 1))
        missing = sorted(set(range(num)) - set(by_raw))
        if missing:
            _fail(source, f'{where}: raw id(s) {missing} of its official '
                  f'label list (0..{num - 1}) are not mapped; map each to a '
                  'node or to None (ignore)')
        extra = sorted(set(by_raw) - set(range(num)))
        if extra:
            _fail(source,
                  f'{where}: raw id(s) {extra} exceed num_classes={num}')

        raw_to_node = np.zeros(num, np.int64)  # 0 = None (ignore)
        for raw, (cls_name, node) in sorted(by_raw.items()):
            if node is None:
                continue
            if node not in tree.node_names:
                _fail(source, f'{where}: raw id {raw} ({cls_name!r}) maps '
                      f'to unknown node {node!r}')
            nid = tree.node_id(node)
            if nid == tree.root:
                _fail(source, f'{where}: raw id {raw} ({cls_name!r}) maps '
                      f'to the root {node!r}, which no classifier decides; '
                      'use None for void/unknown labels')
            if annotation == 'box' and tree.level[nid] < 2:
                _fail(source,
                      f'{where}: weak (box) label raw id {raw} '
                      f'({cls_name!r}) maps to node {node!r}, which only the '
                      'root classifier decides; box labels need a parent '
                      'classifier below the root to refine them (the root '
                      'needs per-pixel labels)')
            raw_to_node[raw] = nid

        ignore_ids = [int(i) for i in spec.get('ignore_ids', [])]
        clash = sorted(set(ignore_ids) & set(by_raw))
        if clash:
            _fail(source, f'{where}: ignore_ids {clash} are also class ids')
        eval_ignore = [int(i) for i in spec.get('eval_ignore', [])]
        bad = sorted(set(eval_ignore) - set(by_raw))
        if bad:
            _fail(source,
                  f'{where}: eval_ignore ids {bad} are not class ids')
        skip = list(spec.get('skip_classifiers', []))
        for node in skip:
            if node not in tree.node_names or tree.is_leaf(node):
                _fail(source, f'{where}: skip_classifiers entry {node!r} is '
                      'not an internal node of the tree')
        return cls(
            name=name,
            annotation=annotation,
            eval_only=bool(spec.get('eval_only', False)),
            class_names=[by_raw[i][0] for i in range(num)],
            raw_to_node=raw_to_node,
            ignore_ids=ignore_ids,
            eval_ignore=eval_ignore,
            skip_classifiers=skip)

    @property
    def is_weak(self) -> bool:
        """Whether the dataset's labels are weak (box-derived) codes."""
        return self.annotation == 'box'

    def info(self) -> dict:
        """Plain description: ``annotation``, ``eval_only``, ``class_names``
        (per raw id), ``raw_to_node`` (node id per raw id, 0 = ignore),
        ``ignore_ids``, ``eval_ignore`` and ``skip_classifiers`` (copies)."""
        return copy.deepcopy(
            dict(
                annotation=self.annotation,
                eval_only=self.eval_only,
                class_names=self.class_names,
                raw_to_node=self.raw_to_node,
                ignore_ids=self.ignore_ids,
                eval_ignore=self.eval_ignore,
                skip_classifiers=self.skip_classifiers))

    # ------------------------------------------------------------------
    # raw ids -> label codes
    # ------------------------------------------------------------------
    def bind_codes(self, encode: Callable[[int, bool], int]) -> None:
        """Build the raw id -> label code LUT.

        Args:
            encode (Callable): ``encode(node, weak)`` -> label code
                (:meth:`LabelTree.encode`).
        """
        size = max([len(self.raw_to_node)] + [i + 1 for i in self.ignore_ids])
        lut = np.full(size, IGNORE_INDEX, np.uint8)
        known = np.zeros(size, bool)
        for raw, node in enumerate(self.raw_to_node):
            known[raw] = True
            if node > 0:
                lut[raw] = encode(int(node), self.is_weak)
        known[list(self.ignore_ids)] = True
        self.lut, self.known = lut, known

    def map_raw_ids(self, array, filename: Optional[str] = None,
                    source: str = '<dict>') -> np.ndarray:
        """Map a raw label array to uint8 label codes (same shape); raises
        :class:`UnknownLabelError` naming ``filename`` and the ids for ids
        the label list does not declare (``source``: the tree file)."""
        arr = np.asarray(array)
        if arr.dtype.kind not in 'iub':
            raise TaxonomyError(
                f'{filename or "<array>"}: labels of dataset {self.name!r} '
                f'must be integers, got dtype {arr.dtype}')
        lut, known = self.lut, self.known
        if arr.size == 0:
            return np.zeros(arr.shape, np.uint8)
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= len(lut) or not known[arr].all():
            vals = np.unique(arr)
            in_range = (vals >= 0) & (vals < len(lut))
            ok = np.zeros(len(vals), bool)
            ok[in_range] = known[vals[in_range]]
            raise UnknownLabelError(
                f'{filename or "<array>"}: label id(s) '
                f'{vals[~ok].tolist()} are not in the label list of dataset '
                f'{self.name!r} (declared in {source})')
        return lut[arr]

    # ------------------------------------------------------------------
    # evaluation in the dataset's own label space
    # ------------------------------------------------------------------
    def eval_tables(self, tree) -> dict:
        """The dataset's evaluation classes and projections to them.

        Evaluation classes are the raw ids mapped to a node (not in
        ``eval_ignore``), in raw-id order, de-duplicated by node; a class is
        named after its raw class, or after the node when several raw classes
        map to that node. A node projects to the class of its nearest
        ancestor-or-self that is one.

        Returns:
            dict: ``classes`` (names), ``eval_nodes`` (node of each class),
            ``raw`` (uint8 raw id -> class), ``node`` (uint8 ``[num_nodes]``
            node -> class), ``code`` (uint8 ``[256]`` label code ->
            class, weak codes like their node) and ``code_exact`` (the
            same, but only codes whose node is itself an evaluation class);
            255 where there is none.
        """
        if self._eval_tables is not None:
            return self._eval_tables
        names, node_to_eval = [], {}
        raw_to_eval = np.full(len(self.lut), IGNORE_INDEX, np.uint8)
        for raw, node in enumerate(self.raw_to_node):
            if node <= 0 or raw in self.eval_ignore:
                continue
            if node not in node_to_eval:
                node_to_eval[node] = len(names)
                names.append(self.class_names[raw])
            elif names[node_to_eval[node]] != self.class_names[raw]:
                # several raw classes share one node: name it after the node
                names[node_to_eval[node]] = tree.node_names[node]
            raw_to_eval[raw] = node_to_eval[node]
        node_map = np.full(tree.num_nodes, IGNORE_INDEX, np.uint8)
        for n in range(tree.num_nodes):
            for a in [n] + tree.ancestors(n):
                if a in node_to_eval:
                    node_map[n] = node_to_eval[a]
                    break
        code_map = np.full(NUM_CODE_VALUES, IGNORE_INDEX, np.uint8)
        valid = tree.code_to_node > 0
        code_map[valid] = node_map[tree.code_to_node[valid]]
        exact_map = np.full(tree.num_nodes, IGNORE_INDEX, np.uint8)
        for node, k in node_to_eval.items():
            exact_map[node] = k
        code_exact = np.full(NUM_CODE_VALUES, IGNORE_INDEX, np.uint8)
        code_exact[valid] = exact_map[tree.code_to_node[valid]]
        self._eval_tables = dict(
            classes=names, raw=raw_to_eval, node=node_map, code=code_map,
            code_exact=code_exact, eval_nodes=list(node_to_eval))
        return self._eval_tables


def _parse_classes(source: str, where: str,
                   classes) -> Dict[int, Tuple[str, Optional[str]]]:
    """``classes`` of a dataset entry -> ``{raw id: (class name, node)}``."""
    if isinstance(classes, dict):
        entries = [(raw, *val) if isinstance(val, (list, tuple))
                   else (raw, val) for raw, val in classes.items()]
    elif isinstance(classes, (list, tuple)) and classes:
        entries = [tuple(e) if isinstance(e, (list, tuple)) else (e, )
                   for e in classes]
    else:
        _fail(source, f'{where}: `classes` must be a non-empty dict '
              '{raw_id: (class name, node)} or list of '
              '(raw_id, class name, node)')
    by_raw: Dict[int, Tuple[str, Optional[str]]] = {}
    by_class: Dict[str, int] = {}
    for entry in entries:
        if len(entry) != 3:
            _fail(source, f'{where}: entry {entry!r} must be (raw_id, class '
                  'name, node name or None)')
        raw, cls_name, node = entry
        if isinstance(raw, bool) or \
                not isinstance(raw, (int, np.integer)) or raw < 0:
            _fail(source, f'{where}: raw id {raw!r} must be an int >= 0')
        raw = int(raw)
        if raw in by_raw:
            _fail(source, f'{where}: raw id {raw} is mapped twice '
                  f'({by_raw[raw]} and {(cls_name, node)})')
        if cls_name in by_class:
            _fail(source, f'{where}: class name {cls_name!r} is used by raw '
                  f'ids {by_class[cls_name]} and {raw}')
        by_raw[raw] = (str(cls_name), node)
        by_class[cls_name] = raw
    return by_raw


def parse_dataset_specs(datasets, tree) -> 'OrderedDict[str, DatasetSpec]':
    """Validate a tree file's ``datasets`` dict, in file order.

    An entry with ``base`` is a view of another entry's label list: it takes
    the base's keys except ``eval_ignore`` and ``skip_classifiers``, then its
    own, and is ``eval_only`` unless it says otherwise.
    """
    source = tree.source
    if not isinstance(datasets, dict):
        _fail(source, '`datasets` must be a dict {name: dict(...)}')
    parsed: 'OrderedDict[str, DatasetSpec]' = OrderedDict()
    for name, spec in datasets.items():
        if not isinstance(spec, dict):
            _fail(source, f'dataset {name!r}: spec must be a dict')
        if 'base' in spec:
            base = spec['base']
            if base not in datasets or 'base' in datasets[base]:
                _fail(source, f'dataset {name!r}: base {base!r} is not a '
                      'dataset declared with its own classes')
            merged = copy.deepcopy(datasets[base])
            merged.pop('eval_ignore', None)
            merged.pop('skip_classifiers', None)
            merged.update({k: v for k, v in spec.items() if k != 'base'})
            merged['eval_only'] = spec.get('eval_only', True)
            spec = merged
        parsed[name] = DatasetSpec.parse(name, spec, tree)
    return parsed


def weak_nodes(specs: Sequence[DatasetSpec]) -> List[int]:
    """Sorted nodes that a box dataset maps a raw id to (they get weak
    codes, see ``mmhier/taxonomy/encoding.py``)."""
    return sorted({int(node) for d in specs if d.is_weak
                   for node in d.raw_to_node if node > 0})


def check_root_supervised(specs: 'OrderedDict[str, DatasetSpec]',
                          source: str) -> None:
    """Raise unless a per-pixel training dataset labels some node (and so
    supervises the root classifier); a tree without datasets passes."""
    trainers = [n for n, d in specs.items()
                if not d.is_weak and not d.eval_only
                and (d.raw_to_node > 0).any()]
    if specs and not trainers:
        _fail(source,
              'the root classifier is not supervised by any per-pixel '
              f'training dataset (datasets: {list(specs)}); the root must '
              'see per-pixel labels (Meletis & Dubbelman, Sec. III-D)')
