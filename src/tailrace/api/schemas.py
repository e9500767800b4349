"""Request and response models of the REST API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from tailrace.contest.ensemble import MAX_SIGMA
from tailrace.contest_options import CONTEST_DEFAULTS
from tailrace.optimize.constraints import ConstraintSpec, ObjectiveSpec
from tailrace.outputs import jsonable
from tailrace.json_models import JsonReady
from tailrace.results import ExposureRow, LineupRow
from tailrace.seeds import MAX_SEED


class ErrorResponse(BaseModel):
    """Every error body: a kind, a sentence to act on, and per-field details where there are any."""

    error: str
    message: str
    detail: list[dict[str, Any]] = Field(default_factory=list)
    conflicts: list[str] | None = None
    n_problems: int | None = Field(None, description="Input errors: how many problems in all (detail lists "
                                                     "the first 20).")


# ---------------------------------------------------------------------------- health


class CacheStats(BaseModel):
    """Scenario cache of this server process: in memory, and on disk (shared by all processes)."""

    entries: int
    bytes: int
    disk_entries: int
    disk_bytes: int
    hits: int
    misses: int
    hit_rate: float | None
    disk_max_bytes: int | None = Field(None, description="bound on the cache directory on disk "
                                       "(TAILRACE_CACHE_MAX_BYTES; least recently used entries are deleted "
                                       "after each write); null: no bound")


class HealthResponse(BaseModel):
    status: Literal["ok"]
    version: str
    cache: CacheStats
    jobs_running: int


# ---------------------------------------------------------------------------- slates


def _finite(v: float | None) -> float | None:
    if v is not None and not math.isfinite(v):
        raise ValueError("must be a finite number")
    return v


class DriverIn(BaseModel):
    """One driver of a JSON slate: the site's ID, name, salary and whatever the user projects."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")
    name: str = Field(min_length=1, max_length=100)
    salary: int = Field(ge=0, le=1_000_000, strict=True)
    start: int | None = Field(None, ge=1, le=60, description="1-based starting position", strict=True)
    projection: float | None = Field(None, description="mean site points")
    win_odds: float | None = Field(None, gt=1, description="decimal odds, e.g. 4.5")
    top3_odds: float | None = Field(None, gt=1, description="decimal odds of a top-3 finish")
    top5_odds: float | None = Field(None, gt=1, description="decimal odds of a top-5 finish")
    top10_odds: float | None = Field(None, gt=1, description="decimal odds of a top-10 finish")
    rating: float | None = Field(None, description="higher = stronger, log-strength scale")
    ownership: float | None = Field(None, ge=0, le=100, description="projected ownership, percent")
    team: str | None = Field(None, max_length=100)
    manufacturer: str | None = Field(None, max_length=100)

    @field_validator("projection", "win_odds", "top3_odds", "top5_odds", "top10_odds", "rating", "ownership")
    @classmethod
    def _is_finite(cls, v: float | None) -> float | None:
        return _finite(v)


class DriverOut(BaseModel):
    id: str
    name: str
    salary: int
    start: int | None = None
    projection: float | None = None
    win_odds: float | None = None
    top3_odds: float | None = None
    top5_odds: float | None = None
    top10_odds: float | None = None
    rating: float | None = None
    ownership: float | None = None
    team: str | None = None
    manufacturer: str | None = None


class SlateIn(BaseModel):
    """A slate sent as JSON instead of the site's CSV files."""

    model_config = ConfigDict(extra="forbid")

    site: Literal["dk", "fd"]
    track: str | None = Field(None, max_length=100, description="track name or type, e.g. 'Kansas' or 'intermediate'")
    drivers: list[DriverIn] = Field(min_length=1, max_length=60)


class SlateResponse(BaseModel):
    slate_id: str
    site: Literal["dk", "fd"]
    track: str | None
    n_drivers: int
    drivers: list[DriverOut]
    notes: list[str] = Field(default_factory=list, description="what reading the files decided: a placeholder "
                             "team column ignored, salary drivers left out of the grid (grid_complete, or a "
                             "grid from history_id), where a history grid came from")
    race: dict[str, Any] | None = Field(None, description=(
        "the race and track the slate resolved to: race (name), track, track_type, season, race_num, date, "
        "resolved_by; null when nothing named a track"))


