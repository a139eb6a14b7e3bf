# Copyright (c) mmhier contributors. All rights reserved.
from .flat_label_preprocessor import (FlatLabelSegDataPreProcessor,  # noqa
                                      flat_label_lut)
