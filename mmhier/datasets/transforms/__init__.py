# Copyright (c) mmhier contributors. All rights reserved.
from .box_copy_paste import BoxCopyPaste  # noqa: F401
from .box_to_mask import BoxToMask  # noqa: F401
from .formatting import PackHierSegInputs  # noqa: F401
from .loading import LoadBoxAnnotations, LoadHierAnnotations  # noqa: F401
from .sign_aware_crop import SignAwareRandomCrop  # noqa: F401