# ---------------------------------------------------------------------------- constraint specs


class SpecCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    spec: ConstraintSpec


class SpecResponse(BaseModel):
    id: str
    name: str | None
    created: float
    spec: dict[str, Any]


class SpecList(BaseModel):
    specs: list[SpecResponse]


# ---------------------------------------------------------------------------- simulate


def _finite_list(v: list[float] | None) -> list[float] | None:
    if v is not None and not all(math.isfinite(x) and abs(x) <= 50 for x in v):
        raise ValueError("strengths must be finite log-strengths between -50 and 50")
    return v


class HistoryResponse(BaseModel):
    """A stored race history and what its fit saw."""

    history_id: str
    name: str
    races: int
    drivers: int
    last_race: list[int] | None
    notes: list[str]


class ModelOptions(BaseModel):
    """Model options shared by /simulate and /optimize: where the strengths come from."""

    model_config = ConfigDict(extra="forbid")

    strengths: list[float] | None = Field(
        None, max_length=60, description="model option: log-strength per driver (slate order); "
        "default: fitted from the slate's projections, odds or ratings")
    history_id: str | None = Field(None, min_length=1, max_length=64,
                                   description="a history stored by POST /histories: strengths from its ratings")
    history_weight: float | None = Field(None, ge=0.0, le=1.0,
                                         description="the history's share in the blend with the slate's numbers "
                                                     "(default 0.5)")
    allow_projection_shift: bool = Field(False, strict=True, description=(
        "fit projections even when they sum to more than 5 points a driver away from what the race pays "
        "(default: a 422 naming the sums)"))

    @field_validator("strengths")
    @classmethod
    def _strengths_ok(cls, v: list[float] | None) -> list[float] | None:
        return _finite_list(v)


class SimulateRequest(ModelOptions):
    """Simulate a stored slate: how many scenarios, which seed, and model options."""

    model_config = ConfigDict(extra="forbid")

    slate_id: str = Field(min_length=1, max_length=64)
    n_scenarios: int = Field(10_000, ge=100, le=200_000, strict=True)
    seed: int = Field(7, ge=0, le=MAX_SEED, strict=True)
    track: str | None = Field(None, max_length=100, description="track name or type; default: read from the slate")


class DriverSummary(JsonReady):
    """One driver's simulated points: mean, sd and quantiles (p5/p50/p95 feed the page's ribbons)."""

    id: str
    name: str
    mean: float
    sd: float
    p90: float
    p99: float
    p5: float | None = Field(None, description="5th percentile of the driver's simulated points")
    p50: float | None = Field(None, description="median")
    p95: float | None = Field(None, description="95th percentile")


class KernelStats(JsonReady):
    """The scenario generator's statistics for the set an answer was computed on."""

    scenario_set_id: str
    count: int
    seed: int
    seconds: float
    cache_hit: bool
    invariant_checks_passed: bool | None
    invariant_checks: dict[str, Any] | None = None
    track: str | None = None
    track_type: str | None = None
    strength_source: str | None = None
    history: dict[str, Any] | None = None
    warnings: list[str] = Field(default_factory=list)
    drivers: list[DriverSummary]


class SimulateResponse(JsonReady):
    scenario_set_id: str
    slate_id: str
    kernel_stats: KernelStats
    warnings: list[str]


# ---------------------------------------------------------------------------- optimize


class PayoutRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_rank: int = Field(ge=1, le=10_000_000, strict=True)
    max_rank: int = Field(ge=1, le=10_000_000, strict=True)
    prize: float = Field(ge=0, le=1e9)

    @model_validator(mode="after")
    def _order(self) -> PayoutRow:
        if self.max_rank < self.min_rank:
            raise ValueError("max_rank is below min_rank")
        return self


