"""docs/compat.md's list of torch-side modules ember lacks stays true: each one listed
raises ModuleNotFoundError under the hook, and the modules its mapping table names resolve."""
import importlib
import os
import re
import sys

import pytest

import ember.compat as compat

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), "docs", "compat.md")


def _section(title):
    text = open(DOC, encoding="utf-8").read()
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else None]


def _listed_missing():
    part = _section("## Known unsupported")
    part = part[:part.index("Names inside existing modules")]
    names = []
    for code in re.findall(r"`([^`]+)`", part):
        if code.startswith("torch") and "(" not in code and "=" not in code:
            names.append(code)
    # "`torchaudio.models` / `pipelines` / ..." lists siblings by their last part
    for group in re.findall(r"`(torch\w*\.\w+)` / ((?:`\w+` / )*`\w+`)", part):
        base = group[0].rsplit(".", 1)[0]
        names += [f"{base}.{n}" for n in re.findall(r"`(\w+)`", group[1])]
    return sorted(set(n for n in names if "." in n and " " not in n))


@pytest.fixture
def hooked():
    saved = {m: sys.modules[m] for m in list(sys.modules) if m.split(".")[0] in compat.PACKAGES}
    compat.install()
    yield
    compat.uninstall()
    sys.modules.update(saved)


def test_the_list_is_parsed():
    names = _listed_missing()
    assert "torch.fx" in names and "torch.nested" in names and "torchaudio.pipelines" in names
    assert len(names) >= 20


@pytest.mark.parametrize("name", _listed_missing())
def test_listed_module_is_missing(hooked, name):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


@pytest.mark.parametrize("name", [
    "torch.nn.functional", "torch.optim.lr_scheduler", "torch.utils.data", "torch.multiprocessing",
    "torch.utils.tensorboard", "torch.utils.checkpoint", "torch.amp", "torch.accelerator",
    "torch.backends.cudnn", "torch.backends.mps", "torchvision.transforms", "torchaudio.transforms",
    "torchaudio.functional", "torchtext.vocab", "torchtext.data.utils", "torch.version",
    "torch.func", "torch.nn.utils.stateless", "torch.jit", "torch.onnx",
    "torch.profiler", "torch.autograd.profiler", "torch.testing",
    "torch.nn.utils.prune", "torch.utils.benchmark"])
def test_supported_module_imports(hooked, name):
    mod = importlib.import_module(name)
    assert mod.__name__.startswith("ember")
