# Copyright (c) mmhier contributors. All rights reserved.
"""Print the environment: ``python tools/misc/collect_env.py``."""
from mmhier.utils import collect_env

if __name__ == '__main__':
    for name, val in collect_env().items():
        print(f'{name}: {val}')
