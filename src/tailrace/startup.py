"""Start-up work of a short-lived tailrace process: load only what the kernels need.

The first numba kernel a process runs (compiled or read from numba's cache) makes numba load
its CPU target's registries, and one of them, ``numba.np.arraymath``, checks for BLAS at import
by ``import scipy.linalg.cython_blas``. That statement runs ``scipy/linalg/__init__.py`` first,
the whole of ``scipy.linalg`` (about 0.2 s on two cores, a fifth of a ``simulate``), although
numba only wants the one extension module, and no tailrace kernel calls BLAS.
:func:`preload_numba_blas` loads that extension module, the very same file, under its own name
before numba asks for it; the import system then finds it in ``sys.modules`` and never runs the
package's ``__init__``. Numba sees BLAS as present exactly as before (the same registries, the
same compiled code, the same answers), and a later ``import scipy.linalg`` works as usual and
adopts the module as its ``cython_blas`` attribute, as numba's own import would have left it (a
one-shot finder on ``sys.meta_path`` sees to that). Anything unexpected (no scipy, another
layout) leaves the normal import path.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
from types import ModuleType

log = logging.getLogger(__name__)

_BLAS = "scipy.linalg.cython_blas"


def preload_numba_blas() -> bool:
    """Load ``scipy.linalg.cython_blas`` without ``scipy.linalg``'s ``__init__``; True when it did.

    False (and nothing changed) when it is loaded already, when numba's registries are loaded
    already (too late to matter), or when scipy or the extension cannot be found or loaded.
    """
    if _BLAS in sys.modules or "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return False
    try:
        scipy_spec = importlib.util.find_spec("scipy")  # finds the package without importing it
        if scipy_spec is None or not scipy_spec.submodule_search_locations:
            return False
        for root in scipy_spec.submodule_search_locations:
            finder = importlib.machinery.FileFinder(
                f"{root}/linalg",
                (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES))
            spec = finder.find_spec(_BLAS)
            if spec is not None and spec.loader is not None:
                break
        else:
            return False
        module = importlib.util.module_from_spec(spec)
        sys.modules[_BLAS] = module
        spec.loader.exec_module(module)
    except Exception as exc:  # never a reason to fail a command: numba imports it the usual way
        sys.modules.pop(_BLAS, None)
        log.debug("preload of %s skipped: %s", _BLAS, exc)
        return False
    sys.meta_path.insert(0, _AdoptBlas())
    return True


class _AdoptBlas(importlib.abc.MetaPathFinder):
    """One shot: when ``scipy.linalg`` is imported, give it the preloaded extension as its
    ``cython_blas`` attribute once its ``__init__`` has run (the import system sets a parent's
    attribute only when it loads the child itself)."""

    def find_spec(self, fullname: str, path: object, target: ModuleType | None = None):  # noqa: ANN201
        if fullname != "scipy.linalg":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            blas = sys.modules.get(_BLAS)
            if blas is not None and not hasattr(module, "cython_blas"):
                module.cython_blas = blas

        spec.loader.exec_module = exec_module  # this spec's own loader object
        return spec


# ----------------------------------------------------------------------------- scipy.special's ufuncs

_SPECIAL = "scipy.special"
_UFUNCS = "scipy.special._ufuncs"


def preload_special_ufuncs() -> bool:
    """Load ``scipy.special._ufuncs`` without ``scipy.special``'s ``__init__``; True when it did.

    The simulator needs two of scipy.special's ufuncs (``ndtri``, ``log_ndtr``), but ``import
    scipy.special`` runs the package's ``__init__``, which builds its array-API wrappers by
    cloning numpy's namespace (numpy.f2py, numpy.ma and more): about 0.17 s of CPU on two cores,
    a sixth of a ``tailrace simulate``. The ufuncs live in one extension module; its own start
    imports only its sibling extensions (``_ufuncs_cxx``, ``_special_ufuncs`` and such). While it
    loads, a bare package object stands in for ``scipy.special`` (the real package's directory as
    its path, no code run) and is removed at once, so a later ``import scipy.special`` runs the
    package as usual and finds these very modules: ``scipy.special.ndtri is
    sys.modules["scipy.special._ufuncs"].ndtri`` (the same ufunc object, the same answers).

    For a process's start only, before any other thread runs (the CLI calls it before a command
    runs): another thread importing ``scipy.special`` while the stand-in is in place would get
    it. False (nothing changed) when other threads run, when ``scipy.special`` or its ufuncs are
    loaded already, or on anything unexpected; callers then import ``scipy.special`` as usual.
    """
    if _SPECIAL in sys.modules or _UFUNCS in sys.modules:
        return False
    import threading

    if threading.active_count() != 1:
        return False
    try:
        scipy_spec = importlib.util.find_spec("scipy")
        if scipy_spec is None or not scipy_spec.submodule_search_locations:
            return False
        roots = [f"{root}/special" for root in scipy_spec.submodule_search_locations]
        stand_in = ModuleType(_SPECIAL)
        stand_in.__path__ = roots
        stand_in.__package__ = _SPECIAL
        stand_in.__spec__ = importlib.machinery.ModuleSpec(_SPECIAL, None, is_package=True)
        stand_in.__spec__.submodule_search_locations = roots
        sys.modules[_SPECIAL] = stand_in
        try:
            importlib.import_module(_UFUNCS)
        finally:
            if sys.modules.get(_SPECIAL) is stand_in:
                del sys.modules[_SPECIAL]
    except Exception as exc:  # never a reason to fail a command: scipy.special is imported the usual way
        log.debug("preload of %s skipped: %s", _UFUNCS, exc)
        return False
    return True


def special_ufunc(name: str):  # noqa: ANN201  (a numpy ufunc)
    """scipy.special's ufunc ``name`` (e.g. ``"ndtri"``): from ``scipy.special`` when it is loaded,
    else from its ufunc module when :func:`preload_special_ufuncs` loaded that (the same object),
    else by importing ``scipy.special``."""
    mod = sys.modules.get(_SPECIAL)
    if mod is None:
        mod = sys.modules.get(_UFUNCS)
    if mod is None:
        mod = importlib.import_module(_SPECIAL)
    return getattr(mod, name)
