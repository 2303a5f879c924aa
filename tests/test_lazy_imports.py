"""`import ember` leaves rarely-needed submodules (optim, utils, distributions, special, hub,
vision, and nn's module classes / init / utils) to be imported on first use (PEP 562). Each
check runs in a fresh interpreter, since this test process has imported everything already."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(code):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                         capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_ember_defers_heavy_submodules():
    run("""
        import sys
        import ember
        lazy = ["ember.optim", "ember.utils", "ember.utils.data", "ember.distributions",
                "ember.special", "ember.hub", "ember.vision", "ember.nn.modules",
                "ember.nn.init", "ember.nn.utils"]
        assert not [m for m in lazy if m in sys.modules], [m for m in lazy if m in sys.modules]
        # what must be ready at import: Tensor methods bound by nn.functional/linalg/fft,
        # dtypes and the default dtype, top-level ops
        t = ember.ones(2, 3)
        assert t.softmax(1).shape == (2, 3) and hasattr(t, "det") and hasattr(t, "stft")
        assert ember.get_default_dtype() is ember.float32
        assert callable(ember.det) and callable(ember.conv2d) and callable(ember.stft)
    """)


def test_lazy_submodules_work_as_attributes_and_imports():
    run("""
        import ember
        names = dir(ember)
        for name in ("nn", "optim", "utils", "distributions", "linalg", "fft", "special",
                     "hub", "vision", "cuda", "autograd"):
            assert name in names, name
            assert getattr(ember, name).__name__ == "ember." + name
        assert ember.utils.data.DataLoader.__module__ == "ember.utils.data.dataloader"
        assert "data" in dir(ember.utils)
        from ember import optim, distributions
        from ember.optim import SGD
        from ember.utils.data import DataLoader
        import ember.special
        assert optim.SGD is SGD and distributions.Normal is ember.distributions.Normal
        try:
            ember.no_such_thing
        except AttributeError as e:
            assert "no_such_thing" in str(e)
        else:
            raise AssertionError("no AttributeError")
    """)


def test_nn_names_load_on_first_use():
    out = run("""
        import ember, sys
        nn = ember.nn
        assert nn.Linear.__module__ == "ember.nn.modules.linear"
        from ember.nn import Conv2d, init, utils
        assert nn.init is init and nn.utils is utils and nn.modules.Conv2d is Conv2d
        assert "Linear" in dir(nn) and "functional" in dir(nn) and "Parameter" in dir(nn)
        assert not hasattr(nn, "__all__") and not hasattr(nn, "NoSuchLayer")
        print(sorted(n for n in dir(nn) if not n.startswith("_")))
    """)
    star = run("""
        ns = {}
        exec("from ember.nn import *", ns)
        print(sorted(n for n in ns if not n.startswith("_")))
    """)
    assert out == star   # a star import sees every public name, as with eager imports
    assert "'Linear'" in star and "'MSELoss'" in star and "'init'" in star


def test_pickles_find_lazily_imported_classes(tmp_path):
    path = str(tmp_path / "ckpt.pt")
    run(f"""
        import pickle, ember
        m = ember.nn.Sequential(ember.nn.Linear(2, 3), ember.nn.ReLU())
        opt = ember.optim.SGD(m.parameters(), lr=0.1)
        d = ember.distributions.Normal(ember.zeros(2), ember.ones(2))
        ember.save({{"model": m, "opt": opt.state_dict(), "dist": d}}, {path!r})
    """)
    run(f"""
        import sys, ember
        assert "ember.nn.modules" not in sys.modules
        ckpt = ember.load({path!r}, weights_only=False)
        assert type(ckpt["model"]).__name__ == "Sequential"
        assert type(ckpt["dist"]).__module__ == "ember.distributions.normal"
        assert ckpt["opt"]["param_groups"][0]["lr"] == 0.1
    """)
