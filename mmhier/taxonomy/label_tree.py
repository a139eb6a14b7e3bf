# Copyright (c) mmhier contributors. All rights reserved.
"""Compile a declarative label-tree file into lookup tables.

A tree file (``configs/_base_/taxonomies/*.py``) is an MMEngine Python config
with one top-level variable ``taxonomy = dict(...)``; ``docs/taxonomy.md``
describes its keys. :class:`LabelTree` validates it once and exposes every
table the head, the loss, the datasets and the metric need, so that no other
module writes a class id down. Pure Python + numpy; torch is only imported by
the ``*_tensor`` helpers.

Vocabulary (Meletis & Dubbelman, IV 2018, Sec. III): every internal node of
the tree owns a softmax *classifier* whose *slots* are its children; a leaf's
log-probability is the sum of the log-softmax slots on its root-to-leaf path.
"""
import copy
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from .tables import level_ancestor_table
from .encoding import (IGNORE_INDEX, MAX_CODES, NUM_CODE_VALUES,
                       build_code_tables)

ANNOTATION_TYPES = ('pixel', 'box')


class TaxonomyError(ValueError):
    """A label tree (file) or a label map is inconsistent with the tree."""


class UnknownLabelError(TaxonomyError, KeyError):
    """A raw label id that the dataset's label list does not declare.

    Both a :class:`TaxonomyError` (``ValueError``) and a ``KeyError`` so that
    callers may catch either.
    """

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message; keep it readable.
        return str(self.args[0]) if self.args else ''


def _normalise(name: str) -> str:
    """Key under which two node names count as the same name."""
    return ' '.join(name.split()).casefold()


def _resolve_tree_path(path: str) -> str:
    """Absolute path of a tree file given in a config.

    Configs name trees repo-relatively (``configs/_base_/taxonomies/x.py``)
    or package-scoped (``mmhier::_base_/taxonomies/x.py``, like MMEngine's
    ``mmseg::`` bases). A relative path is looked up from the current
    directory first, then from the repository / installed package root (the
    configs ship in ``mmhier/.mim/configs``), so tools work from any
    directory and with ``mim``.
    """
    pkg_dir = osp.dirname(osp.dirname(osp.abspath(__file__)))
    if path.startswith('mmhier::'):
        rel = path[len('mmhier::'):]
        candidates = [
            osp.join(pkg_dir, '.mim', 'configs', rel),
            osp.join(osp.dirname(pkg_dir), 'configs', rel)
        ]
    elif osp.isabs(path):
        candidates = [path]
    else:
        candidates = [
            osp.abspath(path),
            osp.join(osp.dirname(pkg_dir), path),
            osp.join(pkg_dir, '.mim', path)
        ]
    for candidate in candidates:
        if osp.isfile(candidate):
            return osp.realpath(candidate)
    raise TaxonomyError(f'{path}: taxonomy file not found (looked in '
                        f'{", ".join(candidates)})')