class ContestSpecIn(BaseModel):
    """A tournament: entry fee, field size and rake (a DraftKings-like table is built), or explicit payouts."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["tournament", "double-up", "50-50"] = Field(
        "tournament", description="tournament: the DraftKings-like table (or `payouts`); double-up / 50-50: a cash "
                                  "game, 44 % / 50 % of entries paid 1.8x the fee (the tournament choice is "
                                  "contest-aware portfolios; for cash games, lower CVaR or the cash-game table)")
    entry_fee: float = Field(CONTEST_DEFAULTS.entry_fee, gt=0, le=100_000)
    field_size: int = Field(CONTEST_DEFAULTS.field_size, ge=2, le=500_000, strict=True)
    rake: float = Field(CONTEST_DEFAULTS.rake, ge=0, lt=1)
    payouts: list[PayoutRow] | None = Field(None, max_length=10_000)
    ownership: dict[str, float] | None = Field(
        None, max_length=60, description="projected ownership in percent by driver name or site ID (drivers left out "
        "get 0; scaled to sum to roster size x 100, like the CLI's --ownership file); default: the slate's "
        "ownership column, else modelled from salary and projections")

    field_sharpness: Annotated[float, Field(ge=0, le=0.6, allow_inf_nan=False)] | Literal["auto"] = Field(
        "auto", description="the field's share of optimiser-built entries (a few popular near-optimal lineups, each "
        "entered many times), 0 to 0.6; 'auto' (default): the plain field sampled from ownership plus an ensemble of "
        "field models (ownership x exp(N(0, 0.3^2)), another sampler, sharpness 0.2 and 0.35) that contest mode "
        "hedges across and /contest reports the portfolio's ROI against (contest.field_models)")
    ownership_error: float = Field(
        CONTEST_DEFAULTS.ownership_error, ge=0, le=MAX_SIGMA, allow_inf_nan=False, description="the log-sd of your ownership "
        "projection's error: each driver's real ownership taken as yours x exp(N(0, s^2)). The ensemble's perturbed "
        "fields, contest mode's selection fields and the fields its ROI estimate is judged on all draw with it. "
        "0.3 (default): each driver off by about 30 %; 0.15 for a sharp projection; 0 if the ownership is the real "
        "field's (the estimate is then narrower and rosier if it is not)")
    max_duplicates: float | None = Field(
        None, ge=0, le=1_000_000, allow_inf_nan=False, description="/optimize mode 'contest': no lineup whose expected "
        "duplicates (field entries holding the same drivers, `duplicates` says how they are counted) exceed this "
        "enters the candidate pool, so every lineup picked is at or under it; default: no limit (/contest ignores it)")

    @field_validator("ownership")
    @classmethod
    def _own_ok(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is not None:
            for k, x in v.items():
                if not (math.isfinite(x) and 0 <= x <= 100):
                    raise ValueError(f"ownership of '{k}' must be a percent between 0 and 100, got {x}")
        return v


class OptimizeRequest(ModelOptions):
    """The seed's /optimize contract: a slate, a constraint spec, an objective and what to include."""

    model_config = ConfigDict(extra="forbid")

    slate_id: str | None = Field(None, min_length=1, max_length=64)
    slate: SlateIn | None = None
    spec: ConstraintSpec | None = None
    spec_id: str | None = Field(None, min_length=1, max_length=64)
    objective: ObjectiveSpec | None = Field(None, description="overrides the spec's objective")
    n_lineups: int | None = Field(None, ge=1, le=150, description="overrides the spec's n_lineups", strict=True)
    mode: Literal["independent", "marginal", "contest"] | None = Field(
        None, description="overrides the spec's mode; 'contest' needs `contest` (or takes its defaults)")
    contest: ContestSpecIn | None = Field(
        None, description="mode 'contest': the contest to pick lineups for, as `tailrace optimize --mode contest` "
        "takes it (default: a 20,000-entry $5 tournament); the field is sampled with the request's seed")
    n_scenarios: int = Field(10_000, ge=100, le=200_000, strict=True)
    seed: int = Field(7, ge=0, le=MAX_SEED, strict=True)
    track: str | None = Field(None, max_length=100)
    include_explain: bool = Field(False, strict=True)
    include_calibration: bool = Field(False, strict=True)
    include_tail_validation: bool = Field(False, strict=True)
    validation_scenarios: int | None = Field(None, ge=100, le=200_000, description="default: n_scenarios", strict=True)
    include_distributions: bool = Field(False, strict=True, description=(
        "add each lineup's score histogram (in-sample, and on the fresh set with include_tail_validation): the "
        "page's distribution chart (each lineup's fresh-set tail metrics come with include_tail_validation)"))

    @model_validator(mode="after")
    def _one_slate_one_spec(self) -> OptimizeRequest:
        if (self.slate_id is None) == (self.slate is None):
            raise ValueError("give exactly one of slate_id (a stored slate) or slate (inline)")
        if self.spec is not None and self.spec_id is not None:
            raise ValueError("give at most one of spec (inline) or spec_id (a stored spec)")
        return self


