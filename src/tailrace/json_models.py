"""The one edge where computed figures become JSON: :class:`JsonReady` and :func:`json_answer`.

A stage's figures arrive as numpy scalars and arrays, and sometimes NaN or infinite (a gap no
search closed, a standard error of one scenario). JSON has no NaN, and every face (the CLI's
``--json`` files, the API's answers, the web page) shows such a figure as null. Models built on
:class:`JsonReady` make each field plain as it is given, once; nothing downstream calls
``outputs.jsonable`` again. The pipeline's result models (``pipeline.OptimizeResult`` and its
rows) and the API's answers (``api.schemas``) build on it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator

from tailrace.outputs import jsonable

__all__ = ["JsonReady", "json_answer"]


def _json_ready(x: Any) -> Any:
    """``x`` as plain JSON values (``outputs.jsonable``: numpy unpacked, NaN and infinities as
    None), a pydantic model left as it is (it made its own fields ready)."""
    if isinstance(x, BaseModel):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(v, BaseModel) for v in x):
        return [_json_ready(v) for v in x]
    return jsonable(x)


class JsonReady(BaseModel):
    """A model whose every field is made JSON-ready as it is given: numpy scalars and arrays as
    plain numbers and lists, NaN and infinities as None (null), at any depth of a dict or list.
    The one edge where a figure a stage computed (a NaN gap, a numpy mean) becomes what every face
    shows and writes: the pipeline's result models and the API's answers (``api.schemas``) build
    on it, and :func:`json_answer` passes a face's plain answer through it."""

    @field_validator("*", mode="before")
    @classmethod
    def _ready(cls, v: Any) -> Any:
        return _json_ready(v)


def json_answer(model: type[BaseModel], raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` made JSON-ready by ``model`` (a :class:`JsonReady`, validating as it always does):
    its keys only, in its own order, each value as ``model`` dumps it to JSON."""
    d = model.model_validate(raw).model_dump(mode="json")
    return {k: d[k] for k in raw}
