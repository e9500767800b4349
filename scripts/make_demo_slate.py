"""Generate the bundled demo slate (run once; output is committed).

A made-up 38-driver DraftKings NASCAR slate at Kansas Speedway (an intermediate track),
written as DraftKings' own salary export plus a projections file, so the demo goes
through the same readers as a user's files. Every number comes from one latent
strength per driver drawn from a fixed seed, so re-running gives identical bytes:

- salary: $4,500-$11,500 in $100 steps, rising with strength (plus a little noise);
- start: a noisy permutation correlated with strength;
- projection: DraftKings mean points ~15-55 from the expected finish, place differential
  and dominator points implied by the strength order, strongest highest;
- win odds: American, from a softmax of strength with a 30% bookmaker overround
  (NASCAR outright markets carry 25-40%), rounded to the usual ticks;
- ownership: percent, summing to 600 (6 drivers x 100%), higher for value and projection.

Names are invented (no real drivers). The projections file spells three names the way a
user's sheet might ('RJ' for 'R.J.', no 'Jr.', no accents) to exercise name matching.

Usage: python scripts/make_demo_slate.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

SEED = 20260925
N = 38
OUT = Path(__file__).resolve().parents[1] / "src" / "tailrace" / "data" / "demo"
GAME_INFO = "Kansas Speedway 09/27/2026 03:00PM ET"
DK_HEADER = ("Position", "Name + ID", "Name", "ID", "Roster Position", "Salary", "Game Info",
             "TeamAbbrev", "AvgPointsPerGame")

# Invented names; none is a NASCAR Cup driver.
NAMES = [
    "Colt Halvorsen", "R.J. Pennington", "Dale Whitaker Jr.", "Tomás Echeverría",
    "Brody Ashcombe", "Garrett Lockridge", "Wade Sizemore", "Travis Kimbrough",
    "Hunter Fentress", "Jace Rainwater", "Mason Tolliver", "Cody Underhill",
    "Landon Pruett", "Austin Crenshaw", "Tyler Ostrander", "Blake Harwood",
    "Logan Faircloth", "Trent Beaumont", "Chase Dunleavy", "Riley Marchetti",
    "Devin Holcombe", "Jesse Waddell", "Brandon Yardley", "Casey Lindqvist",
    "Dustin Hargrove", "Parker Strickland", "Shane Colfax", "Derek Ashby",
    "Kurt Bramwell", "Nolan Everly", "Zach Renfroe", "Grant Tillery",
    "Evan McAllister", "Bryce Kettering", "T.J. Vandermeer", "Owen Gentry",
    "Corey Radcliffe", "Mitch Lowery Jr.",
]
# How the projections sheet spells some of them (tolerant matching must pair them up).
PROJECTION_SPELLING = {
    "R.J. Pennington": "RJ Pennington",
    "Dale Whitaker Jr.": "Dale Whitaker",
    "Tomás Echeverría": "Tomas Echeverria",
}
# Invented teams: (name, manufacturer, cars).
TEAMS = [
    ("Halcyon Racing", "Chevrolet", 4), ("Summit Motorsports", "Toyota", 4),
    ("Keystone Racing", "Ford", 3), ("Red Mesa Motorsports", "Chevrolet", 3),
    ("Bluewater Racing", "Toyota", 3), ("Ironwood Motorsports", "Ford", 3),
    ("Crossroads Racing", "Chevrolet", 3), ("Palisade Motorsports", "Ford", 3),
    ("Northstar Racing", "Toyota", 2), ("Sawgrass Motorsports", "Chevrolet", 2),
    ("Granite Peak Racing", "Ford", 2), ("Timberline Motorsports", "Chevrolet", 2),
    ("Lone Oak Racing", "Ford", 2), ("Harbor Light Racing", "Chevrolet", 2),
]

# DraftKings finish points, 1st..40th (DK NASCAR Classic rules; see tailrace.sites).
_DK_FINISH = [45, 42, 41, 40, 39, 38, 37, 36, 35, 34, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23,
              21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]


def _ranks(x: np.ndarray) -> np.ndarray:
    """0-based rank of each entry, largest first."""
    order = np.argsort(-x, kind="stable")
    r = np.empty(len(x), dtype=np.int64)
    r[order] = np.arange(len(x))
    return r


def _american(decimal: float) -> str:
    """Decimal odds -> American string rounded to the ticks bookmakers quote."""
    if decimal < 2.0:
        return f"-{int(round(100.0 / (decimal - 1.0) / 5.0) * 5)}"
    a = (decimal - 1.0) * 100.0
    tick = 25 if a < 1000 else 100 if a < 2500 else 500 if a < 10000 else 5000
    return f"+{int(max(tick, round(a / tick) * tick))}"


def _capped_shares(w: np.ndarray, total: float, cap: float) -> np.ndarray:
    """Shares of ``total`` proportional to ``w``, none above ``cap``, rounded to 0.1, exact sum."""
    share = total * w / w.sum()
    while share.max() > cap + 1e-9:
        over = share > cap
        excess = float((share[over] - cap).sum())
        share[over] = cap
        free = ~over & (share < cap)
        share[free] += excess * share[free] / share[free].sum()
    out = np.round(share, 1)
    j = int(np.argmax(np.where(out < cap, out, -1.0)))  # absorb rounding in a driver below cap
    out[j] = round(out[j] + total - float(out.sum()), 1)
    return out


def _decimal_from_american(s: str) -> float:
    v = float(s)
    return 1.0 + v / 100.0 if v > 0 else 1.0 + 100.0 / -v


def build(seed: int = SEED) -> tuple[str, str, dict[str, float]]:
    """(salary CSV text, projections CSV text, summary figures) from the seed."""
    assert len(NAMES) == N and sum(t[2] for t in TEAMS) >= N
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 1.0, N)  # latent log-strength; index i = NAMES[i]

    # Salary: rank of a noisy strength mapped onto $4,500..$11,500, convex (few stars).
    u = 1.0 - _ranks(strength + rng.normal(0.0, 0.25, N)) / (N - 1)  # 1 = best
    salary = np.round((4500 + 7000 * u**1.6) / 100.0).astype(np.int64) * 100

    # Start: noisy permutation, stronger drivers tend to qualify higher.
    start = _ranks(strength + rng.normal(0.0, 0.9, N)) + 1

    # Projection: expected finish by strength rank, place differential, dominator points.
    rank = _ranks(strength)  # 0 = strongest
    exp_finish = rank + 1
    dominator = 28.0 * np.exp(-rank / 2.5)  # laps led + fastest laps, concentrated on a few
    raw = (np.array(_DK_FINISH)[exp_finish - 1] + 0.6 * (start - exp_finish) + dominator)
    projection = np.round(15.0 + 40.0 * (raw - raw.min()) / (raw.max() - raw.min()), 2)

    # Win odds: softmax of strength, then a 30% overround spread proportionally.
    w = np.exp(1.4 * strength)
    p_win = w / w.sum()
    odds = [_american(1.0 / (1.30 * p)) for p in p_win]
    overround = sum(1.0 / _decimal_from_american(o) for o in odds)

    # Ownership: value (points per $1k) and projection, normalised to 600%, none above 60%.
    value = projection / (salary / 1000.0)
    own_w = np.exp(0.5 * (value - value.mean()) / value.std()
                   + 0.55 * (projection - projection.mean()) / projection.std())
    own = _capped_shares(own_w, total=600.0, cap=60.0)

    # Teams: fill cars in order of a seeded shuffle.
    seats = [(t, m) for t, m, k in TEAMS for _ in range(k)]
    team_of = [seats[j] for j in rng.permutation(len(seats))[:N]]

    ids = 31_400_000 + rng.choice(900, size=N, replace=False).astype(np.int64) + 100_000
    avg_pts = np.round(projection + rng.normal(0.0, 4.0, N), 2)

    sal_buf = io.StringIO()
    wr = csv.writer(sal_buf, lineterminator="\r\n")
    wr.writerow(DK_HEADER)
    for i in sorted(range(N), key=lambda i: (-salary[i], NAMES[i])):  # DK sorts by salary
        wr.writerow(["D", f"{NAMES[i]} ({ids[i]})", NAMES[i], ids[i], "D", salary[i], GAME_INFO,
                     "", f"{avg_pts[i]:.2f}"])

    proj_buf = io.StringIO()
    wr = csv.writer(proj_buf, lineterminator="\n")
    wr.writerow(["name", "start", "projection", "win_odds", "ownership", "team", "manufacturer"])
    for i in sorted(range(N), key=lambda i: start[i]):
        wr.writerow([PROJECTION_SPELLING.get(NAMES[i], NAMES[i]), start[i], f"{projection[i]:.2f}",
                     odds[i], f"{own[i]:.1f}", team_of[i][0], team_of[i][1]])

    assert int(np.argmax(projection)) == int(np.argmax(strength))
    assert sorted(start.tolist()) == list(range(1, N + 1))
    assert abs(float(own.sum()) - 600.0) < 1e-6 and own.min() > 0 and own.max() <= 60.0
    summary = {
        "salary_min": float(salary.min()), "salary_max": float(salary.max()),
        "projection_min": float(projection.min()), "projection_max": float(projection.max()),
        "overround": overround, "ownership_sum": float(own.sum()),
        "ownership_max": float(own.max()),
        "corr_strength_start": float(np.corrcoef(strength, -start)[0, 1]),
        "corr_strength_salary": float(np.corrcoef(strength, salary)[0, 1]),
    }
    return sal_buf.getvalue(), proj_buf.getvalue(), summary


def main() -> None:
    """Write the demo files under src/tailrace/data/demo/ and print a summary."""
    sal, proj, summary = build()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "dk_salaries.csv").write_bytes(sal.encode("utf-8"))
    (OUT / "projections.csv").write_bytes(proj.encode("utf-8"))
    for k, v in summary.items():
        print(f"{k:22s} {v:10.3f}")
    print(f"wrote {OUT / 'dk_salaries.csv'} and {OUT / 'projections.csv'}")


if __name__ == "__main__":
    main()
