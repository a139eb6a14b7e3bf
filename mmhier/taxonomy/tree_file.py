# Copyright (c) mmhier contributors. All rights reserved.
"""Tree files: where a config's tree file lies and what it holds.

A tree file is an MMEngine Python config with one top-level variable
``taxonomy = dict(...)`` (``docs/taxonomy.md``);
:meth:`mmhier.taxonomy.LabelTree.fromfile` compiles it.
"""
import os.path as osp
from typing import Dict, List, Optional, Tuple

from .errors import TaxonomyError


def _fail(source: str, msg: str):
    raise TaxonomyError(f'{source}: {msg}')


def _normalise(name: str) -> str:
    """Key under which two node names count as the same name."""
    return ' '.join(name.split()).casefold()


def resolve_tree_path(path: str) -> str:
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


def read_tree_file(path: str) -> dict:
    """The ``taxonomy`` dict of the tree file at ``path`` (plain containers,
    see :func:`to_plain`)."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    if 'taxonomy' not in cfg:
        raise TaxonomyError(
            f'{path}: no top-level variable `taxonomy` in the file')
    return cfg['taxonomy']


def to_plain(obj):
    """ConfigDict / tuple containers -> plain dicts (keeps tuples)."""
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(to_plain(v) for v in obj)
    return obj


def parse_tree_dict(
    tree,
    root: Optional[str],
    source: str = '<dict>'
) -> Tuple[List[str], Dict[str, str], Dict[str, List[str]]]:
    """Validate the ``tree`` dict (``{parent: [children]}``) of a tree file.

    Checks that node names are strings, unique up to case and whitespace,
    that every node has one parent, every internal node at least two
    children (a softmax classifier needs two), and that there is exactly one
    root, no cycle and no node unreachable from the root.

    Args:
        tree (dict): ``{parent: [children]}``.
        root (str, optional): The root's name; None finds it (the only
            parent that is nobody's child).
        source (str): Where the dict comes from; every error message starts
            with it.

    Returns:
        tuple: node names in breadth-first order (root first, children in
        the order of the file), ``{child: parent}`` and
        ``{parent: [children]}``.
    """
    if not isinstance(tree, dict) or not tree:
        _fail(source, '`tree` must be a non-empty dict {parent: [children]}')
    parent_of: Dict[str, str] = {}
    children_of: Dict[str, List[str]] = {}
    for parent, kids in tree.items():
        if not isinstance(parent, str):
            _fail(source, f'tree key {parent!r} is not a node name (str)')
        if isinstance(kids, str) or not isinstance(kids, (list, tuple)):
            _fail(source, f'children of node {parent!r} must be a list of '
                  f'names, got {kids!r}')
        seen = set()
        for kid in kids:
            if not isinstance(kid, str):
                _fail(source, f'child {kid!r} of node {parent!r} is not a '
                      'node name (str)')
            if kid in seen:
                _fail(source, f'duplicate node name {kid!r}: listed twice '
                      f'under {parent!r}')
            seen.add(kid)
            if kid in parent_of:
                _fail(source, f'node {kid!r} has two parents: '
                      f'{parent_of[kid]!r} and {parent!r}')
            parent_of[kid] = parent
        if len(kids) < 2:
            _fail(source, f'internal node {parent!r} has {len(kids)} '
                  'child(ren); a classifier needs at least 2 (merge '
                  'a single child into its parent, or list a leaf '
                  'only as a child)')
        children_of[parent] = list(kids)

    all_names = list(tree) + [k for k in parent_of if k not in tree]
    by_key: Dict[str, str] = {}
    for name in all_names:
        other = by_key.setdefault(_normalise(name), name)
        if other != name:
            _fail(source, f'duplicate node name: {other!r} and {name!r} '
                  'differ only by case/whitespace')

    # Root: the only parent that is nobody's child.
    if root is not None:
        if root not in children_of:
            _fail(source, f'root {root!r} is not a key of `tree`')
        if root in parent_of:
            _fail(source, f'root {root!r} has a parent {parent_of[root]!r}')
    else:
        tops = [n for n in children_of if n not in parent_of]
        if len(tops) > 1:
            _fail(source, f'the tree has several roots: {tops} (every node '
                  'but one must be the child of another)')
        if tops:
            root = tops[0]
    if root is None:
        _fail(source, f'cycle in the tree: {find_cycle(parent_of)} '
              '(no node is free of a parent, so there is no root)')

    # Breadth-first ids; children keep the order of the file.
    order = [root]
    for name in order:
        order.extend(children_of.get(name, []))
    if len(order) != len(all_names):
        reached = set(order)
        stray = [n for n in all_names if n not in reached]
        cycle = find_cycle(
            {k: v for k, v in parent_of.items() if k in set(stray)})
        if cycle:
            _fail(source, f'cycle in the tree: {cycle}')
        _fail(source, f'nodes not reachable from root {root!r}: {stray}')
    return order, parent_of, children_of


def find_cycle(parent_of: Dict[str, str]) -> Optional[str]:
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
