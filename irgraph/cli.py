"""The ``irgraph`` command line: a thin click layer over the Python API."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from irgraph import __version__
from irgraph.errors import IrgraphError, OptionError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """Turns library errors and bad options into one-line messages; tracebacks only with ``--debug``."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as e:  # `irgraph` alone: the help, as click shows it
            click.echo(e.format_message(), err=True)
            sys.exit(e.exit_code)
        except click.UsageError as e:  # a bad or missing option or argument: one line, and where help is
            where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
            click.echo(f"irgraph: error: {e.format_message()}{where}", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            click.echo(f"irgraph: error: {e.format_message()}", err=True)
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("irgraph: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader went away (| head): stop quietly, as Unix tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # nothing more reaches the closed pipe at exit
            sys.exit(141)  # 128 + SIGPIPE
        except IrgraphError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"irgraph: error: {e}", err=True)
            sys.exit(2)
        except (OSError, MemoryError) as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"irgraph: error: {e}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="irgraph")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn A-share investor-relations activity records (投资者关系活动记录表) into an
    institution–company attendance network.

    \b
    Quick start:
      irgraph build data/samples -o out      # everything: tables, graph, explorer
      irgraph parse record.txt               # what the parser reads from one record
      irgraph resolve 中金公司 兴业证券          # how names resolve to institutions
      irgraph overlap out --company 688088   # who visits the peers but not 688088
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command("parse", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table", show_default=True,
              help="json: one JSON object per input (JSON Lines, docs/outputs.md); table: a readable summary.")
def parse_cmd(files: tuple[Path, ...], fmt: str) -> None:
    """Parse records and print what was read from each.

    \b
    Examples:
      irgraph parse data/samples/000_370e009666ed327e.txt
      irgraph parse records/*.pdf --format json > parsed.jsonl
    """
    from irgraph.parse import parse_document, recover_stock_codes
    from irgraph.read import iter_input_files, read_path

    paths = iter_input_files(files)
    records = []
    for p in paths:
        records.extend(parse_document(read_path(p)))
    records = list(recover_stock_codes(records))
    for r in records:
        if fmt == "json":
            click.echo(json.dumps(r.to_json(), ensure_ascii=False))
        else:
            _print_record(r)


def _print_record(r: object) -> None:
    from irgraph.models import Record

    assert isinstance(r, Record)
    click.secho(r.source, bold=True)
    if r.error:
        click.echo(f"  error: {r.error}")
        return
    if r.kind != "ir_record":
        click.echo("  not an investor-relations activity record")
        return
    types = "unknown (check boxes not legible)" if r.activity_types is None else "、".join(r.activity_types) or "none"
    click.echo(f"  company   {r.stock_code or '?'} {r.short_name or ''} {r.company or ''}".rstrip())
    click.echo(f"  record    {r.record_no or '-'}   dates {', '.join(r.dates) or '-'}   types {types}")
    if r.activity_other:
        click.echo(f"  other     {r.activity_other}")
    decl = ""
    if r.declared_institutions is not None or r.declared_persons is not None:
        decl = f" (declared {r.declared_institutions or '?'} institutions, {r.declared_persons or '?'} persons)"
    click.echo(f"  attendees {len(r.institution_rows)} rows, {r.n_institutions} institutions, "
               f"{r.n_persons} persons{decl}")
    for a in r.attendees:
        mark = " (generic)" if a.generic else ""
        click.echo(f"    {a.institution}  {a.person or ''}{mark}")
    for u in r.unparsed:
        click.echo(f"  unparsed  line {u.line_no}: {u.text}  [{u.reason}]")
    for w in r.warnings:
        click.echo(f"  warning   {w}")



def _split_csv(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]


def _check_date(value: str | None, name: str) -> str | None:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)", param_hint=name) from None


_FILTER_OPTIONS = [
    click.option("--level", type=click.Choice(["entity", "group"]), default="entity", show_default=True,
                 help="Institution nodes: legal entities, or financial groups (兴业证券 + 兴证全球基金 + 兴证资管)."),
    click.option("--since", metavar="DATE", help="Only records dated on or after DATE (YYYY-MM-DD)."),
    click.option("--until", metavar="DATE", help="Only records dated on or before DATE (YYYY-MM-DD)."),
    click.option("--types", metavar="TYPE,...",
                 help="Only records of these activity types, e.g. 特定对象调研,分析师会议."),
]


