"""Run unmodified PyTorch programs on ember: ``python -m ember.compat script.py [args]``.

The runner puts an import hook first on ``sys.meta_path`` that answers ``torch``,
``torchvision``, ``torchaudio`` and ``torchtext`` (and their submodules) with ember's own
module objects, so ``import torch`` in the script gives ``ember`` itself (``torch.nn is
ember.nn``), then runs the script as ``python script.py`` would.  A torch-side module with no
ember counterpart raises ModuleNotFoundError naming it; nothing falls back to a real PyTorch
installation.  See docs/compat.md.
"""
import importlib
import importlib.abc
import importlib.machinery
import os
import runpy
import sys

__all__ = ["install", "uninstall", "is_installed", "resolve", "run_path", "run_module", "main"]

# torch-side top-level package -> ember module that stands in for it
PACKAGES = {
    "torch": "ember",
    "torchvision": "ember.vision",
    "torchaudio": "ember.audio",
    "torchtext": "ember.text",
}

# torch-side modules whose ember module is not found by the prefix rule above.  A value of
# None marks a module known to have no ember counterpart (the string after it says why).
RENAMES = {}

_REASONS = {}


def resolve(fullname):
    """The ember module name that stands in for torch-side `fullname`, None if `fullname` is
    not a torch-side name.  Raises ModuleNotFoundError for a module known to be missing."""
    top = fullname.partition(".")[0]
    if top not in PACKAGES:
        return None
    # longest renamed prefix first: torch.a.b.c -> RENAMES['torch.a.b'] + '.c'
    parts = fullname.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in RENAMES:
            target = RENAMES[prefix]
            if target is None:
                raise _missing(fullname, None, _REASONS.get(prefix))
            return ".".join([target] + parts[i:])
    return ".".join([PACKAGES[top]] + parts[1:])