class Reshape:
    """How the rows of one of the pipeline's result models appear in the /optimize answer: the one
    mapping between ``pipeline.OptimizeResult`` and ``OptimizeResponse``, used both to generate the
    response model (so the OpenAPI schema comes from the pipeline's definition) and, in
    :meth:`row`, to reshape each row at the API's edge.

    The response model has the pipeline model's fields, in its order, with its types, defaults and
    descriptions, except: ``drop`` (left out), ``rename`` (``{pipeline name: API name}``),
    ``added`` (the API's own fields, put in the place of the dropped field ``at``; null unless the
    work fills them) and ``published`` (the type the API has always published for a field,
    kept for its clients where it differs from the pipeline's).
    """

    def __init__(self, source: type[BaseModel], name: str, *, drop: tuple[str, ...] = (),
                 rename: dict[str, str] | None = None, added: dict[str, Any] | None = None, at: str | None = None,
                 published: dict[str, Any] | None = None):
        self.source, self.drop, self.rename = source, frozenset(drop), dict(rename or {})
        self.added = dict(added or {})
        fields: dict[str, Any] = {}
        for k, f in source.model_fields.items():
            if k == at:
                fields.update(self.added)
            if k in self.drop:
                continue
            api = self.rename.get(k, k)
            fields[api] = (published or {}).get(api, (f.annotation, f))
        self.model: type[BaseModel] = create_model(name, __doc__=None, **fields)

    def row(self, r: BaseModel, **added: Any) -> dict[str, Any]:
        """One pipeline row as the API's JSON: its fields but ``drop``, renamed, and the API's own
        fields (``added``, given here or null), NaN and infinities as null (``outputs.jsonable``:
        the pipeline's fields are JSON-ready already, the API's own figures pass here once)."""
        if unknown := set(added) - set(self.added):
            raise TypeError(f"{self.model.__name__} has no field of its own named {', '.join(sorted(unknown))}")
        d = r.model_dump(mode="json", exclude=set(self.drop))
        out = {self.rename.get(k, k): v for k, v in d.items()}
        return {**out, **{k: None for k in self.added}, **jsonable(added)}


LINEUP = Reshape(
    LineupRow, "LineupOut", drop=("seconds", "explain"), at="explain",  # explain: OptimizeResponse.explain
    added={
        "distribution": (dict[str, Any] | None, Field(None, description=(
            "include_distributions: the lineup's score histogram, {edges (bins + 1 points), in_sample (counts), "
            "fresh (counts on the fresh set, or null)}, one set of edges for both"))),
    },
    # objective_value: the pipeline's own type, float | None (null when the objective is not finite)
    published={"gap": (float | None, None), "optimal": (bool | None, None), "status": (str | None, None)},
)
EXPOSURE = Reshape(ExposureRow, "Exposure", rename={"exposure": "share"})  # the API calls a driver's exposure its share
LineupOut = LINEUP.model
Exposure = EXPOSURE.model


class TailValidation(BaseModel):
    """The portfolio re-scored on a fresh, independent scenario set (another seed)."""

    seed: int
    n_scenarios: int
    beta: float | None = None
    in_sample: dict[str, Any]
    out_of_sample: dict[str, Any]
    relative_drop: dict[str, float | None]


