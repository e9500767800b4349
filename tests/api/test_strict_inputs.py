"""Strict request types and the uploads the CLI accepts (issue 12, defect 8), over HTTP."""

from __future__ import annotations

import httpx
import pytest

from .conftest import small_demo_files

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def slate_id(client: httpx.Client) -> str:
    sal, proj = small_demo_files()
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("DKSalaries.csv", sal),
                                                          "projections": ("proj.csv", proj)})
    assert r.status_code == 201, r.text
    return r.json()["slate_id"]


@pytest.mark.parametrize("body", [
    {"seed": False}, {"seed": "7"}, {"n_scenarios": 1000.5}, {"n_scenarios": True},
])
def test_simulate_rejects_loose_types(client: httpx.Client, slate_id: str, body: dict) -> None:
    r = client.post("/simulate", json={"slate_id": slate_id, **body})
    assert r.status_code == 422, r.text
    assert list(body)[0] in r.text


def test_empty_lock_is_a_422(client: httpx.Client, slate_id: str) -> None:
    r = client.post("/optimize", json={"slate_id": slate_id, "n_scenarios": 500, "spec": {"locks": ""}})
    assert r.status_code == 422, r.text
    assert "locks" in r.text and "empty" in r.text


def test_utf16_salary_upload_is_read_like_the_cli(client: httpx.Client) -> None:
    sal, proj = small_demo_files()
    r = client.post("/slates", data={"site": "dk"},
                    files={"salaries": ("DKSalaries.csv", sal.decode("utf-8-sig").encode("utf-16")),
                           "projections": ("proj.csv", proj)})
    assert r.status_code == 201, r.text
    assert r.json()["n_drivers"] == 16


def test_projection_shift_is_a_422_unless_asked(client: httpx.Client) -> None:
    """The 16-driver test slate with the 38-car race's projections (x 1/1.42): a shift of ~13
    points a driver is refused, and fitted when the request asks for it."""
    import csv
    import io

    sal, proj = small_demo_files()
    rows = list(csv.reader(io.StringIO(proj.decode())))
    col = rows[0].index("projection")
    for r in rows[1:]:
        r[col] = f"{float(r[col]) / 1.42:.2f}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    r = client.post("/slates", data={"site": "dk"}, files={"salaries": ("DKSalaries.csv", sal),
                                                          "projections": ("proj.csv", buf.getvalue().encode())})
    sid = r.json()["slate_id"]
    r = client.post("/simulate", json={"slate_id": sid, "n_scenarios": 500})
    assert r.status_code == 422 and "every driver would have to move" in r.text
    r = client.post("/simulate", json={"slate_id": sid, "n_scenarios": 500, "allow_projection_shift": True})
    assert r.status_code == 200, r.text
    assert any("shifted by" in w for w in r.json()["warnings"])


@pytest.mark.parametrize("spec", ['{"objective": {"blend": "\\ud800"}}', '{"locks": ["\\udc00"]}'])
def test_lone_surrogate_in_json_is_a_422_not_a_500(client: httpx.Client, slate_id: str, spec: str) -> None:
    """Found by fuzzing the readers: ``"\\ud800"`` is valid JSON but not text; the blend parser
    and the error renderer both died encoding it (500)."""
    body = '{"slate_id": "%s", "n_scenarios": 500, "spec": %s}' % (slate_id, spec)
    r = client.post("/optimize", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert "surrogate" in r.json()["message"] and r.json()["detail"][0]["loc"] == ["body"]
