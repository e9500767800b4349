"""Track table: tolerant lookup, bare types, Atlanta's change of type, every real track known."""

from __future__ import annotations

import csv

import pytest

from tailrace.errors import InputError
from tailrace.tracks import TRACK_TYPES, TYPICAL_LAPS, resolve_track, track_type_for


@pytest.mark.parametrize("text, name", [
    ("Kansas", "Kansas Speedway"),
    ("kansas speedway", "Kansas Speedway"),
    ("KANSAS SPEEDWAY ", "Kansas Speedway"),
    ("Las Vegas", "Las Vegas Motor Speedway"),
    ("Richmond International Raceway", "Richmond Raceway"),
    ("Talladega", "Talladega Superspeedway"),
    ("Charlotte Roval", "Charlotte Motor Speedway Road Course"),
    ("Charlotte", "Charlotte Motor Speedway"),
    ("Chicago Street Course", "Chicago Street Course"),
    ("Chicagoland", "Chicagoland Speedway"),
    ("Autodromo Hermanos Rodriguez", "Autódromo Hermanos Rodríguez"),
    ("Mexico City", "Autódromo Hermanos Rodríguez"),
    ("North Wilkesboro", "North Wilkesboro Speedway"),
    ("Iowa Speedway", "Iowa Speedway"),
    ("Indianapolis Motor Speedway Road Course", "Indianapolis Motor Speedway Road Course"),
    ("Indianapolis", "Indianapolis Motor Speedway"),
])
def test_tolerant_names(text: str, name: str) -> None:
    assert resolve_track(text).name == name


def test_types_chosen_as_documented() -> None:
    assert resolve_track("Pocono").track_type == "large-flat"
    assert resolve_track("Indianapolis").track_type == "large-flat"
    assert resolve_track("Daytona").track_type == "superspeedway"
    assert resolve_track("Daytona Road Course").track_type == "road"
    assert resolve_track("Martinsville").track_type == "short"
    assert resolve_track("Kansas").track_type == "intermediate"
    assert resolve_track("Mexico City").track_type == "road"


def test_atlanta_is_intermediate_before_2022_and_superspeedway_after() -> None:
    assert track_type_for("Atlanta Motor Speedway", 2021) == "intermediate"
    assert track_type_for("Atlanta Motor Speedway", 2022) == "superspeedway"
    assert track_type_for("Atlanta", 2023) == "superspeedway"
    assert resolve_track("Atlanta").track_type == "superspeedway"  # current configuration


@pytest.mark.parametrize("t", TRACK_TYPES)
def test_bare_types_give_typical_laps(t: str) -> None:
    tr = resolve_track(t)
    assert tr.track_type == t and tr.laps == TYPICAL_LAPS[t]
    assert resolve_track(t.upper().replace("-", " ")).track_type == t


def test_unknown_track_names_close_matches_and_types() -> None:
    with pytest.raises(InputError) as ei:
        resolve_track("Kansass")
    msg = str(ei.value)
    assert "Kansas" in msg and "intermediate" in msg and "large-flat" in msg
    with pytest.raises(InputError):
        resolve_track("")


def test_every_track_of_the_shared_data_is_known(shared_results_path) -> None:
    with open(shared_results_path, newline="", encoding="utf-8") as f:
        rows = {(r["track"], r["surface"]) for r in csv.DictReader(f)}
    for track, surface in rows:
        tr = resolve_track(track)
        assert tr.name == track
        # road surface <=> road type; the dirt race at Bristol is a short track
        assert (tr.track_type == "road") == (surface == "road"), track
