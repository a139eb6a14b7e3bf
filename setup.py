# Copyright (c) mmhier contributors. All rights reserved.
"""Install mmhier: ``pip install -e .`` or ``mim install -e .``.

Like mmseg, configs, tools and the model index are shipped inside the package
under ``mmhier/.mim`` so that ``mim train mmhier <config>`` finds them:
symlinked in editable/develop mode, copied for a regular install.
"""
import os
import os.path as osp
import platform
import shutil
import sys
import warnings

from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


version_file = 'mmhier/version.py'


def get_version():
    scope = {}
    with open(version_file) as f:
        exec(compile(f.read(), version_file, 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname='requirements.txt', with_version=True):
    """Parse a requirements file, following ``-r`` includes."""
    require_fpath = fname

    def parse_line(line):
        if line.startswith('-r '):
            target = osp.join(osp.dirname(fname), line.split(' ')[1])
            yield from parse_require_file(target)
        else:
            yield line if with_version else line.split(';')[0].split(
                '=')[0].split('<')[0].split('>')[0].strip()

    def parse_require_file(fpath):
        with open(fpath) as f:
            for line in f.readlines():
                line = line.strip()
                if line and not line.startswith('#'):
                    yield from parse_line(line)

    if not osp.exists(require_fpath):
        return []
    return list(parse_require_file(require_fpath))


def add_mim_extension():
    """Ship configs/tools/model-index.yml in ``mmhier/.mim`` (mim layout)."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink' if platform.system() != 'Windows' else 'copy'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return

    filenames = ['tools', 'configs', 'model-index.yml']
    repo_path = osp.dirname(__file__)
    mim_path = osp.join(repo_path, 'mmhier', '.mim')
    os.makedirs(mim_path, exist_ok=True)

    for filename in filenames:
        if not osp.exists(filename):
            continue
        src_path = osp.join(repo_path, filename)
        tar_path = osp.join(mim_path, filename)
        if osp.isfile(tar_path) or osp.islink(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            src_relpath = osp.relpath(src_path, osp.dirname(tar_path))
            try:
                os.symlink(src_relpath, tar_path)
            except OSError:
                mode = 'copy'
                warnings.warn(f'Failed to symlink {src_relpath} to '
                              f'{tar_path}; copying instead.')
        if mode == 'copy':
            if osp.isfile(src_path):
                shutil.copyfile(src_path, tar_path)
            elif osp.isdir(src_path):
                shutil.copytree(src_path, tar_path)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmhier',
        version=get_version(),
        description='Hierarchical multi-dataset segmentation, Mutual '
        'Mean-Teaching, structural pruning and large-batch recipes for '
        'OpenMMLab',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='computer vision, semantic segmentation, hierarchical '
        'classification, domain adaptation, pruning, OpenMMLab',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        package_data={'mmhier': ['.mim/**/*', '.mim/*']},
        classifiers=[
            'Development Status :: 3 - Alpha',
            'License :: OSI Approved :: Apache Software License',
            'Operating System :: OS Independent',
            'Programming Language :: Python :: 3.10',
            'Programming Language :: Python :: 3.11',
        ],
        license='Apache License 2.0',
        python_requires='>=3.8',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'all': parse_requirements('requirements.txt'),
            'tests': parse_requirements('requirements/tests.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
            'deploy': parse_requirements('requirements/deploy.txt'),
        },
        zip_safe=False)
