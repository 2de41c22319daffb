"""Year-scale build benchmark: full pipeline, parser/resolver correctness, incremental rebuild.

    .venv/bin/python benchmarks/bench_build.py [--records 30000] [--seed 7] [--jobs 2] [--work DIR]
                                               [--serial-sample 2000] [--new 100] [--no-fresh] [--no-profile]

1. generates (or reuses) the synthetic corpus of ``benchmarks/corpus.py`` under ``--work``;
2. times read+parse on a sample with ``jobs=1`` (extrapolated; ``--serial-sample 0`` = all files);
3. runs the full build with ``--jobs`` workers and a cold cache, stage by stage (parse, stock-code
   recovery, resolve, graph, each report table, explorer, writing every output), with peak RSS of
   the parent and of the workers, and rows/s;
4. scores the parser (row precision/recall per layout against ``truth.jsonl``) and the resolver
   (pairwise precision/recall of the distinct raw names against the truth ids);
5. adds ``--new`` records and rebuilds with the cache (target <= 5 s), then builds the same inputs
   fresh without a cache and checks that every output file is byte-identical;
6. prints cProfile's top 15 (cumulative) of the post-parse build and of parsing a 500-file sample.

The build here is ``irgraph.pipeline.build`` + ``write`` the way ``irgraph build`` runs them
(``keep_records=False``, ``out_dir``); stage times are build's own; the parser is scored from the
attendee table.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import filecmp
import hashlib
import io
import json
import os
import pstats
import resource
import shutil
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus as corpus_mod

from irgraph import cache


def rss_mib() -> tuple[float, float]:
    """Peak RSS (MiB) of this process and of the largest finished child (pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def _pss_kib(pid: int) -> int:
    """Proportional set size of one process (shared pages split between the processes sharing them)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return 0


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        kids = []
    for k in kids:
        out += _tree(k)
    return out


class MemorySampler:
    """Peak memory of this process and its workers together: the sum of their PSS, sampled every
    0.1 s (forked workers share pages with the parent; PSS counts each page once in the sum)."""

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in _tree(os.getpid())))

    def __enter__(self) -> MemorySampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()


def current_rss_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Timer:
    """A build's ``(stage, seconds)`` in order, and this process' RSS as each stage ended (None
    where build reports no stage boundary); filled by :func:`cached_build`."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []
        self.rss: list[float | None] = []

    def total(self) -> float:
        return sum(s for _, s in self.stages)


def cached_build(inputs: list[str], out: Path | None, *, cache_dir: str | None, jobs: int, timer: Timer,
                 registry: str | None = None, overrides: str | None = None, keep_records: bool = True) -> Any:
    """``irgraph.pipeline.build(..., out_dir=out)`` + ``BuildResult.write(out)``, as ``irgraph build``
    runs them (which passes ``keep_records=False``).

    ``timer`` gets build's own stage times (``BuildResult.timings``), and this process' RSS as each
    stage ends where build reports it (``on_stage``); work done meanwhile by forked processes (the
    graph files, the row tables' CSV files, the workbook) shows as the time the parent waited for it.
    """
    from irgraph.pipeline import build

    rss: dict[str, float] = {}
    order = {"resolving": "read+parse", "building": "resolve", "computing": "graph", "rendering": "reports"}

    def on_stage(text: str) -> None:
        rss[order.get(text.split(" ", 1)[0], text)] = current_rss_mib()

    res = build(inputs, registry=registry, overrides=overrides, cache_dir=cache_dir, jobs=jobs,
                keep_records=keep_records, on_stage=on_stage, out_dir=out)
    rss["explorer"] = current_rss_mib()
    stats = cache.last_stats()
    if out is not None:
        res.write(out)
        rss["write"] = current_rss_mib()
    timer.stages = list(res.timings.items())
    timer.rss = [rss.get(name) for name, _ in timer.stages]
    return res, stats


@contextlib.contextmanager
def in_one_process() -> Any:
    """No forked helpers (for cProfile, which sees only this process)."""
    from irgraph import pipeline

    saved = pipeline._FORK
    pipeline._FORK = None
    try:
        yield
    finally:
        pipeline._FORK = saved


# ------------------------------------------------------------------------------------------ correctness


def _k(s: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", s or "").split())


def score(attendees: Any, truth_path: Path, input_root: Path, resolution: Any) -> dict[str, Any]:
    """Parser row P/R (multiset per file, per layout) and pairwise resolution P/R of raw names.

    ``attendees``: the attendees table (generic participants are no institution rows)."""
    rows = attendees[attendees["method"].fillna("") != "generic"]
    by_source: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for src, inst, person in zip(rows["source"], rows["raw_institution"], rows["person"], strict=True):
        by_source[str(Path(src).resolve())].append((inst, None if person != person else person))
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    name_truth: dict[str, Counter[str]] = defaultdict(Counter)
    missing = 0
    with open(truth_path, encoding="utf-8") as f:
        truth = [json.loads(line) for line in f]
    for t in truth:
        key = str((input_root / t["file"]).resolve())
        if key not in by_source:
            missing += 1
            continue
        got = Counter((_k(inst), _k(person)) for inst, person in by_source[key])
        exp = Counter((_k(r[0]), _k(r[1])) for r in t["rows"])
        s = per[t["layout"]]
        s[0] += sum((got & exp).values())
        s[1] += sum(got.values())
        s[2] += sum(exp.values())
        for raw, _, tid in t["rows"]:
            name_truth[raw][tid] += 1
    tot = [sum(v[i] for v in per.values()) for i in range(3)]
    layouts = {k: {"precision": v[0] / max(1, v[1]), "recall": v[0] / max(1, v[2]), "rows": v[2]}
               for k, v in sorted(per.items())}
    # resolution: distinct raw names the parser produced exactly as the truth printed them
    names = [n for n in name_truth if resolution.get(n) is not None]
    truth_id = {n: name_truth[n].most_common(1)[0][0] for n in names}

    def pairs(c: Counter[Any]) -> int:
        return sum(x * (x - 1) // 2 for x in c.values())

    pred = Counter(resolution[n].institution_id for n in names)
    gold = Counter(truth_id[n] for n in names)
    both = Counter((resolution[n].institution_id, truth_id[n]) for n in names)
    tp, pp, gp = pairs(both), pairs(pred), pairs(gold)
    return {"parser": {"precision": tot[0] / max(1, tot[1]), "recall": tot[0] / max(1, tot[2]), "rows": tot[2],
                       "files_missing": missing, "layouts": layouts},
            "resolution": {"names": len(names), "truth_names": len(name_truth), "precision": tp / pp if pp else 1.0,
                           "recall": tp / gp if gp else 1.0, "clusters_pred": len(pred), "clusters_truth": len(gold)}}


# ------------------------------------------------------------------------------------------ helpers


def _generator_inputs() -> str:
    """SHA-256 of what a corpus depends on besides (records, seed): the generator and the registry."""
    from irgraph._resources import data_path

    h = hashlib.sha256()
    for path in (Path(corpus_mod.__file__), Path(data_path("institutions.csv"))):
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_corpus(work: Path, n: int, seed: int) -> Path:
    cdir = work / f"corpus-{n}-{seed}"
    meta = cdir / "corpus.json"
    stamp = cdir / "generator-inputs.sha256"
    inputs = _generator_inputs()
    if meta.exists():
        m = json.loads(meta.read_text(encoding="utf-8"))
        made_from = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
        if m.get("records") == n and m.get("seed") == seed and made_from == inputs:
            print(f"corpus: reusing {cdir} ({m['rows']} rows)")
            return cdir
    shutil.rmtree(cdir, ignore_errors=True)
    t = time.perf_counter()
    m = corpus_mod.generate(cdir, n, seed)
    stamp.write_text(inputs + "\n", encoding="utf-8")  # a changed registry or generator makes it again
    print(f"corpus: generated {n} records, {m['rows']} rows, {m['distinct_names']} raw names in "
          f"{time.perf_counter() - t:.1f} s -> {cdir}")
    return cdir


def link_tree(src: Path, dst: Path) -> None:
    """``cp -al``: a hard-linked copy (the corpus stays untouched when files are added to ``dst``)."""
    shutil.rmtree(dst, ignore_errors=True)
    for root, _dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for f in files:
            try:
                os.link(Path(root) / f, dst / rel / f)
            except OSError:
                shutil.copy2(Path(root) / f, dst / rel / f)


def compare_dirs(a: Path, b: Path) -> list[str]:
    """Relative paths that differ (or exist on one side only)."""
    fa = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    diff = sorted(str(p) for p in fa ^ fb)
    diff += sorted(str(p) for p in fa & fb if not filecmp.cmp(a / p, b / p, shallow=False))
    return diff


def print_stages(title: str, timer: Timer, n_rows: int) -> None:
    print(f"\n== {title}: {timer.total():.1f} s total (RSS of this process after each stage)")
    for (name, s), rss in zip(timer.stages, timer.rss, strict=True):
        extra = f"  ({n_rows / s:,.0f} rows/s)" if name.startswith(("read+parse", "resolve")) and s > 0 else ""
        shown = "" if rss is None else f"{rss:7,.0f} MiB"
        print(f"  {name:32s} {s:8.2f} s  {shown:>11s}{extra}")


def profile_top(fn: Callable[[], Any], n: int = 15) -> str:
    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    buf = io.StringIO()
    pstats.Stats(pr, stream=buf).strip_dirs().sort_stats("cumulative").print_stats(n)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join([lines[0], *lines[start:start + n + 1]])


# ------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", default="/tmp/irgraph-bench")
    ap.add_argument("--serial-sample", type=int, default=2000, help="files parsed with jobs=1 (0 = all)")
    ap.add_argument("--new", type=int, default=100, help="records added for the incremental rebuild")
    ap.add_argument("--no-fresh", action="store_true", help="skip the fresh build of the byte-identity check")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"records": args.records, "seed": args.seed, "jobs": args.jobs,
                              "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    cdir = ensure_corpus(work, args.records, args.seed)
    inp = work / "input"
    link_tree(cdir / "records", inp / "records")
    cache_dir = work / "cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    from irgraph.read import iter_input_files

    paths = iter_input_files([inp / "records"])

    # -- serial parse (sample, extrapolated) vs parallel
    sample = paths if args.serial_sample <= 0 else paths[:: max(1, len(paths) // args.serial_sample)]
    cache.parse_paths(paths[1:21], jobs=1)  # warm-up: lexicon and patterns load on first use
    t = time.perf_counter()
    cache.parse_paths(sample, jobs=1)
    serial = time.perf_counter() - t
    per_file = serial / len(sample)
    t = time.perf_counter()
    cache.parse_paths(sample, jobs=args.jobs)
    par = time.perf_counter() - t
    print(f"\nparse sample of {len(sample)} files: jobs=1 {serial:.2f} s ({per_file * 1000:.2f} ms/file -> "
          f"{per_file * len(paths):.0f} s for {len(paths)}), jobs={args.jobs} {par:.2f} s (x{serial / par:.2f})")
    report["parse_sample"] = {"files": len(sample), "jobs1_s": serial, f"jobs{args.jobs}_s": par,
                              "ms_per_file": per_file * 1000, "extrapolated_jobs1_s": per_file * len(paths)}

    # -- full build, cold cache
    timer = Timer()
    with MemorySampler() as mem:
        res, _ = cached_build([str(inp / "records")], work / "out-full", cache_dir=str(cache_dir), jobs=args.jobs,
                              timer=timer, keep_records=False)
    n_rows = len(res.tables["attendees"])
    own, kids = rss_mib()
    print_stages(f"full build, {len(res.tables['records'])} files, {n_rows} attendee rows, cold cache, jobs={args.jobs}",
                 timer, n_rows)
    print(f"  peak RSS: parent {own:,.0f} MiB, largest worker {kids:,.0f} MiB (a forked worker's RSS includes the "
          "pages it shares with the parent)")
    if mem.available:
        print(f"  peak memory of all processes together (sum of PSS, sampled every 0.1 s): {mem.peak_kib / 1024:,.0f} MiB")
    print(f"  {res.summary}")
    report["full"] = {"stages": timer.stages, "total_s": timer.total(), "rows": n_rows, "files": len(res.tables["records"]),
                      "rss_parent_mib": own, "rss_worker_mib": kids, "pss_all_peak_mib": mem.peak_kib / 1024,
                      "rows_per_s": n_rows / timer.total()}

    # -- correctness
    sc = score(res.tables["attendees"], cdir / "truth.jsonl", inp, res.resolution)
    p, r = sc["parser"], sc["resolution"]
    print(f"\n== correctness against truth.jsonl\n  parser rows: precision {p['precision']:.4f} recall "
          f"{p['recall']:.4f} ({p['rows']} expected rows)")
    for name, v in p["layouts"].items():
        print(f"    {name:20s} P {v['precision']:.3f}  R {v['recall']:.3f}  ({v['rows']} rows)")
    print(f"  resolution (pairwise over {r['names']} of {r['truth_names']} distinct raw names parsed as printed): "
          f"precision {r['precision']:.4f} recall {r['recall']:.4f}; clusters {r['clusters_pred']} "
          f"(truth {r['clusters_truth']})")
    report["correctness"] = sc

    # -- incremental: add records, rebuild with the cache
    new_dir = work / f"new-{args.records}-{args.new}"
    shutil.rmtree(new_dir, ignore_errors=True)
    corpus_mod.generate(new_dir, args.new, args.seed, start=args.records)
    added = 0
    for f in (new_dir / "records").rglob("*.txt"):
        dst = inp / "records" / f.relative_to(new_dir / "records")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dst)
        added += 1
    itimer = Timer()
    inc, stats = cached_build([str(inp / "records")], work / "out-inc", cache_dir=str(cache_dir), jobs=args.jobs,
                              timer=itimer, keep_records=False)
    print_stages(f"incremental rebuild (+{added} records; parse cache {stats.hits} hits, {stats.parsed} parsed)",
                 itimer, len(inc.tables["attendees"]))
    report["incremental"] = {"stages": itimer.stages, "total_s": itimer.total(), "added": added,
                             "hits": stats.hits, "parsed": stats.parsed}
    # the same inputs again: everything from the cache (resolution included)
    rtimer = Timer()
    cached_build([str(inp / "records")], None, cache_dir=str(cache_dir), jobs=args.jobs, timer=rtimer)
    print(f"  re-run, nothing changed (no writing): {rtimer.total():.2f} s "
          f"(parse {dict(rtimer.stages)['read+parse']:.2f} s, resolve {dict(rtimer.stages)['resolve']:.2f} s)")
    report["rerun_s"] = rtimer.total()

    if not args.no_fresh:
        ftimer = Timer()
        cached_build([str(inp / "records")], work / "out-fresh", cache_dir=None, jobs=args.jobs, timer=ftimer)
        diff = compare_dirs(work / "out-inc", work / "out-fresh")
        print(f"\n== fresh build of the same inputs without cache: {ftimer.total():.1f} s; outputs "
              + ("byte-identical" if not diff else f"DIFFER: {diff[:10]}"))
        report["fresh"] = {"total_s": ftimer.total(), "differences": diff}

    if not args.no_profile:
        print("\n== cProfile, build after parsing (cached records in, outputs written), top 15 cumulative")
        with in_one_process():
            print(profile_top(lambda: cached_build([str(inp / "records")], work / "out-prof",
                                                   cache_dir=str(cache_dir), jobs=1, timer=Timer())))
        shutil.rmtree(cache_dir / "resolve", ignore_errors=True)
        print("\n== cProfile, resolve uncached, top 15 cumulative")
        att = inc.tables["attendees"]
        att = att[att["method"].fillna("") != "generic"]
        rows = [(n, None if p != p else p) for n, p in zip(att["raw_institution"], att["person"], strict=True)]
        from irgraph.resolve import resolve

        print(profile_top(lambda: resolve([n for n, _ in rows], evidence=[(n, q) for n, q in rows if q])))
        print("\n== cProfile, read+parse of 500 files (jobs=1, no cache), top 15 cumulative")
        print(profile_top(lambda: cache.parse_paths(paths[::max(1, len(paths) // 500)], jobs=1)))
    own, kids = rss_mib()
    report["rss_end"] = {"parent_mib": own, "worker_mib": kids}
    print(f"\npeak RSS over the whole benchmark: parent {own:,.0f} MiB, largest worker {kids:,.0f} MiB; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
