# Copyright (c) mmhier contributors. All rights reserved.
"""``tools/benchmarks/timing.py``: samples, spread, alternation, ratios,
the row format and the load verdict, on fake clocks with hand-set times
and on the real clocks (sleep vs busy loop)."""
import math
import os.path as osp
import time

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def timing(monkeypatch):
    # as a benchmark script does: its own folder first on sys.path
    monkeypatch.syspath_prepend(osp.join(REPO, 'tools', 'benchmarks'))
    import timing
    return timing


class FakeClocks:
    """``perf_counter`` and ``process_time`` that move only when a fake
    step says so."""

    def __init__(self):
        self.wall = 100.
        self.cpu = 10.

    def step(self, wall, cpu):
        self.wall += wall
        self.cpu += cpu


@pytest.fixture
def clocks(timing, monkeypatch):
    fake = FakeClocks()
    monkeypatch.setattr(timing.time, 'perf_counter', lambda: fake.wall)
    monkeypatch.setattr(timing.time, 'process_time', lambda: fake.cpu)
    return fake


def test_spread_min_median_max(timing):
    assert timing.Spread.of([0.3, 0.1, 0.2]) == (0.1, 0.2, 0.3)
    # even count: the median is the mean of the middle two
    assert timing.Spread.of([4., 1., 10., 2.]) == (1., 3., 10.)
    with pytest.raises(ValueError):
        timing.Spread.of([])


def test_time_calls_records_each_timed_call(timing, clocks):
    steps = iter([(9., 9.),  # warm-up: not recorded
                  (0.5, 0.25), (0.25, 0.125), (2., 0.5)])
    calls = []

    def fn():
        wall, cpu = next(steps)
        clocks.step(wall, cpu)
        calls.append(wall)
        return len(calls)

    t = timing.time_calls(fn, iters=3, warmup=1)
    assert calls == [9., 0.5, 0.25, 2.]
    assert t.wall == [0.5, 0.25, 2.]
    assert t.cpu == [0.25, 0.125, 0.5]
    assert t.output == 4  # the last call's return value
    assert t.spread('wall') == (0.25, 0.5, 2.)
    assert t.spread('cpu') == (0.125, 0.25, 0.5)
    assert t.median('cpu') == 0.25
    with pytest.raises(KeyError):
        t.spread('gpu')
    with pytest.raises(ValueError):
        timing.time_calls(fn, iters=0)


def test_time_alternately_calls_in_turn(timing, clocks):
    order = []

    def make(name, wall, cpu):
        def fn():
            order.append(name)
            clocks.step(wall, cpu)
        return fn

    ta, tb = timing.time_alternately(
        [make('a', 1., 0.5), make('b', 3., 3.)], iters=3, warmup=2)
    assert order == ['a', 'b'] * 5
    assert ta.wall == [1.] * 3 and ta.cpu == [0.5] * 3
    assert tb.wall == [3.] * 3 and tb.cpu == [3.] * 3
    assert timing.ratio_of_medians(tb, ta) == 3.
    assert timing.ratio_of_medians(tb, ta, 'cpu') == 6.


def test_ratio_of_medians_hand_set(timing):
    slow = timing.Timings(wall=[4., 9., 5.], cpu=[3., 3., 4.])
    fast = timing.Timings(wall=[2., 1., 100.], cpu=[1., 2., 1.5])
    # medians: slow 5 (wall) 3 (cpu), fast 2 (wall) 1.5 (cpu); the outlier
    # 100 of fast does not move its median
    assert timing.ratio_of_medians(slow, fast) == 2.5
    assert timing.ratio_of_medians(slow, fast, 'cpu') == 2.


def test_cuda_device_synchronises_around_timed_calls(timing, monkeypatch):
    import torch
    syncs = []
    monkeypatch.setattr(torch.cuda, 'synchronize', syncs.append)
    timing.time_calls(lambda: None, iters=3, warmup=2, device='cuda:1')
    # before and after each timed call, not around the warm-up
    assert syncs == ['cuda:1'] * 6
    syncs.clear()
    timing.time_calls(lambda: None, iters=3, warmup=2, device='cpu')
    timing.time_calls(lambda: None, iters=3)
    assert syncs == []