class OptimizeResponse(BaseModel):
    portfolio_id: str
    slate_id: str
    site: Literal["dk", "fd"]
    objective: dict[str, Any]
    mode: str
    lineups: list[LineupOut]
    exposures: list[Exposure]
    tail_metrics: dict[str, Any]
    kernel_stats: KernelStats
    calibration_metrics: dict[str, Any] | None
    tail_validation: TailValidation | None
    explain: list[dict[str, Any]] | None
    warnings: list[str]
    timings: dict[str, float]
    race: dict[str, Any] | None = Field(None, description=(
        "the race and track the run is for: race (name), track, track_type, season, race_num, date, and "
        "resolved_by (given track, Game Info race name / track name [and date], salary file name)"))
    contest: dict[str, Any] | None = Field(None, description=(
        "mode 'contest': the contest the lineups were picked for (entry_fee, field_size, kind, rake, paid places, "
        "field_sharpness), the selection's facts (n_candidates, cap_place, cv_scores, selected_against: the field "
        "models it chose against), its own ROI estimate for the portfolio (roi_estimate, roi_interval as fractions "
        "of fees, estimate_note: what the estimate assumes; null when the selection gives none), and the field: "
        "field_model and ownership_report (realisable, implied_avg_salary against salary_cap, problems, fit_share, "
        "the sampled field's n_unique, duplicated_entries, max_dup, worst_miss, and per driver file_pct, field_pct, "
        "max_pct)"))
    optimal: dict[str, Any] | None = Field(None, description=(
        "optimal % per driver: n_scenarios, near_tolerance, ownership_source (contest: the contest's ownership; "
        "field: a given field's own; slate: the slate's ownership column; model: tailrace's model) and drivers, in "
        "slate order, each {driver_id, name, optimal_pct (percent of scenarios whose optimal lineup holds him), "
        "ownership_pct, leverage (optimal_pct - ownership_pct, points)}"))
    duplicates: dict[str, Any] | None = Field(None, description=(
        "mode 'contest': how the lineups' expected_duplicates were counted: method, n_entries (opponents), n_fields "
        "(independent fields counted one by one, for a sharp field; else null), n_sampled (entries counted in), exact "
        "(true when counted in a given field), max_duplicates"))


# ---------------------------------------------------------------------------- contest


class ContestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    portfolio_id: str = Field(min_length=1, max_length=64)
    contest: ContestSpecIn = Field(default_factory=ContestSpecIn)
    n_scenarios: int = Field(10_000, ge=100, le=200_000, strict=True)
    seed: int = Field(11, ge=0, le=MAX_SEED, strict=True)


class ContestResponse(JsonReady):
    portfolio_id: str
    contest: dict[str, Any] = Field(description=(
        "the contest (entry_fee, field_size, n_entries, prize_pool, n_scenarios, seed, paid_places), what it was "
        "judged on (judged_on: 'fresh' races simulated from the judge stream of seed, scenario_seed — an integer in "
        "[2^63 + 1, 2^64), beyond JavaScript's exact integers: read it as a big integer or leave it —, never a set "
        "/optimize makes; 'optimisation scenarios' when the points digest, points_sha256, equals the stored "
        "portfolio's optimised_on_sha256: an in-sample, optimistic ROI, with a warning), its field "
        "(field_sharpness, field_model, ownership_report as in OptimizeResponse.contest) and, with field_sharpness "
        "'auto', field_models: the portfolio's roi and roi_se against each field model of the ensemble, the "
        "plain field first (the figures in `portfolio`)"))
    portfolio: dict[str, Any]
    lineups: list[dict[str, Any]]
    warnings: list[str]
    timings: dict[str, float]
    profit_distribution: dict[str, Any] | None = Field(None, description=(
        "the portfolio's profit per scenario as a histogram {edges, counts} and quantiles {levels, values} "
        "(levels 0, 0.01, ..., 1), with mean, lower_cvar and its alpha (= portfolio.profit_cvar, cvar_alpha)"))


# ---------------------------------------------------------------------------- jobs


class JobAccepted(BaseModel):
    job_id: str
    kind: str
    state: str
    url: str


class JobResponse(BaseModel):
    id: str
    kind: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float
    message: str
    created: float
    started: float | None
    finished: float | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None


# ---------------------------------------------------------------------------- backtest

# Bounds of one backtest job: a race takes ~1 min at the defaults on two cores, so a request
# can ask for at most ~40 races of bounded size (the CLI has no such limits).
MAX_BACKTEST_RACES = 40
MAX_BACKTEST_SCENARIOS = 20_000
MAX_BACKTEST_LINEUPS = 50
MAX_SALARY_FILE_CHARS = 200_000  # a DraftKings Cup salary export is about 5 KB


