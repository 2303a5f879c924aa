"""`python -m ember.compat script.py` runs PyTorch programs unchanged on ember."""
import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 60


def run(script_text, tmp_path, *args, name="script.py", cwd=None, runner=("-m", "ember.compat")):
    script = tmp_path / name
    script.write_text(textwrap.dedent(script_text))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, *runner, str(script), *args],
                          capture_output=True, text=True, timeout=TIMEOUT,
                          cwd=str(cwd or tmp_path), env=env)


def test_argv_name_and_exit_code(tmp_path):
    r = run("""
        import sys
        print(repr(sys.argv[1:]), __name__)
        sys.exit(3)
    """, tmp_path, "a b", "--flag", "-m", "x")
    assert r.returncode == 3, r.stderr
    assert r.stdout.split("\n")[0] == "['a b', '--flag', '-m', 'x'] __main__"


def test_argv0_is_the_script(tmp_path):
    r = run("import sys; print(sys.argv[0])", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(tmp_path / "script.py")


def test_uncaught_exception_exits_1_with_traceback_into_script(tmp_path):
    r = run("""
        x = 1

        def f():
            raise ValueError("boom from the script")
        f()
    """, tmp_path)
    assert r.returncode == 1
    assert f'File "{tmp_path / "script.py"}", line 5, in f' in r.stderr, r.stderr
    assert "ValueError: boom from the script" in r.stderr


def test_script_folder_first_on_sys_path(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 42\n")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    r = run("""
        import os, sys
        import helper_mod
        print(helper_mod.VALUE, sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
    """, tmp_path, cwd=elsewhere)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42 True"


def test_torch_is_ember(tmp_path):
    r = run("""
        import ember
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, TensorDataset
        import torchvision
        import torchvision.transforms as T
        from torchvision import datasets, models
        assert torch is ember and torch.nn is ember.nn and nn is ember.nn
        assert F is ember.nn.functional and optim is ember.optim
        assert StepLR is ember.optim.lr_scheduler.StepLR
        assert DataLoader is ember.utils.data.DataLoader
        assert torchvision is ember.vision and T is ember.vision.transforms
        assert datasets is ember.vision.datasets
        assert ember.__spec__.name == "ember"       # the alias did not rename ember
        x = torch.ones(2, requires_grad=True)
        (x * 3).sum().backward()
        print(type(x).__module__, x.grad.tolist())
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ember.tensor [3.0, 3.0]"


def test_real_torch_is_never_imported(tmp_path):
    r = run("""
        import sys, torch
        import torch.nn
        print(sorted(m for m in sys.modules if m.startswith("torch") and
                     not sys.modules[m].__name__.startswith("ember")))
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


@pytest.mark.parametrize("stmt, name", [
    ("import torch.export", "torch.export"),
    ("import torch._dynamo", "torch._dynamo"),
    ("import torch.fx", "torch.fx"),
    ("import torchvision.transforms.v2", "torchvision.transforms.v2"),
])
def test_unsupported_module_raises_clear_error(tmp_path, stmt, name):
    r = run(f"""
        try:
            {stmt}
        except ModuleNotFoundError as e:
            print(e.name)
            print(e)
        else:
            print("imported")
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    got_name, message = r.stdout.strip().split("\n")
    assert got_name == name
    assert f"No module named {name!r}" in message and "ember" in message


def test_renamed_to_none_names_the_reason():
    import ember.compat as compat
    compat.RENAMES["torch.some_missing"] = None
    compat._REASONS["torch.some_missing"] = "ember has no some_missing (why)"
    try:
        with pytest.raises(ModuleNotFoundError, match="ember has no some_missing \\(why\\)"):
            compat.resolve("torch.some_missing.sub")
    finally:
        del compat.RENAMES["torch.some_missing"], compat._REASONS["torch.some_missing"]


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawned_children_get_the_hook(tmp_path, method):
    """A 'spawn'/'forkserver' child re-imports the script as __mp_main__: its `import torch`
    must give ember there too, and torch.multiprocessing must work across it."""
    r = run(f"""
        import sys
        import torch
        import torch.multiprocessing as mp

        def child(t, q):
            import ember
            t.add_(1)
            q.put((torch is ember, __name__, t.is_shared(),
                   sorted(m for m in sys.modules if m.startswith("torch") and
                          not sys.modules[m].__name__.startswith("ember"))))

        if __name__ == "__main__":
            mp.set_start_method("{method}")
            t = torch.zeros(2).share_memory_()
            q = mp.Queue()
            p = mp.Process(target=child, args=(t, q))
            p.start()
            print(q.get(timeout=60))
            p.join()
            print(t.tolist(), p.exitcode)
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["(True, '__mp_main__', True, [])", "[1.0, 1.0] 0"]


def test_unsupported_module_uncaught_exits_1(tmp_path):
    r = run("import torch.export\n", tmp_path)
    assert r.returncode == 1
    assert "ModuleNotFoundError: No module named 'torch.export'" in r.stderr
    assert 'script.py", line 1' in r.stderr


def test_dash_m_runs_a_module(tmp_path):
    (tmp_path / "pkg_main_mod.py").write_text(
        "import sys, torch, ember\nprint(torch is ember, sys.argv[1:], __name__)\nsys.exit(4)\n")
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-m", "ember.compat", "-m", "pkg_main_mod", "x", "-y"],
                       capture_output=True, text=True, timeout=TIMEOUT, cwd=str(tmp_path), env=env)
    assert r.returncode == 4, r.stderr
    assert r.stdout.strip() == "True ['x', '-y'] __main__"


def test_missing_script_and_usage(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-m", "ember.compat", str(tmp_path / "nope.py")],
                       capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert r.returncode == 2 and "can't open file" in r.stderr
    r = subprocess.run([sys.executable, "-m", "ember.compat"],
                       capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert r.returncode == 2 and "usage" in r.stderr


def test_in_process_install_uninstall():
    import ember
    import ember.compat as compat
    saved = {m: sys.modules[m] for m in list(sys.modules) if m.split(".")[0] in compat.PACKAGES}
    try:
        compat.install()
        import torch
        import torch.nn.functional as F
        assert torch is ember and F is ember.nn.functional
        assert compat.resolve("torchvision.models.resnet") == "ember.vision.models.resnet"
        assert compat.resolve("numpy") is None
        assert torch.__version__ == "2.13.0+ember0.1.0" and torch.__version__ >= (2, 0)
    finally:
        compat.uninstall()
        sys.modules.update(saved)
    assert not compat.is_installed()
    assert ember.__spec__.name == "ember"
    assert ember.__version__ == "0.1.0"       # ember's own version again


def test_version_checks_take_the_modern_branch(tmp_path):
    r = run("""
        import torch
        from packaging import version
        assert torch.__version__ >= "2.0" and torch.__version__ >= (2, 13)
        assert torch.version.__version__ == torch.__version__
        print(torch.__version__, torch.version.cuda, torch.version.hip,
              version.parse(torch.__version__) >= version.parse("2.0"))
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["2.13.0+ember0.1.0", "None", "None", "True"]


def test_console_script_entry_point(tmp_path):
    """`ember-run script.py args` is `sys.exit(ember.compat.main())` (pyproject [project.scripts])."""
    (tmp_path / "sib.py").write_text("X = 'sibling'\n")
    (tmp_path / "s.py").write_text(
        "import sys, torch, ember, sib\nprint(torch is ember, sib.X, sys.argv[1:])\nsys.exit(5)\n")
    env = dict(os.environ, PYTHONPATH=REPO)
    r = subprocess.run([sys.executable, "-c",
                        "import sys; from ember.compat import main; sys.exit(main())",
                        str(tmp_path / "s.py"), "--lr", "0.1"],
                       capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO, env=env)
    assert r.returncode == 5, r.stderr
    assert r.stdout.strip() == "True sibling ['--lr', '0.1']"


def test_dataloader_spawn_workers_under_the_runner(tmp_path):
    r = run("""
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        if __name__ == "__main__":
            ds = TensorDataset(torch.arange(10.), torch.arange(10))
            dl = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="spawn")
            print([b[0].tolist() for b in dl])
    """, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]"