class LabelTree:
    """A validated, compiled label tree.

    Build it with :meth:`build` (path, dict or ``LabelTree``; files are cached
    by absolute path) or :meth:`fromfile`. Node ids are assigned in
    breadth-first order (children in the order the file lists them), so id 0
    is the root and ``level`` never decreases with the id.

    Args:
        taxonomy (dict): The ``taxonomy`` dict of a tree file (see
            ``docs/taxonomy.md``): ``name``, ``tree``
            (``{parent: [children]}``), optional ``root``, ``datasets``,
            ``level_weights``, ``node_weights`` and ``palette``.
        source (str): Where the dict comes from; every error message starts
            with it. Defaults to ``'<dict>'``.
    """

    _cache: Dict[Tuple[str, int], 'LabelTree'] = {}

    # ------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------
    def __init__(self, taxonomy: dict, source: str = '<dict>') -> None:
        self.source = source
        if not isinstance(taxonomy, dict):
            self._fail(f'taxonomy must be a dict, got {type(taxonomy)}')
        self.cfg = copy.deepcopy(_to_plain(taxonomy))
        self.name = str(self.cfg.get('name', osp.basename(source)))
        self._compile_tree(self.cfg.get('tree'), self.cfg.get('root'))
        self._compile_classifiers()
        self._compile_leaves()
        self._compile_datasets(self.cfg.get('datasets', {}))
        self._compile_weights(
            self.cfg.get('level_weights'), self.cfg.get('node_weights', {}))
        self._compile_palette(self.cfg.get('palette', {}))
        self._eval_cache: Dict[str, dict] = {}

    @classmethod
    def fromfile(cls, path: str) -> 'LabelTree':
        """Load and compile a tree file (cached by absolute path).

        Args:
            path (str): An MMEngine Python config defining ``taxonomy``.
        """
        from mmengine.config import Config
        path = _resolve_tree_path(os.fspath(path))
        key = (path, os.stat(path).st_mtime_ns)
        if key not in cls._cache:
            cfg = Config.fromfile(path)
            if 'taxonomy' not in cfg:
                raise TaxonomyError(
                    f'{path}: no top-level variable `taxonomy` in the file')
            cls._cache[key] = cls(cfg['taxonomy'], source=path)
        return cls._cache[key]

    @classmethod
    def build(cls, cfg: Union[str, os.PathLike, dict,
                              'LabelTree']) -> 'LabelTree':
        """Return a tree from a path, a dict or an existing ``LabelTree``.

        Components take a ``taxonomy=`` argument and call this, so a config
        may give the path of a tree file, the ``taxonomy`` dict itself (or a
        dict holding it under ``'taxonomy'``), or a shared instance.
        """
        if isinstance(cfg, LabelTree):
            return cfg
        if isinstance(cfg, (str, os.PathLike)):
            return cls.fromfile(cfg)
        if isinstance(cfg, dict):
            if 'tree' not in cfg and 'taxonomy' in cfg:
                cfg = cfg['taxonomy']
            return cls(cfg)
        raise TaxonomyError(
            f'cannot build a LabelTree from {type(cfg).__name__}: expected a '
            'tree file path, a taxonomy dict or a LabelTree')

    def _fail(self, msg: str):
        raise TaxonomyError(f'{self.source}: {msg}')

    # ------------------------------------------------------------------
    # tree structure
    # ------------------------------------------------------------------
    def _compile_tree(self, tree, root: Optional[str]) -> None:
        if not isinstance(tree, dict) or not tree:
            self._fail('`tree` must be a non-empty dict {parent: [children]}')
        parent_of: Dict[str, str] = {}
        children_of: Dict[str, List[str]] = {}
        for parent, kids in tree.items():
            if not isinstance(parent, str):
                self._fail(f'tree key {parent!r} is not a node name (str)')
            if isinstance(kids, str) or not isinstance(kids, (list, tuple)):
                self._fail(f'children of node {parent!r} must be a list of '
                           f'names, got {kids!r}')
            seen = set()
            for kid in kids:
                if not isinstance(kid, str):
                    self._fail(f'child {kid!r} of node {parent!r} is not a '
                               'node name (str)')
                if kid in seen:
                    self._fail(f'duplicate node name {kid!r}: listed twice '
                               f'under {parent!r}')
                seen.add(kid)
                if kid in parent_of:
                    self._fail(f'node {kid!r} has two parents: '
                               f'{parent_of[kid]!r} and {parent!r}')
                parent_of[kid] = parent
            if len(kids) < 2:
                self._fail(f'internal node {parent!r} has {len(kids)} '
                           'child(ren); a classifier needs at least 2 (merge '
                           'a single child into its parent, or list a leaf '
                           'only as a child)')
            children_of[parent] = list(kids)

        all_names = list(tree) + [k for k in parent_of if k not in tree]
        by_key: Dict[str, str] = {}
        for name in all_names:
            other = by_key.setdefault(_normalise(name), name)
            if other != name:
                self._fail(f'duplicate node name: {other!r} and {name!r} '
                           'differ only by case/whitespace')

        # Root: the only parent that is nobody's child.
        if root is not None:
            if root not in children_of:
                self._fail(f'root {root!r} is not a key of `tree`')
            if root in parent_of:
                self._fail(f'root {root!r} has a parent {parent_of[root]!r}')
        else:
            tops = [n for n in children_of if n not in parent_of]
            if len(tops) > 1:
                self._fail(f'the tree has several roots: {tops} (every node '
                           'but one must be the child of another)')
            if tops:
                root = tops[0]
        if root is None:
            self._fail(f'cycle in the tree: {self._find_cycle(parent_of)} '
                       '(no node is free of a parent, so there is no root)')

        # Breadth-first ids; children keep the order of the file.
        order = [root]
        for name in order:
            order.extend(children_of.get(name, []))
        if len(order) != len(all_names):
            reached = set(order)
            stray = [n for n in all_names if n not in reached]
            cycle = self._find_cycle(
                {k: v for k, v in parent_of.items() if k in set(stray)})
            if cycle:
                self._fail(f'cycle in the tree: {cycle}')
            self._fail(f'nodes not reachable from root {root!r}: {stray}')

        self.node_names: List[str] = order
        self._name_to_id = {n: i for i, n in enumerate(order)}
        self._name_key_to_id = {_normalise(n): i for i, n in enumerate(order)}
        self.num_nodes = len(order)
        self.root = 0
        self.parent = np.array(
            [-1] + [self._name_to_id[parent_of[n]] for n in order[1:]],
            dtype=np.int64)
        self.level = np.zeros(self.num_nodes, dtype=np.int64)
        for i in range(1, self.num_nodes):
            self.level[i] = self.level[self.parent[i]] + 1
        self._children = [[self._name_to_id[c] for c in children_of.get(n, [])]
                          for n in order]
        self.depth = int(self.level.max())

    @staticmethod
    def _find_cycle(parent_of: Dict[str, str]) -> Optional[str]:
        """A readable ``a -> b -> a`` cycle among child -> parent links."""
        for start in parent_of:
            path, node = [], start
            while node in parent_of and node not in path:
                path.append(node)
                node = parent_of[node]
            if node in path:
                loop = path[path.index(node):] + [node]
                return ' -> '.join(repr(n) for n in reversed(loop))
        return None

    def _compile_classifiers(self) -> None:
        internal = [i for i in range(self.num_nodes) if self._children[i]]
        self.classifier_nodes: List[int] = internal
        self.num_classifiers = len(internal)
        self.classifier_names = [self.node_names[i] for i in internal]
        self.classifier_sizes = [len(self._children[i]) for i in internal]
        self.classifier_level = [int(self.level[i]) + 1 for i in internal]
        self.classifier_offsets = [0] + list(
            np.cumsum(self.classifier_sizes)[:-1].tolist())
        self.total_slots = int(sum(self.classifier_sizes))
        # node -> the classifier it owns (internal nodes), -1 for leaves
        self.node_own_classifier = np.full(self.num_nodes, -1, np.int64)
        self.node_own_classifier[internal] = np.arange(len(internal))
        self.node_classifier = np.full(self.num_nodes, -1, np.int64)
        self.node_slot = np.full(self.num_nodes, -1, np.int64)
        self.slot_nodes = np.zeros(self.total_slots, np.int64)
        for j, node in enumerate(internal):
            for s, child in enumerate(self._children[node]):
                self.node_classifier[child] = j
                self.node_slot[child] = s
                self.slot_nodes[self.classifier_offsets[j] + s] = child
        # classifier -> (parent classifier, slot there); -1 for the root one
        self.classifier_parent = [
            int(self.node_classifier[n]) for n in internal]
        self.classifier_parent_slot = [
            int(self.node_slot[n]) for n in internal]

    def _compile_leaves(self) -> None:
        leaves, stack = [], [self.root]
        while stack:  # depth-first pre-order, children in file order
            node = stack.pop()
            if self._children[node]:
                stack.extend(reversed(self._children[node]))
            else:
                leaves.append(node)
        self.leaves: List[int] = leaves
        self.num_leaves = len(leaves)
        self.leaf_names = [self.node_names[i] for i in leaves]
        self.leaf_index = np.full(self.num_nodes, -1, np.int64)
        self.leaf_index[leaves] = np.arange(self.num_leaves)

    # ------------------------------------------------------------------
    # structure queries
    # ------------------------------------------------------------------
    def node_id(self, name: Union[str, int]) -> int:
        """Id of the node called ``name`` (ids pass through, range-checked)."""
        if isinstance(name, (int, np.integer)):
            if not 0 <= name < self.num_nodes:
                raise TaxonomyError(f'{self.source}: node id {name} out of '
                                    f'range [0, {self.num_nodes})')
            return int(name)
        try:
            return self._name_to_id[name]
        except KeyError:
            raise TaxonomyError(f'{self.source}: unknown node {name!r}')

    def children(self, node: Union[str, int]) -> List[int]:
        """Children of ``node`` in slot order."""
        return list(self._children[self.node_id(node)])

    def is_leaf(self, node: Union[str, int]) -> bool:
        return not self._children[self.node_id(node)]

    def ancestors(self, node: Union[str, int]) -> List[int]:
        """Strict ancestors of ``node``: parent first, root last."""
        out, n = [], int(self.parent[self.node_id(node)])
        while n >= 0:
            out.append(n)
            n = int(self.parent[n])
        return out

    def is_ancestor(self, ancestor: Union[str, int],
                    node: Union[str, int]) -> bool:
        """Whether ``ancestor`` is a strict ancestor of ``node``."""
        return self.node_id(ancestor) in self.ancestors(node)

    def leaves_under(self, node: Union[str, int]) -> List[int]:
        """Leaf *indices* (into :attr:`leaves`) of the subtree of ``node``
        (``[leaf_index[node]]`` for a leaf), in leaf order."""
        node = self.node_id(node)
        return [i for i, leaf in enumerate(self.leaves)
                if leaf == node or node in self.ancestors(leaf)]

    def node_path(self, node: Union[str, int]) -> List[Tuple[int, int]]:
        """``(classifier, slot)`` pairs deciding ``node``, from the root down
        (empty for the root)."""
        node = self.node_id(node)
        chain = [node] + self.ancestors(node)[:-1]
        return [(int(self.node_classifier[n]), int(self.node_slot[n]))
                for n in reversed(chain)] if node != self.root else []

    def leaf_path(self, leaf_idx: int) -> List[Tuple[int, int]]:
        """``(classifier, slot)`` pairs from the root down to leaf
        ``leaf_idx`` (an index into :attr:`leaves`)."""
        return self.node_path(self.leaves[leaf_idx])

    def level_ancestor_table(self) -> np.ndarray:
        """``[num_nodes, depth]``: ancestor-or-self of each node at every
        tree level below the root (see
        :func:`mmhier.taxonomy.tables.level_ancestor_table`)."""
        return level_ancestor_table(self.parent, self.level)

    def path_matrix(self) -> np.ndarray:
        """0/1 matrix ``[num_leaves, total_slots]``: row i marks the global
        slots (``classifier_offsets[j] + slot``) on leaf i's path, so that
        ``leaf_logp = path_matrix @ concat_j(log_softmax(logits_j))``."""
        mat = np.zeros((self.num_leaves, self.total_slots), np.float32)
        for i in range(self.num_leaves):
            for j, s in self.leaf_path(i):
                mat[i, self.classifier_offsets[j] + s] = 1
        return mat

    def classifier_target_lut(self) -> np.ndarray:
        """Targets of every classifier for every label code.

        Returns:
            np.ndarray: int64 ``[num_classifiers, 256]``; entry ``[j, c]`` is
            the slot classifier j must predict for a pixel with code ``c``
            (the child of j's node on the path to the code's node), or -1 if
            that node is not strictly inside j's subtree, or ``c`` is ignore
            / the root / unused. Weak codes map like their node.
        """
        lut = np.full((self.num_classifiers, NUM_CODE_VALUES), -1, np.int64)
        for code in range(NUM_CODE_VALUES):
            node = int(self.code_to_node[code])
            if node <= 0:
                continue
            for j, s in self.node_path(node):
                lut[j, code] = s
        return lut

    def path_matrix_tensor(self, device=None, dtype=None):
        """:meth:`path_matrix` as a torch tensor (float32 by default)."""
        import torch
        return torch.as_tensor(
            self.path_matrix(), dtype=dtype or torch.float32, device=device)

    def classifier_target_lut_tensor(self, device=None):
        """:meth:`classifier_target_lut` as an int64 torch tensor."""
        import torch
        return torch.as_tensor(
            self.classifier_target_lut(), dtype=torch.long, device=device)

    # ------------------------------------------------------------------
    # datasets
    # ------------------------------------------------------------------
    def _compile_datasets(self, datasets) -> None:
        if not isinstance(datasets, dict):
            self._fail('`datasets` must be a dict {name: dict(...)}')
        parsed: 'OrderedDict[str, dict]' = OrderedDict()
        for name, spec in datasets.items():
            if not isinstance(spec, dict):
                self._fail(f'dataset {name!r}: spec must be a dict')
            if 'base' in spec:
                base = spec['base']
                if base not in datasets or 'base' in datasets[base]:
                    self._fail(f'dataset {name!r}: base {base!r} is not a '
                               'dataset declared with its own classes')
                merged = copy.deepcopy(datasets[base])
                merged.pop('eval_ignore', None)
                merged.pop('skip_classifiers', None)
                merged.update({k: v for k, v in spec.items() if k != 'base'})
                merged['eval_only'] = spec.get('eval_only', True)
                spec = merged
            parsed[name] = self._parse_dataset(name, spec)

        weak = sorted({node for d in parsed.values()
                       if d['annotation'] == 'box'
                       for node in d['raw_to_node'] if node > 0})
        if self.num_nodes + len(weak) > MAX_CODES:
            self._fail(
                f'{self.num_nodes} nodes + {len(weak)} weak (box) nodes = '
                f'{self.num_nodes + len(weak)} label codes exceed the uint8 '
                f'encoding ({MAX_CODES} codes, {IGNORE_INDEX} = ignore)')
        self.weak_nodes: List[int] = weak
        self.weak_offset = self.num_nodes
        self.num_codes = self.num_nodes + len(weak)
        self.code_to_node, self.code_is_weak = build_code_tables(
            self.num_nodes, weak)
        self._weak_code = {n: self.weak_offset + k for k, n in enumerate(weak)}

        for d in parsed.values():
            lut_size = max([len(d['raw_to_node'])] +
                           [i + 1 for i in d['ignore_ids']])
            lut = np.full(lut_size, IGNORE_INDEX, np.uint8)
            known = np.zeros(lut_size, bool)
            for raw, node in enumerate(d['raw_to_node']):
                known[raw] = True
                if node > 0:
                    lut[raw] = self.encode(node, d['annotation'] == 'box')
            known[list(d['ignore_ids'])] = True
            d['lut'], d['known'] = lut, known
        self._datasets = parsed
        self.dataset_names: List[str] = list(parsed)

        trainers = [n for n, d in parsed.items()
                    if d['annotation'] == 'pixel' and not d['eval_only']
                    and (d['raw_to_node'] > 0).any()]
        if parsed and not trainers:
            self._fail(
                'the root classifier is not supervised by any per-pixel '
                f'training dataset (datasets: {list(parsed)}); the root must '
                'see per-pixel labels (Meletis & Dubbelman, Sec. III-D)')

    def _parse_dataset(self, name: str, spec: dict) -> dict:
        where = f'dataset {name!r}'
        allowed = {'annotation', 'classes', 'num_classes', 'ignore_ids',
                   'eval_ignore', 'eval_only', 'skip_classifiers'}
        unknown = set(spec) - allowed
        if unknown:
            self._fail(f'{where}: unknown key(s) {sorted(unknown)}; allowed: '
                       f'{sorted(allowed | {"base"})}')
        annotation = spec.get('annotation', 'pixel')
        if annotation not in ANNOTATION_TYPES:
            self._fail(f'{where}: annotation must be one of '
                       f'{ANNOTATION_TYPES}, got {annotation!r}')
        classes = spec.get('classes')
        if isinstance(classes, dict):
            entries = [(raw, *val) if isinstance(val, (list, tuple))
                       else (raw, val) for raw, val in classes.items()]
        elif isinstance(classes, (list, tuple)) and classes:
            entries = [tuple(e) if isinstance(e, (list, tuple)) else (e, )
                       for e in classes]
        else:
            self._fail(f'{where}: `classes` must be a non-empty dict '
                       '{raw_id: (class name, node)} or list of '
                       '(raw_id, class name, node)')
        by_raw: Dict[int, Tuple[str, Optional[str]]] = {}
        by_class: Dict[str, int] = {}
        for entry in entries:
            if len(entry) != 3:
                self._fail(f'{where}: entry {entry!r} must be (raw_id, class '
                           'name, node name or None)')
            raw, cls_name, node = entry
            if isinstance(raw, bool) or \
                    not isinstance(raw, (int, np.integer)) or raw < 0:
                self._fail(f'{where}: raw id {raw!r} must be an int >= 0')
            raw = int(raw)
            if raw in by_raw:
                self._fail(f'{where}: raw id {raw} is mapped twice '
                           f'({by_raw[raw]} and {(cls_name, node)})')
            if cls_name in by_class:
                self._fail(f'{where}: class name {cls_name!r} is used by raw '
                           f'ids {by_class[cls_name]} and {raw}')
            by_raw[raw] = (str(cls_name), node)
            by_class[cls_name] = raw
        num = int(spec.get('num_classes', max(by_raw) + 1))
        missing = sorted(set(range(num)) - set(by_raw))
        if missing:
            self._fail(f'{where}: raw id(s) {missing} of its official label '
                       f'list (0..{num - 1}) are not mapped; map each to a '
                       'node or to None (ignore)')
        extra = sorted(set(by_raw) - set(range(num)))
        if extra:
            self._fail(f'{where}: raw id(s) {extra} exceed num_classes={num}')

        raw_to_node = np.zeros(num, np.int64)  # 0 = None (ignore)
        for raw, (cls_name, node) in sorted(by_raw.items()):
            if node is None:
                continue
            if node not in self._name_to_id:
                self._fail(f'{where}: raw id {raw} ({cls_name!r}) maps to '
                           f'unknown node {node!r}')
            nid = self._name_to_id[node]
            if nid == self.root:
                self._fail(f'{where}: raw id {raw} ({cls_name!r}) maps to '
                           f'the root {node!r}, which no classifier decides; '
                           'use None for void/unknown labels')
            if annotation == 'box' and self.level[nid] < 2:
                self._fail(
                    f'{where}: weak (box) label raw id {raw} ({cls_name!r}) '
                    f'maps to node {node!r}, which only the root classifier '
                    'decides; box labels need a parent classifier below the '
                    'root to refine them (the root needs per-pixel labels)')
            raw_to_node[raw] = nid

        ignore_ids = [int(i) for i in spec.get('ignore_ids', [])]
        clash = sorted(set(ignore_ids) & set(by_raw))
        if clash:
            self._fail(f'{where}: ignore_ids {clash} are also class ids')
        eval_ignore = [int(i) for i in spec.get('eval_ignore', [])]
        bad = sorted(set(eval_ignore) - set(by_raw))
        if bad:
            self._fail(f'{where}: eval_ignore ids {bad} are not class ids')
        skip = list(spec.get('skip_classifiers', []))
        for node in skip:
            if node not in self._name_to_id or self.is_leaf(node):
                self._fail(f'{where}: skip_classifiers entry {node!r} is not '
                           'an internal node of the tree')
        return dict(
            annotation=annotation,
            eval_only=bool(spec.get('eval_only', False)),
            class_names=[by_raw[i][0] for i in range(num)],
            raw_to_node=raw_to_node,
            ignore_ids=ignore_ids,
            eval_ignore=eval_ignore,
            skip_classifiers=skip)

    def _dataset(self, name: str) -> dict:
        try:
            return self._datasets[name]
        except KeyError:
            raise TaxonomyError(f'{self.source}: unknown dataset {name!r}; '
                                f'the tree declares {self.dataset_names}')

    def dataset_info(self, name: str) -> dict:
        """Plain description of a dataset entry: ``annotation``,
        ``eval_only``, ``class_names`` (per raw id), ``raw_to_node`` (node id
        per raw id, 0 = ignore), ``ignore_ids``, ``eval_ignore`` and
        ``skip_classifiers``."""
        d = self._dataset(name)
        return {k: copy.deepcopy(v) for k, v in d.items()
                if k not in ('lut', 'known')}

    def dataset_lut(self, name: str) -> np.ndarray:
        """uint8 LUT raw id -> label code (weak codes for ``box`` datasets,
        255 for ignore); size ``max declared id + 1``. Use
        :meth:`map_raw_ids` to also reject undeclared ids."""
        return self._dataset(name)['lut'].copy()

    def map_raw_ids(self, name: str, array, filename: Optional[str] = None
                    ) -> np.ndarray:
        """Map a raw label array of dataset ``name`` to label codes.

        Args:
            name (str): Dataset name in the tree file.
            array (array-like): Integer raw ids, any shape.
            filename (str, optional): Shown in the error message.

        Returns:
            np.ndarray: uint8 codes, same shape as ``array``.

        Raises:
            UnknownLabelError: If ``array`` holds ids the dataset's label list
                does not declare (the message names the file and the ids).
        """
        d = self._dataset(name)
        arr = np.asarray(array)
        if arr.dtype.kind not in 'iub':
            raise TaxonomyError(
                f'{filename or "<array>"}: labels of dataset {name!r} must be '
                f'integers, got dtype {arr.dtype}')
        lut, known = d['lut'], d['known']
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
                f'{name!r} (declared in {self.source})')
        return lut[arr]

    def encode(self, node: Union[str, int], weak: bool = False) -> int:
        """Label code of ``node`` (its weak code if ``weak``)."""
        node = self.node_id(node)
        if node == self.root:
            raise TaxonomyError(f'{self.source}: the root has no label code')
        if not weak:
            return node
        if node not in self._weak_code:
            raise TaxonomyError(
                f'{self.source}: node {self.node_names[node]!r} has no weak '
                'code (no box dataset maps to it)')
        return self._weak_code[node]

    def dataset_classifier_mask(self, name: str) -> np.ndarray:
        """bool ``[num_classifiers]``: False for the classifiers the tree file
        switches off for this dataset (``skip_classifiers``)."""
        d = self._dataset(name)
        mask = np.ones(self.num_classifiers, bool)
        for node in d['skip_classifiers']:
            mask[self.node_own_classifier[self._name_to_id[node]]] = False
        return mask

    # ------------------------------------------------------------------
    # evaluation in a dataset's own label space
    # ------------------------------------------------------------------
    def _eval_tables(self, name: str) -> dict:
        if name in self._eval_cache:
            return self._eval_cache[name]
        d = self._dataset(name)
        names, node_to_eval = [], {}
        raw_to_eval = np.full(len(d['lut']), IGNORE_INDEX, np.uint8)
        for raw, node in enumerate(d['raw_to_node']):
            if node <= 0 or raw in d['eval_ignore']:
                continue
            if node not in node_to_eval:
                node_to_eval[node] = len(names)
                names.append(d['class_names'][raw])
            elif names[node_to_eval[node]] != d['class_names'][raw]:
                # several raw classes share one node: name it after the node
                names[node_to_eval[node]] = self.node_names[node]
            raw_to_eval[raw] = node_to_eval[node]
        # nearest ancestor-or-self that is an eval class of the dataset
        node_map = np.full(self.num_nodes, IGNORE_INDEX, np.uint8)
        for n in range(self.num_nodes):
            for a in [n] + self.ancestors(n):
                if a in node_to_eval:
                    node_map[n] = node_to_eval[a]
                    break
        code_map = np.full(NUM_CODE_VALUES, IGNORE_INDEX, np.uint8)
        valid = self.code_to_node > 0
        code_map[valid] = node_map[self.code_to_node[valid]]
        tables = dict(classes=names, raw=raw_to_eval, node=node_map,
                      code=code_map, eval_nodes=list(node_to_eval))
        self._eval_cache[name] = tables
        return tables

    def dataset_eval_classes(self, name: str) -> List[str]:
        """Evaluation classes of a dataset: its raw ids mapped to a node (not
        in ``eval_ignore``), in raw-id order, de-duplicated by node. A class
        is named after its raw class, or after the node when several raw
        classes map to that node."""
        return list(self._eval_tables(name)['classes'])

    def dataset_eval_nodes(self, name: str) -> List[int]:
        """Node id of each class of :meth:`dataset_eval_classes`."""
        return list(self._eval_tables(name)['eval_nodes'])

    def leaf_to_dataset(self, name: str) -> np.ndarray:
        """uint8 ``[num_leaves]``: eval class index of the nearest
        ancestor-or-self of each leaf that the dataset evaluates, 255 if
        none. Projects leaf predictions into the dataset's label space."""
        return self._eval_tables(name)['node'][self.leaves].copy()

    def node_to_dataset(self, name: str) -> np.ndarray:
        """Like :meth:`leaf_to_dataset` for every node (``[num_nodes]``)."""
        return self._eval_tables(name)['node'].copy()

    def code_to_dataset(self, name: str) -> np.ndarray:
        """uint8 ``[256]``: label code -> eval class index of the dataset
        (weak codes like their node; ignore/root -> 255). Turns node-space
        ground truth into the dataset's eval space."""
        return self._eval_tables(name)['code'].copy()

    def raw_to_eval(self, name: str) -> np.ndarray:
        """uint8 LUT raw id -> eval class index, 255 for ignored ids."""
        return self._eval_tables(name)['raw'].copy()

    # ------------------------------------------------------------------
    # loss weights, palette, metainfo
    # ------------------------------------------------------------------
    def _compile_weights(self, level_weights, node_weights) -> None:
        if level_weights is None:
            level_weights = [1.0] * self.depth
        level_weights = [float(w) for w in level_weights]
        if len(level_weights) < self.depth:
            self._fail(f'level_weights {level_weights} has '
                       f'{len(level_weights)} entries but the tree has '
                       f'{self.depth} classifier levels')
        self.level_weights = level_weights
        weights = np.array([level_weights[lv - 1]
                            for lv in self.classifier_level], np.float64)
        for node, w in dict(node_weights).items():
            if node not in self._name_to_id or self.is_leaf(node):
                self._fail(f'node_weights: {node!r} is not an internal node')
            weights[self.node_own_classifier[self._name_to_id[node]]] = w
        self.classifier_loss_weights = weights

    def _compile_palette(self, palette) -> None:
        colors = np.zeros((self.num_nodes, 3), np.uint8)
        rng = np.random.default_rng(0)
        generated = rng.integers(0, 256, size=(self.num_nodes, 3))
        for n in range(self.num_nodes):
            colors[n] = generated[n]
        for node, rgb in dict(palette).items():
            if node not in self._name_to_id:
                self._fail(f'palette: unknown node {node!r}')
            if len(rgb) != 3 or not all(0 <= int(c) <= 255 for c in rgb):
                self._fail(f'palette: colour of {node!r} must be 3 ints in '
                           f'[0, 255], got {rgb!r}')
            colors[self._name_to_id[node]] = rgb
        self.node_palette = colors
        self.leaf_palette = [list(map(int, colors[n])) for n in self.leaves]

    def metainfo(self) -> dict:
        """mmseg-style ``dict(classes=leaf names, palette=leaf colours)``."""
        return dict(classes=tuple(self.leaf_names),
                    palette=[list(c) for c in self.leaf_palette])

    def __repr__(self) -> str:
        sizes = ', '.join(f'{n}:{s}' for n, s in
                          zip(self.classifier_names, self.classifier_sizes))
        return (f'{type(self).__name__}(name={self.name!r}, '
                f'nodes={self.num_nodes}, leaves={self.num_leaves}, '
                f'classifiers=[{sizes}], datasets={self.dataset_names})')


def _to_plain(obj):
    """ConfigDict / tuple containers -> plain dicts (keeps tuples)."""
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_to_plain(v) for v in obj)
    return obj
