# Copyright (c) mmhier contributors. All rights reserved.
"""Timing of benchmark steps, shared by the scripts in
``tools/benchmarks/``.

Every step is timed twice per call: wall-clock time (``time.perf_counter``)
and process CPU time (``time.process_time``, all threads of this process).
Why both:

- wall time is what a user waits for, but on a shared machine it also
  counts the time other processes held the cores;
- CPU time counts only the work of this process, so for a single-threaded
  CPU benchmark it is robust to the other processes' load (a busy machine
  stretches the wall time, hardly the CPU time). With ``T`` threads it is up
  to ``T`` x wall. On a GPU it is the host's work (Python, kernel launches,
  pre- and post-processing, plus any spinning in the synchronisation): CPU
  time close to wall time there means the step is bound by the host, not
  by the device.

Every step is repeated and reported as min / median / max (a median alone
hides whether the samples agree); ratios between steps are ratios of
medians, and the steps of a comparison are called alternately so that they
see the same load. The load average before and after the run says whether
other processes competed for the cores (:class:`LoadCheck`).

The benchmark scripts import this module by name (``from timing import
...``): Python puts a script's own folder first on ``sys.path``.
"""
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, NamedTuple, Optional, Sequence

#: sample kinds of :class:`Timings`
KINDS = ('wall', 'cpu')


class Spread(NamedTuple):
    """Min, median and max of samples."""
    min: float
    median: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> 'Spread':
        if not samples:
            raise ValueError('no samples to summarise')
        return cls(min(samples), statistics.median(samples), max(samples))


@dataclass
class Timings:
    """Seconds of wall-clock and process CPU time of repeated calls.

    Attributes:
        wall (list[float]): wall-clock seconds, one per timed call.
        cpu (list[float]): process CPU seconds (all threads), one per call.
        output: what the last call returned (lets a benchmark check the
            result of the step it timed without calling it again).
    """
    wall: List[float] = field(default_factory=list)
    cpu: List[float] = field(default_factory=list)
    output: Any = None

    def spread(self, kind: str = 'wall') -> Spread:
        if kind not in KINDS:
            raise KeyError(f'kind must be one of {KINDS}, not {kind!r}')
        return Spread.of(getattr(self, kind))

    def median(self, kind: str = 'wall') -> float:
        return self.spread(kind).median


def ratio_of_medians(numerator: Timings,
                     denominator: Timings,
                     kind: str = 'wall') -> float:
    """``median(numerator) / median(denominator)`` of one kind of sample.

    With times, ``ratio_of_medians(slow, fast)`` is the speed-up of
    ``fast``.
    """
    return numerator.median(kind) / denominator.median(kind)


def _synchronize(device) -> None:
    """Wait for the CUDA device's queue (``device``: a string such as
    ``'cuda:0'`` or a ``torch.device``; nothing to do for others)."""
    if device is not None and str(device).startswith('cuda'):
        import torch
        torch.cuda.synchronize(device)


def _timed_call(fn: Callable, device, timings: Timings) -> None:
    _synchronize(device)
    wall, cpu = time.perf_counter(), time.process_time()
    timings.output = fn()
    _synchronize(device)
    timings.wall.append(time.perf_counter() - wall)
    timings.cpu.append(time.process_time() - cpu)


def time_alternately(fns: Sequence[Callable],
                     iters: int,
                     warmup: int = 0,
                     device=None) -> List[Timings]:
    """Time several callables, called in turn, so that all see the same
    load on a shared machine.

    Calls ``fns[0], fns[1], ...`` ``warmup`` times untimed, then ``iters``
    times timed, one round after the other. With a CUDA ``device`` the
    device is synchronised before and after every timed call, so that the
    time covers the queued kernels.

    Returns:
        list[Timings]: one per callable, in the order of ``fns``.
    """
    if iters < 1:
        raise ValueError(f'iters must be >= 1, not {iters}')
    for _ in range(warmup):
        for fn in fns:
            fn()
    timings = [Timings() for _ in fns]
    for _ in range(iters):
        for fn, t in zip(fns, timings):
            _timed_call(fn, device, t)
    return timings


def time_calls(fn: Callable,
               iters: int,
               warmup: int = 0,
               device=None) -> Timings:
    """Time ``iters`` calls of ``fn`` after ``warmup`` untimed ones (see
    :func:`time_alternately`)."""
    return time_alternately([fn], iters, warmup, device)[0]


def format_spread(timings: Timings, kind: str = 'wall',
                  unit: str = 'ms') -> str:
    """``min/median/max`` of one kind of sample, in ``unit``: ``'ms'`` (2
    decimals) or ``'s'`` (3 decimals)."""
    scale, digits = dict(ms=(1e3, 2), s=(1., 3))[unit]
    return '/'.join(f'{x * scale:.{digits}f}' for x in timings.spread(kind))


def format_row(label: str,
               timings: Timings,
               unit: str = 'ms',
               width: int = 28) -> str:
    """``label  wall min/median/max ms | cpu min/median/max ms`` (see
    :func:`format_spread` for ``unit``)."""
    return (f'{label:<{width}} wall {format_spread(timings, "wall", unit)} '
            f'{unit} | cpu {format_spread(timings, "cpu", unit)} {unit}')


#: seconds of the 1-minute load average's exponential decay
LOAD_WINDOW_S = 60.


def load_verdict(when: str,
                 threads: int = 1,
                 running_s: float = 0.) -> str:
    """One line: was the machine busy, from the 1-minute load average?

    The load average counts the runnable threads of every process,
    averaged with an exponential decay of one minute. The share of this
    benchmark, running ``threads`` threads for ``running_s`` seconds, is
    about ``threads * (1 - exp(-running_s / 60))``; the rest are other
    processes. The machine is

    - ``idle`` when the other processes' share is below 0.5;
    - ``busy`` when they and this benchmark's threads need more than the
      cores (``others + threads > cores + 0.5``): the benchmark waited for
      a core, its wall times are stretched and its CPU times are the
      numbers to compare;
    - ``shared`` otherwise (others ran, on cores this benchmark did not
      need; caches and memory bandwidth were still shared).

    A related sign, visible in the timing rows: CPU time well below wall x
    threads on an idle machine means the process waited (for I/O, worker
    processes or a GPU), not that it was crowded out.

    Args:
        when (str): the moment, e.g. ``'before the run'``.
        threads (int): threads this benchmark computes with.
        running_s (float): seconds the benchmark has been running (0
            before the run).
    """
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    own = threads * (1 - math.exp(-running_s / LOAD_WINDOW_S))
    others = max(load - own, 0.)
    if others < 0.5:
        state = 'idle'
    elif others + threads > cores + 0.5:
        state = 'busy'
    else:
        state = 'shared'
    line = (f'machine {state}: load {load:.2f} on {cores} cores {when} '
            f'(other processes ~{others:.2f}, this benchmark {threads} '
            f'thread{"s" if threads != 1 else ""})')
    if state == 'busy':
        line += '; wall times are stretched, compare CPU times'
    return line


class LoadCheck:
    """The load verdict before and after a run (:func:`load_verdict`).

    Example::

        load = LoadCheck(threads=torch.get_num_threads())
        print(load.before())
        ...  # the benchmark
        print(load.after())
    """

    def __init__(self, threads: int = 1):
        self.threads = threads
        self.start: Optional[float] = None

    def before(self) -> str:
        self.start = time.perf_counter()
        return load_verdict('before the run', self.threads)

    def after(self) -> str:
        if self.start is None:
            raise RuntimeError('LoadCheck.after() without before()')
        return load_verdict('after the run', self.threads,
                            time.perf_counter() - self.start)
