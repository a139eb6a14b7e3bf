# Copyright (c) mmhier contributors. All rights reserved.
