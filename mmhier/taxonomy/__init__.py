# Copyright (c) mmhier contributors. All rights reserved.
"""Label trees: one declarative file per tree, compiled into lookup tables."""
from .dataset_spec import DatasetSpec
from .encoding import IGNORE_INDEX, MAX_CODES, NUM_CODE_VALUES, ROOT_CODE
from .errors import TaxonomyError, UnknownLabelError
from .label_tree import LabelTree

__all__ = [
    'LabelTree', 'DatasetSpec', 'TaxonomyError', 'UnknownLabelError',
    'IGNORE_INDEX', 'MAX_CODES', 'NUM_CODE_VALUES', 'ROOT_CODE'
]
