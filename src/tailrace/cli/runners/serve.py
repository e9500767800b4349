"""The work of ``tailrace serve``: what runs once its flags are read (:mod:`tailrace.cli.serve`
declares them). Every import is at the top: this module loads only when the command runs.
"""

from __future__ import annotations

import uvicorn
from pydantic import ValidationError

from tailrace.api import Settings, create_app
from tailrace.errors import InputError, Problem


def run(host: str, port: int, data_dir: str, log_level: str) -> None:
    """The work of ``tailrace serve`` (``serve``, its flags and help: :func:`tailrace.cli.serve.serve`)."""
    try:
        settings = Settings.from_env()
    except ValidationError as exc:
        raise InputError([Problem(e["msg"], field="TAILRACE_" + str(e["loc"][0]).upper(),
                                  fix="fix or unset this environment variable") for e in exc.errors()]) from None
    except ValueError as exc:
        raise InputError(Problem(str(exc), fix="fix the TAILRACE_* environment variable")) from None
    if data_dir:
        settings = Settings.model_validate({**settings.model_dump(), "data_dir": data_dir})
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
