# Copyright (c) mmhier contributors. All rights reserved.
"""Compile a declarative label-tree file into a validated tree.

A tree file (``configs/_base_/taxonomies/*.py``) is an MMEngine Python config
with one top-level variable ``taxonomy = dict(...)``; ``docs/taxonomy.md``
describes its keys. :class:`LabelTree` validates it once and exposes every
table the head, the loss, the datasets and the metric need, so that no other
module writes a class id down. The tree owns the structure (nodes,
classifiers, slots, leaves, loss weights, palette); its dataset entries are
:class:`~mmhier.taxonomy.dataset_spec.DatasetSpec` s, its derived tables the
pure functions of :mod:`mmhier.taxonomy.tables` and its label codes those of
:mod:`mmhier.taxonomy.encoding`. Pure Python + numpy.

Vocabulary (Meletis & Dubbelman, IV 2018, Sec. III): every internal node of
the tree owns a softmax *classifier* whose *slots* are its children; a leaf's
log-probability is the sum of the log-softmax slots on its root-to-leaf path.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import tables
from .dataset_spec import (DatasetSpec, check_root_supervised,
                           parse_dataset_specs, weak_nodes)
from .encoding import IGNORE_INDEX, MAX_CODES, build_code_tables
from .errors import TaxonomyError
from .tree_file import (parse_tree_dict, read_tree_file, resolve_tree_path,
                        to_plain)


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
        self.cfg = copy.deepcopy(to_plain(taxonomy))
        self.name = str(self.cfg.get('name', osp.basename(source)))
        self._compile_tree(self.cfg.get('tree'), self.cfg.get('root'))
        self._compile_classifiers()
        self._compile_leaves()
        self._compile_datasets(self.cfg.get('datasets', {}))
        self._compile_weights(
            self.cfg.get('level_weights'), self.cfg.get('node_weights', {}))
        self._compile_palette(self.cfg.get('palette', {}))

    @classmethod
    def fromfile(cls, path: str) -> 'LabelTree':
        """Load and compile a tree file (cached by absolute path).

        Args:
            path (str): An MMEngine Python config defining ``taxonomy``.
        """
        path = resolve_tree_path(os.fspath(path))
        key = (path, os.stat(path).st_mtime_ns)
        if key not in cls._cache:
            cls._cache[key] = cls(read_tree_file(path), source=path)
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
        order, parent_of, children_of = parse_tree_dict(
            tree, root, self.source)
        self.node_names: List[str] = order
        self._name_to_id = {n: i for i, n in enumerate(order)}
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
        inside = self.subtree_mask(node)
        return [i for i, leaf in enumerate(self.leaves) if inside[leaf]]

    def subtree_mask(self, node: Union[str, int]) -> np.ndarray:
        """bool ``[num_nodes]``: ``node`` and every node below it."""
        node = self.node_id(node)
        return np.array([n == node or node in self.ancestors(n)
                         for n in range(self.num_nodes)], bool)

    def codes_under(self, node: Union[str, int]) -> np.ndarray:
        """bool ``[256]``: label codes (per-pixel and weak) of ``node`` and of
        every node below it (see :func:`mmhier.taxonomy.tables.codes_under`).
        """
        return tables.codes_under(self.code_to_node,
                                  self.subtree_mask(node))

    def prediction_nodes(self, coarse_nodes: Sequence[str] = ()
                         ) -> np.ndarray:
        """int64: node of each predicted class index, the leaves then a flat
        model's extra ``coarse_nodes`` (see
        :func:`mmhier.taxonomy.tables.prediction_nodes`)."""
        return tables.prediction_nodes(
            self.leaves, [self.node_id(n) for n in coarse_nodes])

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

    # ------------------------------------------------------------------
    # derived tables (pure functions in mmhier/taxonomy/tables.py)
    # ------------------------------------------------------------------
    def level_ancestor_table(self) -> np.ndarray:
        """``[num_nodes, depth]``: ancestor-or-self of each node at every
        tree level below the root (see
        :func:`mmhier.taxonomy.tables.level_ancestor_table`)."""
        return tables.level_ancestor_table(self.parent, self.level)

    def leaf_path_index(self) -> np.ndarray:
        """``[num_leaves, depth]``: global slots on each leaf's path from the
        root down, padded with ``total_slots`` (see
        :func:`mmhier.taxonomy.tables.leaf_path_index`)."""
        return tables.leaf_path_index(
            self.level_ancestor_table()[self.leaves],
            tables.node_global_slot(self.node_classifier, self.node_slot,
                                    self.classifier_offsets),
            self.total_slots)

    def path_matrix(self) -> np.ndarray:
        """0/1 float32 matrix ``[num_leaves, total_slots]``: row i marks the
        global slots on leaf i's path, so that
        ``leaf_logp = path_matrix @ concat_j(log_softmax(logits_j))``."""
        return tables.path_matrix(self.leaf_path_index(), self.total_slots)

    def slot_table(self) -> np.ndarray:
        """``[num_classifiers, max(classifier_sizes)]``: global slots of each
        classifier, padded with ``total_slots`` (see
        :func:`mmhier.taxonomy.tables.slot_table`)."""
        return tables.slot_table(self.classifier_sizes)

    def decision_tables(self) -> Dict[str, np.ndarray]:
        """The tables of the greedy decision rule, keyed by the arguments of
        :func:`mmhier.taxonomy.decision.greedy_decision`: ``path_matrix``,
        ``slot_table``, ``slot_nodes`` and ``node_own_classifier`` (its
        ``max_depth`` is :attr:`depth`)."""
        return dict(
            path_matrix=self.path_matrix(),
            slot_table=self.slot_table(),
            slot_nodes=self.slot_nodes.copy(),
            node_own_classifier=self.node_own_classifier.copy())

    def classifier_target_lut(self) -> np.ndarray:
        """int64 ``[num_classifiers, 256]``: entry ``[j, c]`` is the slot
        classifier j must predict for a pixel with code ``c``, -1 outside
        j's subtree and for ignore / root / unused codes; weak codes map like
        their node (see :func:`mmhier.taxonomy.tables.classifier_target_lut`).
        """
        return tables.classifier_target_lut(
            self.code_to_node, self.level_ancestor_table(),
            self.node_classifier, self.node_slot, self.num_classifiers)

    def code_to_leaf(self, weak: bool = False) -> np.ndarray:
        """int64 ``[256]``: leaf index of each per-pixel leaf code (and of
        weak leaf codes if ``weak``), -1 for every other code (see
        :func:`mmhier.taxonomy.tables.code_to_leaf`)."""
        return tables.code_to_leaf(self.code_to_node, self.code_is_weak,
                                   self.leaf_index, weak)

    # ------------------------------------------------------------------
    # datasets (mmhier/taxonomy/dataset_spec.py)
    # ------------------------------------------------------------------
    def _compile_datasets(self, datasets) -> None:
        specs = parse_dataset_specs(datasets, self)
        weak = weak_nodes(specs.values())
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
        for spec in specs.values():
            spec.bind_codes(self.encode)
        self._datasets = specs
        self.dataset_names: List[str] = list(specs)
        check_root_supervised(specs, self.source)

    def dataset_spec(self, name: str) -> DatasetSpec:
        """The :class:`~mmhier.taxonomy.dataset_spec.DatasetSpec` of a
        dataset of the tree file."""
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
        return self.dataset_spec(name).info()

    def dataset_lut(self, name: str) -> np.ndarray:
        """uint8 LUT raw id -> label code (weak codes for ``box`` datasets,
        255 for ignore); size ``max declared id + 1``. Use
        :meth:`map_raw_ids` to also reject undeclared ids."""
        return self.dataset_spec(name).lut.copy()

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
        return self.dataset_spec(name).map_raw_ids(array, filename,
                                                   self.source)

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
        mask = np.ones(self.num_classifiers, bool)
        for node in self.dataset_spec(name).skip_classifiers:
            mask[self.node_own_classifier[self._name_to_id[node]]] = False
        return mask

    def _eval_tables(self, name: str) -> dict:
        return self.dataset_spec(name).eval_tables(self)

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

    def code_to_dataset(self, name: str, exact: bool = False) -> np.ndarray:
        """uint8 ``[256]``: label code -> eval class index of the dataset
        (weak codes like their node; ignore/root -> 255). Turns node-space
        ground truth into the dataset's eval space. ``exact``: only codes
        whose node is itself one of the dataset's classes (no projection
        of a finer node to its ancestor class)."""
        return self._eval_tables(name)[
            'code_exact' if exact else 'code'].copy()

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
