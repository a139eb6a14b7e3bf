# Copyright (c) mmhier contributors. All rights reserved.
"""Benchmark scripts run as scripts (they import ``timing`` from their own
folder) and print the load verdict before and after, min/median/max rows of
wall and CPU time, and ratios of the printed medians; small settings."""
import re

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


def test_fast_inference_images_per_second(tool):
    out = tool('tools/benchmarks/fast_inference.py',
               'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-'
               '128x128.py', '--shape', '32', '48', '--batch-sizes', '1', '3',
               '--iters', '2', '--warmup', '1', '--device', 'cpu').stdout
    table = check_output(out, ['batch 1 call', 'batch 3 call'])
    for batch in (1, 3):
        m = re.search(rf'^batch {batch}: ([\d.]+) images/s end-to-end', out,
                      re.M)
        assert m, out
        # images/s = batch / median wall time of a call (ms, 2 decimals)
        median_s = table[f'batch {batch} call']['wall'][1] / 1000
        assert abs(float(m[1]) - batch / median_s) <= 0.05 + 1e-3
