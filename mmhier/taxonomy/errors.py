# Copyright (c) mmhier contributors. All rights reserved.
"""Errors raised for an inconsistent label tree or label map."""


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
