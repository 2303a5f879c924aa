"""ember.jit (torch.jit) behaves as PyTorch with PYTORCH_JIT=0; calls that need a compiled
program get NotImplementedError."""
import pytest

import ember


def test_script_and_trace_run_eagerly_with_the_same_results():
    @ember.jit.script
    def f(x):
        return x * 2 + 1
    assert f(ember.ones(2)).tolist() == [3.0, 3.0]
    m = ember.nn.Linear(3, 2)
    assert ember.jit.script(m) is m
    t = ember.jit.trace(m, ember.ones(1, 3))
    assert ember.equal(t(ember.ones(4, 3)), m(ember.ones(4, 3)))
    assert ember.jit.trace_module(m, {"forward": ember.ones(1, 3)}) is m


def test_decorators_and_queries_are_pass_throughs():
    class M(ember.nn.Module):
        @ember.jit.ignore
        def helper(self, x):
            return x + 1

        @ember.jit.unused
        def other(self, x):
            return x

        @ember.jit.export
        def forward(self, x):
            return self.helper(x)
    assert M()(ember.zeros(1)).item() == 1.0
    assert ember.jit.ignore(drop=True)(len) is len
    assert not ember.jit.is_scripting() and not ember.jit.is_tracing()
    assert ember.jit.annotate(list, [1]) == [1]
    assert ember.jit.isinstance([1], list)
    assert ember.jit.wait(ember.jit.fork(lambda a: a * 3, 2)) == 6
    with ember.jit.optimized_execution(True):
        pass


def test_compiled_program_calls_are_not_implemented(tmp_path):
    m = ember.nn.Linear(2, 2)
    for call in (lambda: ember.jit.save(m, str(tmp_path / "m.pt")),
                 lambda: ember.jit.load(str(tmp_path / "m.pt")),
                 lambda: ember.jit.freeze(m)):
        with pytest.raises(NotImplementedError, match="no TorchScript"):
            call()