def test_sleep_costs_wall_time_busy_loop_costs_cpu_time(timing):
    def sleep():
        time.sleep(0.05)

    def spin():
        end = time.process_time() + 0.05
        while time.process_time() < end:
            pass

    t_sleep, t_spin = timing.time_alternately([sleep, spin], iters=3)
    for t in (t_sleep, t_spin):
        wall, cpu = t.spread('wall'), t.spread('cpu')
        assert wall.min <= wall.median <= wall.max
        assert cpu.min <= cpu.median <= cpu.max
    assert t_sleep.spread('wall').min >= 0.05
    # sleeping costs (almost) no CPU time, busy-looping at least 50 ms
    assert t_sleep.spread('cpu').max < 0.02
    assert t_spin.spread('cpu').min >= 0.05
    # one thread cannot use more CPU than wall time
    assert all(c <= w + 1e-3 for c, w in zip(t_spin.cpu, t_spin.wall))


def test_format_row(timing):
    t = timing.Timings(wall=[0.0125, 0.01, 0.02], cpu=[0.005, 0.004, 0.006])
    assert timing.format_row('step', t, width=6) == (
        'step   wall 10.00/12.50/20.00 ms | cpu 4.00/5.00/6.00 ms')
    assert timing.format_row('x', t, unit='s', width=1) == (
        'x wall 0.010/0.013/0.020 s | cpu 0.004/0.005/0.006 s')
    assert timing.format_spread(t, 'cpu', 's') == '0.004/0.005/0.006'


@pytest.fixture
def machine(timing, monkeypatch):
    """Sets the 1-minute load average and the core count the timing module
    sees."""
    state = dict(load=0., cores=2)
    monkeypatch.setattr(timing.os, 'getloadavg',
                        lambda: (state['load'], 9., 9.))
    monkeypatch.setattr(timing.os, 'cpu_count', lambda: state['cores'])
    return state


def test_load_verdict_busy_idle_shared(timing, machine):
    machine['load'] = 1.9
    # 1.9 others + 1 thread > 2 cores + 0.5
    assert timing.load_verdict('before the run') == (
        'machine busy: load 1.90 on 2 cores before the run (other processes '
        '~1.90, this benchmark 1 thread); wall times are stretched, compare '
        'CPU times')
    machine['load'] = 0.2
    assert timing.load_verdict('before the run', threads=2) == (
        'machine idle: load 0.20 on 2 cores before the run (other processes '
        '~0.20, this benchmark 2 threads)')
    # one other job on one of 2 cores, a 1-thread benchmark on the other
    machine['load'] = 1.0
    assert timing.load_verdict('before the run').startswith(
        'machine shared: load 1.00 on 2 cores')
    # ... but 2 threads need both cores: 1.0 + 2 > 2.5
    assert timing.load_verdict('before the run', threads=2).startswith(
        'machine busy: load 1.00 on 2 cores')
    machine['cores'] = 16
    assert timing.load_verdict('x', threads=2).startswith('machine shared')


def test_load_verdict_subtracts_own_threads(timing, machine):
    # after 60 s with 2 threads this benchmark's share of the 1-minute load
    # is 2 * (1 - 1/e) = 1.264; 1.5 - 1.264 = 0.236 left to others: idle
    machine['load'] = 1.5
    assert 2 * (1 - math.exp(-1)) == pytest.approx(1.264, abs=1e-3)
    assert timing.load_verdict('after the run', threads=2,
                               running_s=60.) == (
        'machine idle: load 1.50 on 2 cores after the run (other processes '
        '~0.24, this benchmark 2 threads)')
    # the same load before the run is all the others'
    assert timing.load_verdict('before the run', threads=2).startswith(
        'machine busy')


def test_load_check_before_after(timing, machine, clocks):
    check = timing.LoadCheck(threads=1)
    with pytest.raises(RuntimeError):
        check.after()
    machine['load'] = 0.9
    assert check.before().startswith('machine shared: load 0.90 on 2 cores '
                                     'before the run (other processes ~0.90')
    clocks.step(wall=600., cpu=0.)  # 10 minutes: own share 1 - e^-10
    assert check.after().startswith('machine idle: load 0.90 on 2 cores '
                                    'after the run (other processes ~0.00')