class BacktestSlateIn(BaseModel):
    """One real DraftKings salary file and the race (in the history) it is for."""

    model_config = ConfigDict(extra="forbid")

    season: int = Field(ge=1949, le=2100, strict=True)
    race_num: int = Field(ge=1, le=60, strict=True, description="the race's number in its season, as in the history")
    file_name: str | None = Field(None, max_length=200, description="the file's name, for messages "
                                  "(default dk_<season>_r<race>.csv)")
    salaries: str = Field(min_length=1, max_length=MAX_SALARY_FILE_CHARS,
                          description="the DraftKings salary export's text (CSV)")


class BacktestRequest(BaseModel):
    """A backtest job (``tailrace backtest``): for each race, ratings and track parameters fitted on
    the races before it in the stored history; real salary files, or synthetic salaries for seasons."""

    model_config = ConfigDict(extra="forbid")

    history_id: str = Field(min_length=1, max_length=64, description="a history stored by POST /histories: "
                            "the real results, and the races each backtested race is fitted on")
    slates: list[BacktestSlateIn] | None = Field(None, max_length=MAX_BACKTEST_RACES,
                                                 description="real salary files with their races")
    synthetic_salaries: bool = Field(False, strict=True, description="also run every race of `seasons` with "
                                     "SYNTHETIC salaries (DraftKings' salary curve on the pre-race rating rank)")
    seasons: list[Annotated[int, Field(ge=1949, le=2100, strict=True)]] | None = Field(
        None, max_length=10, description="seasons for synthetic_salaries")
    methods: list[Literal["contest", "marginal", "hvz", "randomised"]] | None = Field(
        None, min_length=1, max_length=4, description="default all four")
    n_lineups: int = Field(20, ge=1, le=MAX_BACKTEST_LINEUPS, strict=True)
    objective: ObjectiveSpec | None = Field(None, description="the marginal method's objective "
                                            "(default upper CVaR 1 %)")
    max_exposure: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    max_overlap: int | None = Field(None, ge=0, le=6, strict=True, description="HVZ default 3")
    entry_fee: float = Field(CONTEST_DEFAULTS.entry_fee, gt=0, le=100_000, allow_inf_nan=False)
    field_size: int = Field(CONTEST_DEFAULTS.field_size, ge=2, le=100_000, strict=True, description="entries in the GPP")
    cash_field_size: int = Field(1_000, ge=2, le=20_000, strict=True, description="entries in the double-up")
    rake: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False, description=f"GPP rake (default {CONTEST_DEFAULTS.rake})")
    field_draws: int = Field(10, ge=2, le=50, strict=True, description="independent fields per contest for the ROI")
    n_scenarios: int = Field(5000, ge=100, le=MAX_BACKTEST_SCENARIOS, strict=True)
    seed: int = Field(7, ge=0, le=MAX_SEED, strict=True)
    min_history_races: int = Field(10, ge=1, le=500, strict=True)
    params_refit_every: int = Field(9, ge=0, le=500, strict=True, description="races up to 2022 get track "
                                    "parameters fitted on the races before them, refitted each time the history "
                                    "grows by this many races; 0: DEFAULT_PARAMS (then labelled in-sample)")

    @model_validator(mode="after")
    def _something(self) -> BacktestRequest:
        if not self.slates and not self.synthetic_salaries:
            raise ValueError("nothing to backtest: give slates (salary files with season and race_num), "
                             "or synthetic_salaries true with seasons")
        if self.synthetic_salaries and not self.seasons:
            raise ValueError("synthetic_salaries needs seasons, e.g. [2023]")
        if self.seasons and not self.synthetic_salaries:
            raise ValueError("seasons are for synthetic_salaries: set it true, or leave seasons out")
        return self


# ---------------------------------------------------------------------------- plan (the contest day)

MAX_PLAN_CONTESTS = 8
MAX_PLAN_SCENARIOS = 20_000


