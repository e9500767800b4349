"""The contest-day view in a real Chromium against a real `tailrace serve`: upload the demo slate,
plan a two-contest day from the page, and check the contests table equals the job's JSON cell for
cell, the allocation chart has two series of one bar per contest, the profit chart holds the day's
histogram, the steps are listed, a reload restores the view from the hash, and a bad contests line
is caught by its field before any request. Screenshots at 1280 px and 390 px go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from .test_page import DEMO, Page, _client, _table, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.service]

DAY = "Main GPP, gpp, 5, 300, 3\nDouble Up, double-up, 10, 40, 2"


def _upload(p: Page) -> None:
    page = p.page
    page.set_input_files("#salaries", str(DEMO / "dk_salaries.csv"))
    page.set_input_files("#projections", str(DEMO / "projections.csv"))
    page.click("#upload")
    page.wait_for_selector("#slateTable tbody tr:nth-child(38)")


def test_plan_view_shows_the_jobs_figures(server, browser) -> None:  # noqa: F811
    jid = None
    for width in (1280, 390):
        p = Page(browser, server.url, width=width)
        page = p.page
        if width == 1280:
            p.open()
            _upload(p)
            page.fill("#plContests", DAY)
            page.fill("#plBankroll", "100")
            page.fill("#plStake", "0.25")
            page.fill("#plScen", "300")
            page.fill("#plSeed", "4")
            page.click("#plRun")
            page.wait_for_selector("#plOut:not([hidden])")
            jid = p.hash()["pl"]
        else:  # a fresh page with the job in the hash shows the same result
            p.open(f"#pl={jid}")
            page.wait_for_selector("#plOut:not([hidden])")
        with _client(server) as api:
            job = api.get(f"/jobs/{jid}").json()
        assert job["kind"] == "plan" and job["state"] == "done"
        doc = job["result"]
        rows = _table(page, "#plTable")
        assert [r["name"] for r in rows] == ["Main GPP", "Double Up", "day"]
        for r, c in zip(rows, doc["contests"]):
            assert int(r["entries"]) == c["entries"] and float(r["stake"]) == c["stake"]
            if c["figures"]:
                for col in ("expected_profit", "roi", "p_loss", "profit_cvar", "p_top1"):
                    assert float(r[col]) == c["figures"][col], (c["name"], col)
        assert int(rows[2]["entries"]) == doc["entries"] and float(rows[2]["stake"]) == doc["stake"]
        if doc["stake"]:
            assert float(rows[2]["expected_profit"]) == doc["day"]["expected_profit"]
        charts = p.charts()
        assert charts["plAllocChart"]["series"] == 2 and charts["plAllocChart"]["points"] == [2, 2]
        assert page.evaluate("window.tailraceCharts.plAllocChart.data.datasets[0].data") == \
            [c["entries"] for c in doc["contests"]]
        assert charts["plProfitChart"]["points"] == [len(doc["day"]["profit_histogram"]["counts"])]
        assert charts["plProfitChart"]["visible"] and charts["plProfitChart"]["painted"] > 200
        assert page.locator("#plSteps li").count() == len(doc["allocation"]["steps"])
        assert f"seed {doc['scenarios']['report']['seed']}" in page.inner_text("#plInfo")
        assert p.errors == []
        p.shot("6-plan", width)
        p.close()


def test_plan_bad_contest_line_is_shown_by_its_field(server, browser) -> None:  # noqa: F811
    p = Page(browser, server.url)
    page = p.page
    p.open()
    _upload(p)
    page.fill("#plContests", "Main GPP, gpp, 5, 300\nDU, triple-up, 10, 40, 2")
    page.click("#plRun")
    page.wait_for_function("document.getElementById('err-plContests').textContent.includes('line 1')")
    text = page.inner_text("#err-plContests")
    assert "4 values" in text and "triple-up" in text and "line 2" in text
    assert "pl" not in p.hash()
    assert p.errors == []
    p.close()
