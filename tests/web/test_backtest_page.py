"""The backtest view in a real Chromium against a real `tailrace serve`: start a backtest job from
the page (a tiny history, SYNTHETIC salaries), follow it, and check the pooled table equals the
job's JSON cell for cell, the percentile chart has one series per method and one bar per race,
the SYNTHETIC label is shown, a reload restores the view from the hash, and a bad season comes
back under the seasons field. Screenshots at 1280 px and 390 px go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from _tinyhistory import history_csv, tiny_history

from .test_page import Page, _client, browser, server  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.service]


def _fill_small(page, hist: Path, seasons: str) -> None:
    page.set_input_files("#btHistory", str(hist))
    page.check("#btSynthetic")
    page.fill("#btSeasons", seasons)
    page.uncheck("#btmContest")
    page.uncheck("#btmRandomised")
    for sel, v in (("#btLineups", "2"), ("#btScen", "300"), ("#btDraws", "2"), ("#btField", "200"),
                   ("#btCash", "40"), ("#btMinHist", "10"), ("#btRefit", "2")):
        page.fill(sel, v)


def test_backtest_view_shows_the_jobs_figures(server, browser, tmp_path: Path) -> None:  # noqa: F811
    hist = tmp_path / "tiny_history.csv"
    hist.write_text(history_csv(tiny_history()))
    for width in (1280, 390):
        p = Page(browser, server.url, width=width)
        page = p.page
        if width == 1280:
            p.open()
            _fill_small(page, hist, "2020")
            page.click("#btRun")
            page.wait_for_selector("#btOut:not([hidden])")
            jid = p.hash()["bt"]
        else:  # a fresh page with the job in the hash shows the same result
            p.open(f"#bt={jid}")
            page.wait_for_selector("#btOut:not([hidden])")
        with _client(server) as api:
            job = api.get(f"/jobs/{jid}").json()
        assert job["kind"] == "backtest" and job["state"] == "done"
        doc = job["result"]
        assert set(doc["pooled"]) == {"synthetic"}
        rows = page.evaluate("""() => [...document.querySelectorAll('table.btPooled[data-kind=synthetic] tbody tr')]
            .map(tr => Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map(td => [td.dataset.col, td.dataset.v])))""")
        pooled = doc["pooled"]["synthetic"]["methods"]
        assert [r["method"] for r in rows] == doc["options"]["methods"] == ["marginal", "hvz"]
        for r in rows:
            f = pooled[r["method"]]
            for col in ("mean_percentile", "share_top_0_1pct", "share_top_1pct", "mean_gap", "gpp_roi", "cash_roi"):
                assert float(r[col]) == f[col], (r["method"], col)
        # contest mode is off: the paired differences are against marginal, the first method
        assert rows[0]["paired"] is None and float(rows[1]["paired"]) == pooled["hvz"]["gpp_roi_marginal_minus_this"]
        # SYNTHETIC is said in the pooled heading, the chart's title and labels, and the caption
        text = page.inner_text("#btOut")
        assert "Pooled over 2 race(s) — SYNTHETIC salaries" in text and "SYNTHETIC" in page.inner_text("#btCaption")
        assert "field draws only" in text  # what the SE covers
        c = p.charts()["btChart"]
        assert c["series"] == 2 and c["points"] == [2, 2] and c["painted"] > 500 and c["visible"]
        title = page.evaluate("window.tailraceCharts.btChart.options.plugins.title.text")
        labels = page.evaluate("window.tailraceCharts.btChart.data.labels")
        assert "SYNTHETIC" in title and labels == ["2020-11 SYNTHETIC", "2020-12 SYNTHETIC"]
        data = page.evaluate("window.tailraceCharts.btChart.data.datasets.map(d => d.data)")
        assert data == [[r["methods"][m]["percentile"] for r in doc["races"]] for m in ("marginal", "hvz")]
        assert page.locator("#btSkipped li").count() == 10
        assert p.errors == []
        p.shot("5-backtest", width)
        p.close()


def test_backtest_bad_season_is_shown_by_its_field(server, browser, tmp_path: Path) -> None:  # noqa: F811
    hist = tmp_path / "tiny_history.csv"
    hist.write_text(history_csv(tiny_history()))
    p = Page(browser, server.url)
    page = p.page
    p.open()
    _fill_small(page, hist, "1999")
    page.click("#btRun")
    page.wait_for_function("document.getElementById('err-btSeasons').textContent.includes('1999')")
    assert "2020" in page.inner_text("#err-btSeasons")  # the fix names the seasons the history holds
    assert "bt" not in p.hash()
    page.fill("#btSeasons", "twenty")  # caught on the page, before any request
    page.click("#btRun")
    page.wait_for_function("document.getElementById('err-btSeasons').textContent.includes('twenty')")
    assert p.errors == []
    p.close()
