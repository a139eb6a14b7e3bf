# Copyright (c) mmhier contributors. All rights reserved.
"""Label trees: one declarative file per tree, compiled into lookup tables."""
from .encoding import IGNORE_INDEX, MAX_CODES, NUM_CODE_VALUES, ROOT_CODE
from .label_tree import LabelTree, TaxonomyError, UnknownLabelError

__all__ = [
    'LabelTree', 'TaxonomyError', 'UnknownLabelError', 'IGNORE_INDEX',
    'MAX_CODES', 'NUM_CODE_VALUES', 'ROOT_CODE'
]
