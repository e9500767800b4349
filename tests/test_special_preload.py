"""``startup.preload_special_ufuncs``: the simulator's scipy.special ufuncs without the package's
``__init__`` (the CLI's start-up), the same ufunc objects and the same numbers as ``scipy.special``."""

from __future__ import annotations

import json
import subprocess
import sys

_CHECK = """
import json, sys
import numpy as np
from tailrace.startup import preload_special_ufuncs, special_ufunc
first = preload_special_ufuncs()
second = preload_special_ufuncs()
package_after_preload = "scipy.special" in sys.modules
ndtri, log_ndtr = special_ufunc("ndtri"), special_ufunc("log_ndtr")
x = np.array([0.025, 0.5, 0.975])
vals = [ndtri(x).tolist(), log_ndtr(np.array([-30.0, 0.0, 2.0])).tolist()]
import scipy.special  # the package proper, run now
from scipy.special import ndtri as n2, log_ndtr as l2
print(json.dumps({"first": first, "second": second, "package_after_preload": package_after_preload,
                  "same": [ndtri is n2, log_ndtr is l2], "vals": vals,
                  "package_works": float(scipy.special.gammaln(5.0))}))
"""


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_preload_gives_scipy_special_own_ufuncs_without_running_the_package() -> None:
    r = _run(_CHECK)
    assert r["first"] is True and r["second"] is False  # loaded once; a second call changes nothing
    assert r["package_after_preload"] is False  # scipy/special/__init__ did not run
    assert r["same"] == [True, True]  # the package, imported later, hands out the very same ufuncs
    # standard normal quantiles and log CDF, worked by hand: Phi^-1(0.975) = 1.959963984540054,
    # log Phi(0) = log 1/2; log Phi(-30) ~ -30^2/2 - log(30 sqrt(2 pi)) = -454.321...
    nd, lnd = r["vals"]
    assert abs(nd[0] + 1.959963984540054) < 1e-12 and nd[1] == 0.0 and abs(nd[2] - 1.959963984540054) < 1e-12
    assert abs(lnd[0] - (-450.0 - 4.3208)) < 1e-2 and abs(lnd[1] - (-0.6931471805599453)) < 1e-15
    assert abs(r["package_works"] - 3.1780538303479458) < 1e-12  # log 4! = log 24


def test_without_the_preload_the_package_is_imported_as_usual() -> None:
    r = _run(_CHECK.replace("first = preload_special_ufuncs()", "import scipy.special; first = True"))
    assert r["second"] is False and r["package_after_preload"] is True
    assert r["same"] == [True, True]
