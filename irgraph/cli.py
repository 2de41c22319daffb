"""The ``irgraph`` command line: a thin click layer over the Python API."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from irgraph import __version__
from irgraph.errors import IrgraphError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    """Turns library errors into one-line messages; tracebacks only with ``--debug``."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
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


if __name__ == "__main__":  # pragma: no cover
    main()
