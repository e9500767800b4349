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
