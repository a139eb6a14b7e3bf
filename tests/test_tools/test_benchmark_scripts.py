# Copyright (c) mmhier contributors. All rights reserved.
"""Benchmark scripts run as scripts (they import ``timing`` from their own
folder) and print the load verdict before and after, min/median/max rows of
wall and CPU time, and ratios of the printed medians; small settings."""
import re

import pytest

ROW = re.compile(r'^(?P<label>.+?)\s+wall (?P<wall>[\d./]+) (?P<unit>m?s) '
                 r'\| cpu (?P<cpu>[\d./]+) (?P=unit)', re.M)
VERDICT = re.compile(r'^machine (idle|shared|busy): load [\d.]+ on \d+ cores '
                     r'(before|after) the run', re.M)


def rows(out):
    """``{label: {'wall': (min, median, max), 'cpu': ...}}`` of the rows."""
    table = {}
    for m in ROW.finditer(out):
        table[m['label'].strip()] = {
            kind: tuple(float(x) for x in m[kind].split('/'))
            for kind in ('wall', 'cpu')
        }
    return table


def check_output(out, labels):
    assert [m[2] for m in VERDICT.finditer(out)] == ['before', 'after']
    table = rows(out)
    assert sorted(table) == sorted(labels)
    for spreads in table.values():
        for lo, med, hi in spreads.values():
            assert lo <= med <= hi
    return table


def test_hier_head_losses(tool):
    out = tool('tools/benchmarks/benchmark_hier_head.py', '--skip-model',
               '--size', '64', '128', '--iters', '3', '--device',
               'cpu').stdout
    table = check_output(out,
                         ['CrossEntropyLoss (leaves)', 'HierarchicalLoss'])
    m = re.search(r'^ratio HierarchicalLoss/CrossEntropyLoss \(leaves\): '
                  r'wall ([\d.]+)  cpu ([\d.]+)  \(goal <= 1.5\)$', out, re.M)
    assert m, out
    # the ratios are of the medians; medians print rounded to 0.01 ms (+-
    # 0.005), ratios to 0.001 (+- 0.0005)
    for kind, printed in zip(('wall', 'cpu'), m.groups()):
        hier = table['HierarchicalLoss'][kind][1]
        ce = table['CrossEntropyLoss (leaves)'][kind][1]
        assert (hier - 0.005) / (ce + 0.005) - 0.0005 <= float(printed) \
            <= (hier + 0.005) / (ce - 0.005) + 0.0005


def test_kmeans_repeats(tool):
    out = tool('tools/benchmarks/benchmark_kmeans.py', '--num-samples', '300',
               '--dim', '16', '--num-clusters', '8', '--num-centres', '10',
               '--iters', '3', '--repeats', '2', '--backends', 'sklearn',
               'faiss').stdout
    check_output(out, ['sklearn', 'faiss'])
    assert '2 runs per backend, in turn' in out
    assert re.search(r'^ratio sklearn / faiss: [\d.]+x \(cpu [\d.]+x\)$',
                     out, re.M), out


def test_fast_inference_loading_only(tool):
    out = tool('tools/benchmarks/fast_inference.py',
               'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-'
               '128x128.py', '--shape', '64', '96', '--batch-sizes', '4',
               '--iters', '2', '--device', 'cpu', '--num-workers', '2',
               '--from-files', '--loading-only').stdout
    table = check_output(out, ['batch 4 host loading (2 threads)',
                               'batch 4 host loading (calling thread)'])
    m = re.search(r'^batch 4: host loading 2 threads / calling thread: '
                  r'([\d.]+)x$', out, re.M)
    assert m, out
    assert 'images/s end-to-end' not in out  # the model did not run
    ratio = table['batch 4 host loading (calling thread)']['wall'][1] / \
        table['batch 4 host loading (2 threads)']['wall'][1]
    assert abs(float(m[1]) - ratio) <= 0.01 + 0.01 * ratio


@pytest.mark.parametrize('files', [False, True])
def test_fast_inference_images_per_second(tool, files):
    out = tool('tools/benchmarks/fast_inference.py',
               'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-'
               '128x128.py', '--shape', '32', '48', '--batch-sizes', '1', '3',
               '--iters', '2', '--warmup', '1', '--device', 'cpu',
               '--num-workers', '2', *(['--from-files'] if files else [])
               ).stdout
    loading = {b: f'batch {b} host loading (2 threads)' for b in (1, 3)}
    table = check_output(
        out, ['batch 1 call', 'batch 3 call', *loading.values()])
    source = 'JPEG files' if files else 'arrays'
    for batch in (1, 3):
        m = re.search(
            rf'^batch {batch}: ([\d.]+) images/s end-to-end from {source} '
            r'\(pre- and post-processing included\); host loading alone '
            r'([\d.]+) images/s$', out, re.M)
        assert m, out
        # images/s (1 decimal) = batch / median wall time, printed in ms
        # with 2 decimals: within the rounding of both
        for value, label in ((m[1], f'batch {batch} call'),
                             (m[2], loading[batch])):
            median_ms = table[label]['wall'][1]
            low = batch * 1000 / (median_ms + 0.005) - 0.05
            high = batch * 1000 / max(median_ms - 0.005, 1e-9) + 0.05
            assert low <= float(value) <= high, (label, value, median_ms)
