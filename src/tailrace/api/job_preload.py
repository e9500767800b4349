"""Imported by the job forkserver only (``job_start.PRELOAD``): dies with the server, imports what
every job needs, and refuses to serve if that left a thread running (see :mod:`tailrace.api.job_start`).

Do not import it anywhere else: it asks the kernel to kill the importing process with its parent.
"""

from tailrace.api.job_start import prepare_forkserver

prepare_forkserver()
