"""Health, slates, constraint specs, errors and the API key — against a real server over HTTP."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tailrace.slate import demo_paths, read_slate

from .conftest import start_server

pytestmark = pytest.mark.service


def _demo_files() -> dict:
    sal, proj = demo_paths()
    return {"salaries": ("DKSalaries.csv", sal.read_bytes(), "text/csv"),
            "projections": ("projections.csv", proj.read_bytes(), "text/csv")}


def test_health_reports_version_and_cache(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["version"] == __import__("tailrace").__version__
    assert set(body["cache"]) >= {"entries", "bytes", "hit_rate"}


def test_upload_demo_slate_matches_library(client: httpx.Client) -> None:
    r = client.post("/slates", data={"site": "dk"}, files=_demo_files())
    assert r.status_code == 201, r.text
    body = r.json()
    lib = read_slate("dk", *demo_paths())
    assert body["n_drivers"] == lib.n == 38
    assert [d["id"] for d in body["drivers"]] == lib.ids
    assert [d["start"] for d in body["drivers"]] == [d.start for d in lib.drivers]
    assert body["track"] == lib.track
    again = client.get(f"/slates/{body['slate_id']}")
    assert again.status_code == 200 and again.json() == body
    # the same content uploads to the same id (content-addressed, one copy)
    assert client.post("/slates", data={"site": "dk"}, files=_demo_files()).json()["slate_id"] == body["slate_id"]


def test_name_mismatch_is_422_listing_each_name(client: httpx.Client) -> None:
    sal, proj = demo_paths()
    rows = list(csv.reader(io.StringIO(proj.read_text())))
    rows[1][0] = "Austen Crenshawe"  # misspelt
    rows[2][0] = "Nobody At All"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    files = {"salaries": ("DKSalaries.csv", sal.read_bytes(), "text/csv"),
             "projections": ("my-proj.csv", buf.getvalue().encode(), "text/csv")}
    r = client.post("/slates", data={"site": "dk"}, files=files)
    assert r.status_code == 422
    body = r.json()
    msgs = " ".join(d["msg"] for d in body["detail"])
    assert "Austen Crenshawe" in msgs and "Nobody At All" in msgs
    rows_named = {(d["file"], d["row"]) for d in body["detail"] if d["row"] is not None}
    assert ("my-proj.csv", 2) in rows_named and ("my-proj.csv", 3) in rows_named
    # the salary drivers left without a row are listed too, and no server path leaks out
    assert "Austin Crenshaw" in msgs
    assert "/tmp" not in r.text and "tailrace-upload" not in r.text and "Traceback" not in r.text


def _json_slate(n: int = 8) -> dict:
    return {"site": "dk", "track": "Kansas", "drivers": [
        {"id": str(1000 + i), "name": f"Driver {i}", "salary": 6000 + 250 * i, "start": i + 1,
         "projection": 20.0 + i} for i in range(n)]}


def test_json_slate_and_field_paths(client: httpx.Client) -> None:
    r = client.post("/slates", json=_json_slate())
    assert r.status_code == 201, r.text
    assert r.json()["n_drivers"] == 8
    bad = _json_slate()
    bad["drivers"][3]["salary"] = 100  # outside the DK range
    bad["drivers"][5]["start"] = 1  # start used twice
    r = client.post("/slates", json=bad)
    assert r.status_code == 422
    fields = {d["field"] for d in r.json()["detail"]}
    assert "drivers[3].salary" in fields
    assert any(f and f.startswith("drivers[") and f.endswith(".start") for f in fields)
    r = client.post("/slates", json={"site": "xx", "drivers": []})
    assert r.status_code == 422
    locs = [tuple(d["loc"]) for d in r.json()["detail"]]
    assert ("body", "site") in locs and ("body", "drivers") in locs


def test_unknown_ids_are_404(client: httpx.Client) -> None:
    for path in ("/slates/sl_nope", "/constraint-specs/cs_nope", "/jobs/job_nope", "/portfolios/pf_nope",
                 "/portfolios/pf_nope/export"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "nope" in r.json()["message"]
    r = client.post("/simulate", json={"slate_id": "sl_nope", "n_scenarios": 1000, "seed": 1})
    assert r.status_code == 404


def test_constraint_specs_round_trip(client: httpx.Client) -> None:
    spec = {"n_lineups": 5, "global_max_exposure": 0.6, "objective": {"kind": "upper-cvar", "beta": 0.05}}
    r = client.post("/constraint-specs", json={"name": "gpp", "spec": spec})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    got = client.get(f"/constraint-specs/{sid}").json()
    assert got["name"] == "gpp" and got["spec"]["n_lineups"] == 5 and got["spec"]["objective"]["beta"] == 0.05
    assert sid in [s["id"] for s in client.get("/constraint-specs").json()["specs"]]
    r = client.post("/constraint-specs", json={"spec": {"n_lineups": 500, "max_overlap": -1, "bogus": 1}})
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert ("body", "spec", "n_lineups") in locs and ("body", "spec", "max_overlap") in locs
    assert ("body", "spec", "bogus") in locs


def test_malformed_bodies_are_4xx_not_500(client: httpx.Client) -> None:
    r = client.post("/constraint-specs", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/slates", content=b"plain", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = client.post("/slates", content=b"--x\r\n", headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 422


def test_api_key_and_upload_limit(tmp_path) -> None:
    srv = start_server(tmp_path / "data", {"TAILRACE_API_KEY": "s3cret", "TAILRACE_MAX_UPLOAD_BYTES": "2000"})
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            assert c.get("/health").status_code == 200  # open
            assert c.get("/constraint-specs").status_code == 401
            assert c.get("/constraint-specs", headers={"X-API-Key": "wrong"}).status_code == 401
            assert c.get("/constraint-specs", headers={"X-API-Key": "s3cret"}).status_code == 200
            r = c.post("/slates", headers={"X-API-Key": "s3cret"}, data={"site": "dk"}, files=_demo_files())
            assert r.status_code == 413

            def chunks():  # no Content-Length: the limit is enforced while the body streams in
                for _ in range(10):
                    yield b" " * 500

            r = c.post("/constraint-specs", headers={"X-API-Key": "s3cret", "content-type": "application/json"},
                       content=chunks())
            assert r.status_code == 413 and "2,000 bytes" in r.json()["message"]
            # CORS is off unless configured: no allow-origin header
            r = c.get("/health", headers={"Origin": "http://evil.example"})
            assert "access-control-allow-origin" not in r.headers
    finally:
        srv.stop()


def test_web_page_is_served_without_cdn(client: httpx.Client) -> None:
    import re

    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert 'id="upload"' in page and 'src="static/app.js"' in page
    assert "http://" not in page and "https://" not in page  # no CDN, no external resource
    # every script and style the page loads is served here, and none of them loads anything from elsewhere
    assets = re.findall(r'(?:src|href)="(static/[^"]+)"', page)
    assert {"static/app.js", "static/style.css", "static/vendor/chart.umd.min.js"} <= set(assets)
    for name in ("static/app.js", "static/api.js", "static/charts.js", "static/style.css",
                 "static/vendor/chart.umd.min.js"):
        a = client.get("/" + name)
        assert a.status_code == 200, name
        body = a.text
        if "vendor" in name:  # the library's banner and a dependency's readme link are comments, not loads
            body = body.replace("https://www.chartjs.org", "").replace("https://github.com/kurkle/color#readme", "")
        assert "http://" not in body and "https://" not in body and "import(" not in body, name
    assert "optimize" in client.get("/static/app.js").text
    assert client.get("/docs").status_code == 200
    assert "/optimize" in client.get("/openapi.json").json()["paths"]
