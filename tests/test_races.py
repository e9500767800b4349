"""The Cup race-name table (tailrace.races): real 2019-2023 names, sponsor renames and moves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tailrace.errors import InputError
from tailrace.races import RACES, find_races, race_key, resolve_track_or_race


def _csv_races(path: Path) -> dict[tuple[int, int], tuple[str, str, str]]:
    out: dict[tuple[int, int], tuple[str, str, str]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out[(int(r["season"]), int(r["race_num"]))] = (r["track"], r["race_name"],
                                                           r["race_date_local"] or r["race_date"])
    return out


@pytest.mark.shared_data
def test_table_matches_the_results_file(shared_results_path: Path) -> None:
    real = _csv_races(shared_results_path)
    mine = {(r.season, r.race_num): (r.track, r.name, r.date) for r in RACES if r.season <= 2023}
    assert len(real) == 180 and mine == real


@pytest.mark.shared_data
def test_every_real_race_name_resolves_to_its_track(shared_results_path: Path) -> None:
    for (season, num), (track, name, date) in _csv_races(shared_results_path).items():
        trk, info = resolve_track_or_race(name, season, date)  # with the date: always the one race
        assert trk.name == track and (info.season, info.race_num) == (season, num), (season, num, name)
        hits = {r.track for r in find_races(name, season)}
        if len(hits) == 1:  # with the season alone: the track, wherever the season settles it
            assert resolve_track_or_race(name, season)[0].name == track
    # the one name two tracks used in one season needs the date
    assert {r.track for r in find_races("Gander RV 400", 2019)} == {"Dover International Speedway", "Pocono Raceway"}


def test_tolerant_keys() -> None:
    assert race_key("DAYTONA 500") == race_key("Daytona 500")
    assert race_key("Pennzoil 400 presented by Jiffy Lube") == race_key("pennzoil 400")
    assert race_key("O'Reilly Auto Parts 500") == race_key("OReilly Auto Parts 500")
    assert race_key("Drydene 311 (2)") == race_key("Drydene 311")
    assert race_key("Bojangles’ Southern 500") == race_key("Bojangles' Southern 500")


def test_auto_club_renames_resolve() -> None:
    # the same Auto Club race under three sponsors (results CSV: 2019-2020, 2022, 2023)
    for name, season in (("Auto Club 400", 2019), ("Wise Power 400", 2022), ("Pala Casino 400", 2023),
                         ("pala casino 400", None)):
        trk, info = resolve_track_or_race(name, season)
        assert trk.name == "Auto Club Speedway" and trk.track_type == "intermediate"
    assert resolve_track_or_race("Pala Casino 400")[1].season == 2023  # unique to one season


def test_a_sponsor_moving_resolves_by_season_else_is_reported() -> None:
    name = "Quaker State 400 presented by Walmart"
    assert resolve_track_or_race(name, 2019)[0].name == "Kentucky Speedway"
    atl = resolve_track_or_race(name, 2021)[0]
    assert atl.name == "Atlanta Motor Speedway" and atl.track_type == "intermediate"  # before the 2022 rebuild
    assert resolve_track_or_race(name, 2023)[0].track_type == "superspeedway"
    with pytest.raises(InputError) as exc:
        resolve_track_or_race(name)
    msg = str(exc.value)
    assert "Kentucky Speedway (2019, 2020)" in msg and "Atlanta Motor Speedway (2021, 2022, 2023, 2024, 2025)" in msg
    assert "Fix: pass track with the track's name, or say the season (season)" in msg
    # Cook Out 400: Richmond in 2023 (results), Martinsville in 2026 (schedule)
    assert resolve_track_or_race("Cook Out 400", 2023)[0].name == "Richmond Raceway"
    assert resolve_track_or_race("Cook Out 400", 2026)[0].name == "Martinsville Speedway"


def test_unknown_name_is_one_whole_sentence() -> None:
    with pytest.raises(InputError) as exc:
        resolve_track_or_race("Pala Casino 4000 Xtreme")
    msg = str(exc.value)
    assert msg.startswith("field 'track': unknown track or race 'Pala Casino 4000 Xtreme'. Fix: pass track with a "
                          "track name")
    assert msg.endswith("or a bare track type (superspeedway, intermediate, short, road, large-flat).")
    assert "Fix: or" not in msg


def test_unknown_track_fix_is_whole_when_nothing_is_close() -> None:
    from tailrace.tracks import resolve_track

    with pytest.raises(InputError) as exc:
        resolve_track("zzzz qqqq")
    assert "Fix: pass track with a track name or a bare track type (superspeedway," in str(exc.value)


def test_cli_unknown_race_exits_2_with_the_sentence(tmp_path: Path, capsys) -> None:
    from tailrace.cli import main
    from tailrace.slate import demo_paths

    sal, proj = demo_paths()
    rows = list(csv.reader(sal.open(newline="", encoding="utf-8")))
    g = rows[0].index("Game Info")
    for r in rows[1:]:
        r[g] = "Totally Unknown 400"
    bad = tmp_path / "DKSalaries.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    code = main(["optimize", "--site", "dk", "--salaries", str(bad), "--projections", str(proj),
                 "--n-scenarios", "100", "--no-explain"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "unknown track or race 'Totally Unknown 400'. Fix: pass --track with a track name" in err
    assert "or a bare track type (superspeedway, intermediate, short, road, large-flat)." in err


def test_hand_kept_seasons_are_whole_and_every_track_is_known() -> None:
    """2024 and 2025 list all 36 points races in date order; every track of the hand-kept table
    resolves; a name run twice in one season (Cook Out 400: Martinsville in spring, Richmond in
    August) is told apart by the date in Game Info."""
    import csv
    from importlib import resources

    from tailrace.tracks import resolve_track

    text = resources.files("tailrace").joinpath("data/races/cup_races_2024_2026.csv").read_text("utf-8")
    rows = list(csv.DictReader(ln for ln in text.splitlines() if not ln.startswith("#")))
    for season in ("2024", "2025"):
        got = [r for r in rows if r["season"] == season]
        assert [int(r["race_num"]) for r in got] == list(range(1, 37))
        assert [r["race_date"] for r in got] == sorted(r["race_date"] for r in got)
    for r in rows:
        resolve_track(r["track"])
    assert resolve_track_or_race("Cook Out 400", 2025, "2025-03-30")[0].name == "Martinsville Speedway"
    assert resolve_track_or_race("Cook Out 400", 2025, "2025-08-16")[0].name == "Richmond Raceway"


def test_2026_summer_and_finale_rows_resolve() -> None:
    """2026 rows added from the sources the table's header names: the name gives the track and
    the schedule's date; the new San Diego street course is a road course; the championship
    race is Homestead in 2026 (Phoenix in 2024-2025), so the season settles it."""
    cases = {
        "Coca-Cola 600": ("Charlotte Motor Speedway", "2026-05-24", 13),
        "Cracker Barrel 400": ("Nashville Superspeedway", "2026-05-31", 14),
        "Anduril 250": ("Naval Base Coronado Street Course", "2026-06-21", 17),
        "eero 400": ("Chicagoland Speedway", "2026-07-05", 19),
        "Window World 450": ("North Wilkesboro Speedway", "2026-07-19", 21),
        "NASCAR Cup Series Championship Race": ("Homestead-Miami Speedway", "2026-11-08", 36),
    }
    for name, (track, date, num) in cases.items():
        trk, info = resolve_track_or_race(name, 2026)
        assert (trk.name, info.date, info.race_num, info.season) == (track, date, num, 2026), name
    assert resolve_track_or_race("Anduril 250", 2026)[0].track_type == "road"
    assert resolve_track_or_race("San Diego")[0].name == "Naval Base Coronado Street Course"
    assert resolve_track_or_race("NASCAR Cup Series Championship Race", 2025)[0].name == "Phoenix Raceway"
    # Charlotte's fall race is back on the oval in 2026 (its day not published with the name)
    trk, info = resolve_track_or_race("Bank of America 400", 2026)
    assert trk.name == "Charlotte Motor Speedway" and trk.track_type == "intermediate" and info.date is None
    # a 2026 Game Info with the date picks the race by date
    trk, info = resolve_track_or_race("Toyota/Save Mart 350", None, "2026-06-28")
    assert trk.name == "Sonoma Raceway" and (info.season, info.race_num) == (2026, 18)


def test_game_info_dates_keep_their_four_digit_year() -> None:
    """A DraftKings Game Info of today's exports ('Atlanta Motor Speedway 02/22/2026 03:00PM ET')
    is read as 2026, not 2020: the date regex once took the first two digits of the year, so every
    dated export was resolved to a 2020 race and its track by the 2020 configuration — Atlanta as
    an intermediate track, though it has raced as a drafting track since its 2022 repave."""
    from tailrace.races import identify_race, parse_game_info

    assert parse_game_info("Kansas Speedway 09/27/2026 03:00PM ET") == ("Kansas Speedway", "2026-09-27")
    assert parse_game_info("Kansas Speedway 9/27/26 3:00PM ET") == ("Kansas Speedway", "2026-09-27")
    assert parse_game_info("Kansas Speedway 12/31/1999") == ("Kansas Speedway", "1999-12-31")
    info, _ = identify_race("Atlanta Motor Speedway 02/22/2026 03:00PM ET")
    assert (info.season, info.date, info.track_type) == (2026, "2026-02-22", "superspeedway")
    info, _ = identify_race("Atlanta Motor Speedway 03/15/2020 03:00PM ET")
    assert (info.season, info.track_type) == (2020, "intermediate")