def _missing(fullname, target, reason=None):
    if reason is None:
        reason = f"ember has no module {target!r} to stand in for it"
    return ModuleNotFoundError(
        f"No module named {fullname!r}: {reason} (ember.compat maps torch, torchvision, "
        f"torchaudio and torchtext onto ember; see docs/compat.md for what is unsupported)",
        name=fullname)


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an already-imported ember module under the torch-side name."""

    def __init__(self, module):
        self.module = module
        self.spec = getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        # module_from_spec overwrote __spec__ with the alias spec; give ember its own back
        if self.spec is not None:
            try:
                module.__spec__ = self.spec
            except AttributeError:
                pass


class _TorchAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        name = resolve(fullname)
        if name is None:
            return None
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            # the ember module itself (or a parent of it) is missing: say which torch module
            # that was; a missing third-party dependency inside ember propagates unchanged
            if e.name is not None and (name == e.name or name.startswith(e.name + ".")):
                raise _missing(fullname, name) from None
            raise
        loader = _AliasLoader(module)
        spec = importlib.machinery.ModuleSpec(
            fullname, loader, is_package=hasattr(module, "__path__"))
        if spec.submodule_search_locations is not None:
            spec.submodule_search_locations = list(getattr(module, "__path__", []))
        return spec


_FINDER = _TorchAliasFinder()


def install():
    """Put the torch -> ember import hook first on sys.meta_path (idempotent).  Torch-side
    modules already imported (a real PyTorch) are dropped from sys.modules first.  Processes
    multiprocessing starts with 'spawn' or 'forkserver' get the hook too."""
    for mod in list(sys.modules):
        if mod.partition(".")[0] in PACKAGES and not _is_alias(mod):
            del sys.modules[mod]
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    sys.meta_path.insert(0, _FINDER)
    _hook_new_processes()
    _report_torch_version(True)


# PyTorch programs gate features on `torch.__version__` ("if torch.__version__ >= '2.0'"):
# under the hook it reports the PyTorch API ember follows, with ember's own version as the
# local part ("2.13.0+ember0.1.0"); `import ember` alone keeps ember's plain version.
_plain_versions = []


def _report_torch_version(on):
    import ember
    import ember.version as v
    if on:
        if not _plain_versions:
            _plain_versions.append((ember.__version__, v.__version__))
        tv = v.TorchVersion(f"{v.torch_api}+ember{v._EMBER}")
        ember.__version__ = v.__version__ = tv
    elif _plain_versions:
        ember.__version__, v.__version__ = _plain_versions.pop()


# ---------------------------------------------------------------- spawned processes
# A process started with 'spawn' or 'forkserver' is a fresh interpreter that re-imports the
# script (as __mp_main__) before it unpickles its target: without the hook its `import
# torch` would fail or find a real PyTorch.  multiprocessing sends each such child a dict of
# "preparation data" that the child unpickles first thing, before it imports the script; we
# add one entry whose unpickling installs the hook (the child ignores the entry itself).
class _HookInChild:
    def __reduce__(self):
        # exec with a fresh namespace: the child may not find ember on its default sys.path
        # yet (multiprocessing restores the parent's sys.path only after this), so put the
        # folder holding the ember package there for the import
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        code = ("import sys\n"
                f"sys.path.insert(0, {root!r})\n"
                "try:\n"
                "    import ember.compat\n"
                "finally:\n"
                f"    sys.path.remove({root!r})\n"
                "ember.compat.install()\n")
        return (exec, (code, {}))


def _hook_new_processes():
    import multiprocessing.forkserver
    import multiprocessing.spawn
    spawn = multiprocessing.spawn
    if getattr(spawn.get_preparation_data, "_ember_compat", False):
        return
    original = spawn.get_preparation_data

    def get_preparation_data(name):
        data = original(name)
        if is_installed():
            data["ember_compat_hook"] = _HookInChild()
        return data

    get_preparation_data._ember_compat = True
    spawn.get_preparation_data = get_preparation_data

    # The fork server would import the script itself ('__main__' preload) before any child
    # data arrives: skip that while the hook is on; each child imports the script, hooked.
    server = multiprocessing.forkserver.ForkServer
    ensure_running = server.ensure_running

    def ensure_running_hooked(self):
        if is_installed() and "__main__" in self._preload_modules:
            self._preload_modules = [m for m in self._preload_modules if m != "__main__"]
        return ensure_running(self)

    server.ensure_running = ensure_running_hooked


def _is_alias(mod):
    m = sys.modules.get(mod)
    return getattr(m, "__name__", "").partition(".")[0] == "ember"


def uninstall():
    """Remove the hook and the torch-side names it put in sys.modules."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for mod in list(sys.modules):
        if mod.partition(".")[0] in PACKAGES and _is_alias(mod):
            del sys.modules[mod]
    _report_torch_version(False)


def is_installed():
    return _FINDER in sys.meta_path


def run_path(script, args=()):
    """Run `script` as ``python script args`` would, with torch* imports answered by ember."""
    install()
    sys.argv = [script, *args]
    # python script.py puts the script's folder first on sys.path (not the cwd)
    folder = os.path.dirname(os.path.abspath(script))
    if sys.path and sys.path[0] in ("", os.getcwd()) and not getattr(sys.flags, "safe_path", False):
        sys.path[0] = folder
    else:
        sys.path.insert(0, folder)
    runpy.run_path(script, run_name="__main__")


def run_module(module, args=()):
    """Run `module` as ``python -m module args`` would, with torch* imports answered by ember."""
    install()
    sys.argv = [module, *args]       # runpy replaces argv[0] with the module's file
    if not sys.path or sys.path[0] != os.getcwd():
        sys.path.insert(0, os.getcwd())
    runpy.run_module(module, run_name="__main__", alter_sys=True)


_USAGE = """\
usage: python -m ember.compat script.py [args ...]
       python -m ember.compat -m module [args ...]
       ember-run script.py [args ...]

Runs a PyTorch program unchanged on ember: imports of torch, torchvision, torchaudio and
torchtext (and their submodules) get ember's modules.  See docs/compat.md."""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    if argv[0] == "-m":
        if len(argv) < 2:
            print("ember.compat: -m needs a module name\n" + _USAGE, file=sys.stderr)
            return 2
        run_module(argv[1], argv[2:])
        return 0
    if argv[0] == "--":
        argv = argv[1:]
    script = argv[0]
    if not os.path.exists(script):
        print(f"ember.compat: can't open file {os.path.abspath(script)!r}: "
              "No such file or directory", file=sys.stderr)
        return 2
    run_path(script, argv[1:])
    return 0
