"""ember.utils.benchmark (torch.utils.benchmark): Timer, Measurement, Compare."""
import pytest

import ember
from ember.utils import benchmark


def test_timer_measures_the_statement():
    x = ember.ones(16)
    t = benchmark.Timer(stmt="x * 2", setup="y = 1", globals={"x": x}, label="mul",
                        sub_label="16", description="ones")
    m = t.timeit(200)
    assert m.number_per_run == 200 and len(m.times) == 1 and m.mean == m.median > 0
    assert m.title == "mul: 16" and "ones" in repr(m) and "1 measurement, 200 runs" in repr(m)
    blocks = []
    m2 = t.blocked_autorange(callback=lambda n, s: blocks.append(n), min_run_time=0.02)
    assert len(m2.times) >= 3 and len(blocks) == len(m2.times)
    assert sum(m2.raw_times) >= 0.02 and "Median:" in repr(m2)
    assert m2.iqr >= 0
    m3 = t.adaptive_autorange(threshold=0.5, max_run_time=1.0)
    assert len(m3.times) >= 3
    table = str(benchmark.Compare([m, m2]))
    assert "mul" in table and "ones" in table and "Times are in" in table


def test_setup_runs_and_errors():
    calls = []
    benchmark.Timer("calls.append(1)", setup="calls.clear()", globals={"calls": calls}).timeit(7)
    assert len(calls) == 7          # the timed block (the warm-up block was cleared by setup)
    with pytest.raises(NotImplementedError, match="Python statements only"):
        benchmark.Timer("x", language="cpp")
    with pytest.raises(ValueError, match="only a `str` stmt"):
        benchmark.Timer(lambda: 1)
    with pytest.raises(NameError):
        benchmark.Timer("undefined_name + 1").timeit(1)


def test_num_threads_is_restored():
    before = ember.get_num_threads()
    benchmark.Timer("pass", num_threads=1).timeit(10)
    assert ember.get_num_threads() == before
