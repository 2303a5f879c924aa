"""ember.profiler (torch.profiler): op and backward-node timing, record_function ranges, self
times, schedules, Chrome traces; nothing stays patched afterwards."""
import json

import pytest

import ember
from ember import profiler as P
from ember.autograd import function as _fn, engine as _eng


def _train_step(m, x):
    with P.record_function("forward"):
        loss = m(x).relu().sum()
    loss.backward()


def test_ops_backward_nodes_and_ranges_are_recorded():
    m = ember.nn.Linear(4, 3)
    with P.profile(activities=[P.ProfilerActivity.CPU], record_shapes=True) as prof:
        _train_step(m, ember.ones(2, 4))
    names = {e.key for e in prof.key_averages()}
    assert {"forward", "ember::_Linear", "ember::Relu", "ember::Sum"} <= names
    assert "autograd::engine::evaluate_function: ReluBackward0" in names
    assert m.weight.grad is not None and m.weight.grad.shape == (3, 4)
    fwd = next(e for e in prof.events() if e.name == "forward")
    inner = [e for e in prof.events() if e.depth == 1 and fwd.start_us <= e.start_us <= fwd.end_us]
    assert inner and all(e.end_us <= fwd.end_us for e in inner)
    assert {e.name for e in inner} == {"ember::_Linear", "ember::Relu", "ember::Sum"}
    # self time is total minus the children's; the top level's totals add up to all self time
    assert abs(fwd.self_cpu_time_total - (fwd.cpu_time_total - sum(
        e.cpu_time_total for e in inner))) < 1e-6
    top = sum(e.cpu_time_total for e in prof.events() if e.depth == 0)
    assert abs(top - sum(e.self_cpu_time_total for e in prof.events())) < 1e-3
    shaped = prof.key_averages(group_by_input_shape=True)
    assert any(e.key == "ember::_Linear" and e.input_shapes == [[2, 4], [3, 4], [3]]
               for e in shaped)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
    assert "Self CPU time total:" in table and "# of Calls" in table
    assert len(table.strip().splitlines()) == 5 + 5
    with pytest.raises(AttributeError):
        prof.key_averages().table(sort_by="nonsense")


def test_nothing_stays_patched_and_results_are_unchanged():
    apply, step = _fn.Function.__dict__["apply"], _eng._node_step
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError):
        with P.profile():
            (x * 3).sum().backward()
            raise ValueError("inside")
    assert _fn.Function.__dict__["apply"] is apply and _eng._node_step is step
    assert not _eng._profiling[0]
    assert x.grad.tolist() == [3.0, 3.0]
    with P.record_function("no profiler"):   # a range with nothing recording is a no-op
        pass


def test_schedule_matches_torch_and_drives_steps(tmp_path):
    s = P.schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    ours = [s(i).name for i in range(8)]
    assert ours == ["NONE", "NONE", "WARMUP", "RECORD", "RECORD_AND_SAVE", "NONE", "NONE",
                    "NONE"]
    torch = pytest.importorskip("torch")
    ts = torch.profiler.schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    assert ours == [ts(i).name for i in range(8)]
    saved = []
    m = ember.nn.Linear(2, 2)
    with P.profile(schedule=P.schedule(wait=1, warmup=1, active=2, repeat=1),
                   on_trace_ready=lambda p: saved.append(p.key_averages())) as prof:
        for _ in range(6):
            m(ember.ones(1, 2)).sum().backward()
            prof.step()
    assert len(saved) == 1
    calls = {e.key: e.count for e in saved[0]}
    assert calls["ember::_Linear"] == 2          # the two active steps, not wait or warmup


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    with P.profile(on_trace_ready=P.tensorboard_trace_handler(str(tmp_path / "tb"))) as prof:
        (ember.ones(3, requires_grad=True) * 2).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    assert trace["traceEvents"] and all(e["ph"] == "X" for e in trace["traceEvents"])
    written = list((tmp_path / "tb").glob("*.pt.trace.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["traceEvents"]


def test_legacy_autograd_profiler_and_decorator():
    from ember.autograd import profiler as AP

    @P.record_function("my_fn")
    def f(x):
        return x + 1
    with AP.profile(record_shapes=True) as prof:
        f(ember.ones(2, requires_grad=True))
    assert {"my_fn", "ember::Add"} <= {e.key for e in prof.key_averages()}
    with AP.profile(enabled=False) as off:
        f(ember.ones(2))
    assert len(off.events()) == 0
