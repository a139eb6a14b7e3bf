# Copyright (c) mmhier contributors. All rights reserved.
"""Every Python file of the package, its tools and configs compiles without
warnings (Python 3.12 turns invalid escape sequences in docstrings, e.g. a
LaTeX ``\\mathcal`` in a non-raw docstring, into a SyntaxWarning; this
machine runs 3.11, the lent GPU machine 3.12)."""
import glob
import os.path as osp
import warnings

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
FILES = sorted(
    f for pattern in ('mmhier/**/*.py', 'tools/**/*.py', 'configs/**/*.py')
    for f in glob.glob(osp.join(REPO, pattern), recursive=True))


def test_files_found():
    assert len(FILES) > 100


@pytest.mark.parametrize('path', FILES, ids=lambda p: osp.relpath(p, REPO))
def test_compiles_without_warnings(path):
    with open(path, encoding='utf-8') as f:
        source = f.read()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        compile(source, path, 'exec')
