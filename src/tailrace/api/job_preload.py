"""Imported by the job forkserver only (``job_start.PRELOAD``): dies with the server, imports what
every job needs, and refuses to serve if that left a thread running (see :mod:`tailrace.api.job_start`).

Do not import it anywhere else: it asks the kernel to kill the importing process with its parent.
The imports run in this order on purpose (hence not all at the top): numpy and scipy.special's
ufuncs first (each loads its own OpenBLAS, which starts a thread pool and stops it before a fork),
so those threads are the baseline :func:`~tailrace.api.job_start.check_fork_safe` allows; then
the job runner and every work module ``api.kinds`` names; then the check.
"""

from tailrace.api.job_start import check_fork_safe, die_with_parent, os_threads

die_with_parent()

import numpy  # noqa: E402,F401  (numpy's OpenBLAS starts its thread pool here)

from tailrace.startup import preload_special_ufuncs  # noqa: E402

preload_special_ufuncs()  # scipy's own OpenBLAS (the simulator's ndtri/gammaincinv load it)

_BASELINE = os_threads()

import tailrace.api.jobs  # noqa: E402,F401
from tailrace.api import kinds  # noqa: E402

for _kind in kinds.WORK_MODULES:  # every job kind's work and what it imports
    kinds.work_module(_kind)
check_fork_safe(_BASELINE)