class PlanContestIn(BaseModel):
    """One contest of the day, as ``contests.yaml`` lists it (payout files are a CLI matter: the API
    takes the site's table kinds; ownership as {driver name or site ID: percent})."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["gpp", "double-up", "50-50"] = "gpp"
    entry_fee: float = Field(gt=0, le=100_000, allow_inf_nan=False)
    field_size: int = Field(ge=2, le=200_000, strict=True)
    max_entries: int = Field(ge=1, le=150, strict=True)
    contest_id: str | None = Field(None, max_length=40)
    rake: float | None = Field(None, ge=0, lt=1, allow_inf_nan=False, description="gpp only")
    max_exposure: float | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    max_overlap: int | None = Field(None, ge=0, le=6, strict=True)
    ownership: dict[str, Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]] | None = Field(
        None, max_length=200, description="this contest's projected ownership, percent per driver")

    @model_validator(mode="after")
    def _fits(self) -> PlanContestIn:
        if self.max_entries >= self.field_size:
            raise ValueError(f"max_entries {self.max_entries} do not fit a {self.field_size}-entry contest")
        if self.rake is not None and self.kind != "gpp":
            raise ValueError("rake applies only to kind gpp")
        return self


class PlanRequest(BaseModel):
    """A contest-day plan (``tailrace plan``) on a stored slate: entries per contest by the bankroll's
    expected log-growth under a stake cap, lineups per contest, the day's figures on fresh scenarios."""

    model_config = ConfigDict(extra="forbid")

    slate_id: str = Field(min_length=1, max_length=64)
    contests: list[PlanContestIn] = Field(min_length=1, max_length=MAX_PLAN_CONTESTS)
    bankroll: float = Field(gt=0, le=1e9, allow_inf_nan=False)
    max_stake: float = Field(0.3, gt=0, lt=1, allow_inf_nan=False, description="cap on the day's fees, share of "
                             "the bankroll")
    kelly: float = Field(1.0, gt=0, le=1, allow_inf_nan=False, description="Kelly fraction")
    max_exposure: float | None = Field(None, gt=0, le=1, allow_inf_nan=False, description="the day's cap on a "
                                       "driver's share of all lineups, and each contest's when it sets none")
    n_scenarios: int = Field(5000, ge=100, le=MAX_PLAN_SCENARIOS, strict=True, description="in each of the three "
                             "sets (build, allocate, report)")
    max_duplicates: float | None = Field(None, ge=0, allow_inf_nan=False, description="no lineup of any "
                                         "contest may expect more field entries holding its drivers than this")
    max_overlap_day: int | None = Field(None, ge=0, le=6, strict=True, description="any two lineups entered in "
                                        "different contests share at most this many drivers")
    ownership_error: float = Field(CONTEST_DEFAULTS.ownership_error, ge=0, le=MAX_SIGMA, allow_inf_nan=False, description="the log-sd "
                                   "of the contests' ownership error, as /optimize's contest.ownership_error")
    seed: int = Field(1, ge=0, le=MAX_SEED - 2, strict=True)
    track: str | None = Field(None, max_length=100)

    @field_validator("contests")
    @classmethod
    def _names(cls, v: list[PlanContestIn]) -> list[PlanContestIn]:
        names = [c.name.strip() for c in v]
        if len(set(names)) != len(names):
            raise ValueError("each contest needs its own name")
        return v


# ---------------------------------------------------------------------------- review


class ReviewRequest(BaseModel):
    """POST /review: a portfolio placed in a finished contest's real standings (``tailrace review``)."""

    model_config = ConfigDict(extra="forbid")

    slate_id: str = Field(min_length=1, max_length=64, description="the contest's stored slate (POST /slates)")
    standings: str = Field(min_length=1, max_length=50_000_000, description=(
        "the standings CSV as DraftKings exports it (Rank,EntryId,EntryName,TimeRemaining,Points,Lineup,,"
        "Player,Roster Position,%Drafted,FPTS), as text"))
    standings_name: str = Field("standings.csv", max_length=200, description="the file's name, for messages")
    lineups: list[list[str]] | None = Field(None, max_length=10_000, description=(
        "your lineups as lists of the slate's driver IDs (default: the user's entries in the standings)"))
    user: str | None = Field(None, max_length=200, description="your user name as in EntryName: your entries "
                             "are taken out of the field before the lineups are placed")
    payouts: list[PayoutRow] | None = Field(None, max_length=10_000, description=(
        "the contest's payout table; default: the parametric table for entry_fee, field size and rake"))
    entry_fee: float = Field(CONTEST_DEFAULTS.entry_fee, ge=0, le=1e6)
    field_size: int | None = Field(None, ge=2, le=10_000_000, description=(
        "entries, for the parametric table (default: the standings' entries less the user's, plus the lineups)"))
    rake: float = Field(CONTEST_DEFAULTS.rake, ge=0, lt=1)