def _filters(f):  # type: ignore[no-untyped-def]
    for opt in reversed(_FILTER_OPTIONS):
        f = opt(f)
    return f


@main.command("build", context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder (created if missing).")
@click.option("--registry", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Institution registry CSV (default: the bundled data/institutions.csv).")
@click.option("--overrides", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Your must_link / cannot_link / rename decisions (CSV or TOML), applied on every build.")
@click.option("--companies", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV of code,short_name,company to fill stock codes that records omit.")
@_filters
@click.option("--top-k", type=click.IntRange(1), default=50, show_default=True,
              help="Partners kept per node in the overlap reports.")
@click.option("--explorer-top", type=click.IntRange(1), default=300, show_default=True,
              help="Nodes shown in the explorer's default view (by degree).")
@click.option("--betweenness-k", type=click.IntRange(1), default=None,
              help="Sample betweenness from K pivots (default: exact up to 5,000 nodes, else 200).")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of sampled betweenness.")
@click.option("--no-xlsx", is_flag=True, help="Do not write irgraph.xlsx.")
@click.option("--no-parquet", is_flag=True, help="Do not write parquet/.")
@click.option("--xlsx-max-rows", type=click.IntRange(1, 1_048_575), default=20_000, show_default=True,
              help="Rows per sheet in irgraph.xlsx (the CSV and Parquet files always hold everything).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cache of parse results and resolutions (default: OUT/.irgraph-cache); unchanged files are "
                   "not parsed again.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write a cache.")
@click.option("--force", is_flag=True,
              help="Build even when OUT is up to date (same inputs, options and irgraph as its last build).")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Worker processes for parsing (0 = one per CPU). Outputs are identical for any value.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no per-file messages; errors only.")
def build_cmd(inputs: tuple[Path, ...], out: Path, registry: Path | None, overrides: Path | None,
              companies: Path | None, level: str, since: str | None, until: str | None, types: str | None,
              top_k: int, explorer_top: int, betweenness_k: int | None, seed: int, no_xlsx: bool,
              no_parquet: bool, xlsx_max_rows: int, cache_dir: Path | None, no_cache: bool, force: bool, jobs: int,
              quiet: bool) -> None:
    """Build the attendance network from records (files or folders, searched recursively).

    Writes into OUT: records.csv, attendees.csv, institutions.csv, review.csv, unparsed.csv,
    centrality.csv, company_overlap.csv, institution_overlap.csv, graph.graphml, graph.gexf,
    explorer.html, irgraph.xlsx and parquet/ (see docs/outputs.md).

    Nothing is done when OUT is up to date: its last build had the same inputs (contents and
    order), options, registry/overrides/companies files and irgraph version, and none of the files
    it wrote has changed since (--force builds anyway; --no-cache always builds).

    \b
    Examples:
      irgraph build data/samples -o out
      irgraph build records/ -o out --overrides my_overrides.csv --since 2024-07-01
      irgraph build records/ -o out --level group --types 特定对象调研,分析师会议
    """
    from irgraph.graph import check_date_range
    from irgraph.pipeline import build, check_output_folder, remember_build, up_to_date
    from irgraph.read import iter_input_files

    since = _check_date(since, "--since")
    until = _check_date(until, "--until")
    check_date_range(since, until)  # (since after until: an OptionError now, not after the parse)
    input_files = iter_input_files(inputs)  # no inputs: stop before the output folder is made
    check_output_folder(out)  # fail in a second, not after an hour of parsing
    cache = None if no_cache else (cache_dir or out / ".irgraph-cache")
    # what makes the outputs (not --jobs, --quiet or where the cache is)
    options = {"level": level, "since": since, "until": until, "types": _split_csv(types), "top_k": top_k,
               "explorer_top": explorer_top, "betweenness_k": betweenness_k, "seed": seed, "xlsx": not no_xlsx,
               "parquet": not no_parquet, "xlsx_max_rows": xlsx_max_rows}
    option_files = {"registry": registry, "overrides": overrides, "companies": companies}
    if cache is not None and not force:
        t0 = time.perf_counter()
        counts = up_to_date(input_files, out, cache_dir=cache, options=options, files=option_files)
        if counts is not None:
            if not quiet:
                click.echo(f"irgraph: {out}/ is up to date: {counts}; nothing changed since its last build "
                           f"(checked in {time.perf_counter() - t0:.1f} s; --force builds anyway)", err=True)
            return
    problems: list[str] = []

    def on_problem(rec) -> None:  # type: ignore[no-untyped-def]
        problems.append(f"irgraph: {rec.source}: {rec.status}: {rec.message}")

    bar = None
    files = 0

    def progress(done: int, total: int) -> None:
        nonlocal bar, files
        files = total
        if quiet or total < 20:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="reading", file=sys.stderr, show_pos=True)
        bar.update(done - bar.pos)
        if done >= total:
            bar.render_finish()

    def stage(text: str) -> None:  # what a long build is doing after the reading bar
        if not quiet and files >= 20:
            click.echo(f"irgraph: {text} ...", err=True)

    result = build(input_files, registry=registry, overrides=overrides, companies=companies, level=level,
                   since=since, until=until, types=_split_csv(types), top_k=top_k, explorer_top=explorer_top,
                   betweenness_k=betweenness_k, seed=seed, progress=progress, on_problem=on_problem,
                   cache_dir=cache, jobs=jobs, keep_records=False, on_stage=stage, out_dir=out,
                   xlsx_max_rows=xlsx_max_rows, parquet=not no_parquet)
    stage(f"writing {out}/")
    written = result.write(out, xlsx=not no_xlsx, parquet=not no_parquet, xlsx_max_rows=xlsx_max_rows)
    if cache is not None:
        remember_build(result, written, input_files, out, cache_dir=cache, options=options, files=option_files)
    for line in problems:
        if not quiet or ": error:" in line:
            click.echo(line, err=True)
    if not quiet:
        click.echo(f"irgraph: wrote {out}/: {result.summary}", err=True)


@main.command("resolve", context_settings=CONTEXT)
@click.argument("names", nargs=-1, required=True)
@click.option("--registry", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Institution registry CSV (default: the bundled one).")
@click.option("--overrides", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Overrides file applied before matching.")
def resolve_cmd(names: tuple[str, ...], registry: Path | None, overrides: Path | None) -> None:
    """Resolve institution names; prints CSV raw_name,institution_id,institution,group,type,method,score.

    Names given together are resolved together (so they can cluster with each other).

    \b
    Examples:
      irgraph resolve 中金公司 中国国际金融股份有限公司 兴业证券 兴业银行
      irgraph resolve "Goldman Sachs" 高盛 --overrides my_overrides.csv
    """
    import csv as _csv

    from irgraph._io import safe_cell
    from irgraph.registry import load_registry
    from irgraph.resolve import load_overrides, resolve

    reg = load_registry(registry) if registry else None
    ov = load_overrides(overrides) if overrides else None
    res = resolve(list(names), registry=reg, overrides=ov)
    w = _csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["raw_name", "institution_id", "institution", "group", "type", "method", "score"])
    for n in dict.fromkeys(names):
        m = res[n]
        w.writerow([safe_cell(v) for v in (n, m.institution_id, m.institution, m.group, m.type, m.method,
                                            f"{m.score:.3f}")])


@main.command("overlap", context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--company", required=True, metavar="CODE",
              help="The company: stock code (688088), or short name (虹软科技).")
@click.option("--peers", metavar="CODE,...", help="Peer companies (default: the 5 with the most similar visitors).")
@click.option("--n-peers", type=click.IntRange(1), default=5, show_default=True,
              help="How many peers to pick when --peers is not given.")
@click.option("-o", "--out", "out_csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the full report to this CSV (default: peer_gap_CODE.csv in a build folder, else none).")
@click.option("--limit", type=click.IntRange(1), default=30, show_default=True, help="Rows printed.")
@click.option("--registry", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Institution registry CSV (default: the bundled one).")
@click.option("--overrides", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Overrides file.")
@_filters
def overlap_cmd(inputs: tuple[Path, ...], company: str, peers: str | None, n_peers: int, out_csv: Path | None,
                limit: int, registry: Path | None, overrides: Path | None, level: str, since: str | None,
                until: str | None, types: str | None) -> None:
    """Peer-gap report: institutions that visited the peers but never COMPANY.

    INPUTS are record files/folders, or a build folder (its graph.graphml is read).
    Ranked by how many peers each institution visited, then how recently.

    \b
    Examples:
      irgraph overlap out --company 688088
      irgraph overlap records/ --company 688787 --peers 688088,688561 -o gap.csv
    """
    from irgraph.pipeline import write_csv
    from irgraph.report import peer_gap

    G, build_dir = _graph_for(inputs, registry, overrides, level, _check_date(since, "--since"),
                              _check_date(until, "--until"), _split_csv(types))
    df = peer_gap(G, company, peers=_split_csv(peers), n_peers=n_peers)
    if out_csv is None and build_dir is not None:
        code = str(df.attrs.get("company", company)).removeprefix("c:")
        out_csv = build_dir / f"peer_gap_{code}.csv"
    if out_csv is not None:  # before printing: a reader that stops early (| head) must not lose it
        write_csv(df, out_csv)
    chosen = [G.nodes[p].get("label", p) for p in df.attrs.get("peers", [])]
    target = G.nodes[df.attrs["company"]].get("label", company) if df.attrs.get("company") in G else company
    click.echo(f"{target}: {len(df)} institutions visited its peers ({'、'.join(chosen) or 'none'}) but never it.")
    if len(df):
        show = df.head(limit)[["institution", "type", "n_peers_visited", "visits", "last_date", "peers_visited"]]
        click.echo(_table(show))
        if len(df) > limit:
            click.echo(f"… {len(df) - limit} more (--limit, or the CSV)")
    if out_csv is not None:
        click.echo(f"full report: {out_csv}", err=True)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(df) -> str:  # type: ignore[no-untyped-def]
    """A plain-text table that lines up with Chinese text (wide characters count double)."""
    cells = [[str(c) for c in df.columns]] + [["" if v is None else str(v) for v in row]
                                               for row in df.itertuples(index=False, name=None)]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(cells[0]))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _graph_for(inputs, registry, overrides, level, since, until, types):  # type: ignore[no-untyped-def]
    """A graph from a build folder's graph.graphml, or built from record files."""
    import networkx as nx

    if len(inputs) == 1 and (inputs[0] / "graph.graphml").is_file():
        if any((since, until, types)) or level != "entity":
            raise OptionError(f"{inputs[0]} is a build folder: its graph is used as built; --since, --until, "
                              "--types and --level need the record files (or build again with them)")
        return nx.read_graphml(inputs[0] / "graph.graphml"), inputs[0]
    from irgraph.graph import build_graph
    from irgraph.pipeline import read_records
    from irgraph.registry import load_registry
    from irgraph.resolve import load_overrides, resolve

    records = read_records(list(inputs))
    rows = [(a.institution, a.person) for r in records for a in r.institution_rows]
    res = resolve([n for n, _ in rows], registry=load_registry(registry) if registry else None,
                  overrides=load_overrides(overrides) if overrides else None,
                  evidence=[(n, p) for n, p in rows if p])
    return build_graph(records, res, level=level, since=since, until=until, types=types), None


def run() -> None:
    """The ``irgraph`` console script: :func:`main`, then the process ends without freeing its heap
    object by object (after a year's build ~1.3 GB of objects; Python's teardown took ~0.8 s after
    the last file was written and closed). Output is flushed first; forked writers are done by then
    (a cache entry still being stored by a child is finished by it)."""
    try:
        main()
        code: object = 0
    except SystemExit as e:
        code = e.code
    if isinstance(code, str):  # sys.exit("message")
        click.echo(code, err=True)
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = 141
    os._exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    run()
