"""The pixelmigrate command line: the only place that opens output files, writes to the
terminal and picks exit codes (0 clean, 1 findings or failed checks, 2 usage or run errors)."""
from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
import time
from pathlib import Path

import click

from scanner.catalog import Catalog, CatalogError, default_catalog, load_catalog
from scanner.audit import FailOn, Policy, PolicyError, audit as run_audit, load_policy_file
from scanner.inventory import Inventory, InventoryError, build_inventory, load_inventory
from scanner.report.csv_report import format_csv
from scanner.report.html import format_html
from scanner.report.markdown import format_markdown
from scanner.report.audit_text import format_audit_json, format_audit_text
from scanner.report.junit import format_junit
from scanner.report.sarif import format_sarif
from scanner.report.summary import format_summary, format_vendor_table
from scanner.sources.walk import WalkOptions
from scanner.static import scan_tree

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class RunError(Exception):
    """A failure the user can act on: shown as one line, exit 2."""


def write_output(text: str, output: str) -> None:
    """Write to a file (atomically, so a failed run never leaves half a file) or stdout for '-'."""
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise RunError(f"cannot write {output}: {exc.strerror or exc}") from None


def _catalog(catalog_dir: str | None) -> Catalog:
    try:
        return load_catalog(Path(catalog_dir)) if catalog_dir else default_catalog()
    except CatalogError as exc:
        raise RunError(f"vendor catalog: {exc}") from None


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        k, n = (int(part) for part in value.split("/"))
    except ValueError:
        raise click.BadParameter("expected K/N, e.g. 1/4", param_hint="--shard") from None
    if not 1 <= k <= n:
        raise click.BadParameter("K must be between 1 and N", param_hint="--shard")
    return k, n


def _progress(total: int):
    """A progress bar on a terminal; nothing in CI logs or pipes."""
    if total < 50 or not sys.stderr.isatty():
        return None
    return click.progressbar(length=total, file=sys.stderr, label="scanning", show_pos=True)


def static_inventory(path: Path, options: WalkOptions, catalog: Catalog, workers: int | None,
                     shard: tuple[int, int] | None) -> Inventory:
    bar = None

    def on_plan(total: int) -> None:
        nonlocal bar
        bar = _progress(total)
        if bar is not None:
            bar.__enter__()

    def counted(results):
        for result in results:
            if bar is not None and result.skipped is None:
                bar.update(1)
            yield result

    try:
        return build_inventory(counted(scan_tree(path, options, catalog, workers, shard, on_plan)), catalog)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


walk_options = [
    click.option("--include", multiple=True, metavar="GLOB", help="Only read files matching GLOB (repeatable)."),
    click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files matching GLOB (repeatable)."),
    click.option("--no-gitignore", is_flag=True, help="Read files that .gitignore excludes."),
    click.option("--max-file-size", type=click.IntRange(min=1), default=64, show_default=True, metavar="MB",
                 help="Skip files larger than this."),
    click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores)."),
    click.option("--shard", metavar="K/N", default=None, help="Scan only part K of N (stable split for CI matrices)."),
    click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None,
                 help="Use vendor files from this directory instead of the bundled catalog."),
]


def with_walk_options(func):
    for option in reversed(walk_options):
        func = option(func)
    return func


def _walk_options(include, exclude, no_gitignore, max_file_size) -> WalkOptions:
    return WalkOptions(include=tuple(include), exclude=tuple(exclude), use_gitignore=not no_gitignore,
                       max_file_size=max_file_size * 1024 * 1024)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pixelmigrate")
def cli() -> None:
    """Inventory a site's tracking pixels and migrate them to server-side tracking."""


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="Where to write the inventory JSON ('-' for stdout).")
@with_walk_options
def scan(path: Path, output: str, include, exclude, no_gitignore, max_file_size, jobs, shard, catalog_dir) -> None:
    """Static scan of a source tree (or one file) into an inventory."""
    catalog = _catalog(catalog_dir)
    started = time.perf_counter()
    inventory = static_inventory(path, _walk_options(include, exclude, no_gitignore, max_file_size), catalog,
                                 jobs, _shard(shard))
    write_output(inventory.dumps(), output)
    click.echo(format_summary(inventory, time.perf_counter() - started, output), err=True)


def _vendor_ids(ids, catalog: Catalog, option: str) -> frozenset[str]:
    unknown = sorted(set(ids) - set(catalog.by_id))
    if unknown:
        raise click.BadParameter(f"unknown vendor {unknown[0]!r} (see 'pixelmigrate vendors')", param_hint=option)
    return frozenset(ids)


def _read_inventory(path: str) -> Inventory:
    try:
        return load_inventory(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (InventoryError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: {exc}") from None


AUDIT_FORMATS = ("text", "json", "sarif", "junit")


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--deny", multiple=True, metavar="ID", help="Vendor that must have no client pixel (repeatable).")
@click.option("--allow", multiple=True, metavar="ID", help="Vendor that may keep its pixels (repeatable).")
@click.option("--baseline", type=click.Path(dir_okay=False), default=None, metavar="INVENTORY",
              help="Only findings not in this inventory count.")
@click.option("--fail-on", type=click.Choice([f.value for f in FailOn]), default=None,
              help="new (default with --baseline), any (default without), none.")
@click.option("--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="text", show_default=True)
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
@with_walk_options
def audit(path: Path, deny, allow, baseline, fail_on, fmt, output, include, exclude, no_gitignore, max_file_size,
          jobs, shard, catalog_dir) -> int:
    """CI gate: exit 1 when pixels of denied (or not allowed) vendors are found."""
    catalog = _catalog(catalog_dir)
    try:
        config = load_policy_file(path if path.is_dir() else path.parent)
    except PolicyError as exc:
        raise RunError(str(exc)) from None
    policy = Policy(deny=_vendor_ids(deny or config.get("deny", ()), catalog, "--deny"),
                    allow=_vendor_ids(allow or config.get("allow", ()), catalog, "--allow"),
                    fail_on=FailOn(fail_on or config["fail_on"]) if (fail_on or "fail_on" in config) else None,
                    baseline=baseline or config.get("baseline"))
    baseline_inventory = _read_inventory(policy.baseline) if policy.baseline else None
    options = _walk_options(include or config.get("include", ()), exclude or config.get("exclude", ()),
                            no_gitignore, max_file_size)
    inventory = static_inventory(path, options, catalog, jobs, _shard(shard))
    result = run_audit(inventory, policy, baseline_inventory)
    formatted = {
        "text": lambda: format_audit_text(result),
        "json": lambda: format_audit_json(result),
        "sarif": lambda: format_sarif(result, catalog, _version()),
        "junit": lambda: format_junit(result),
    }[fmt]()
    write_output(formatted, output)
    if fmt != "text" or output != "-":
        click.echo(format_audit_text(result).splitlines()[-2], err=True)
    return EXIT_FINDINGS if result.violations else EXIT_CLEAN


def _version() -> str:
    try:
        return importlib.metadata.version("pixelmigrate")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


REPORT_FORMATS = ("html", "md", "csv", "json")


@cli.command()
@click.argument("inventory_file", metavar="INVENTORY", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="html", show_default=True)
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
@click.option("--link-base", default=None, metavar="URL",
              help="HTML: link locations to URL/path#Lline (e.g. a repository's blob URL).")
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None)
def report(inventory_file: str, fmt: str, output: str, link_base: str | None, catalog_dir: str | None) -> None:
    """Reports for people: html (one self-contained file), md, csv, json."""
    catalog = _catalog(catalog_dir)
    inventory = _read_inventory(inventory_file)
    formatted = {
        "html": lambda: format_html(inventory, catalog, link_base=link_base),
        "md": lambda: format_markdown(inventory, catalog),
        "csv": lambda: format_csv(inventory),
        "json": inventory.dumps,
    }[fmt]()
    write_output(formatted, output)


@cli.command()
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None,
              help="Vendor files directory (default: the bundled catalog).")
def vendors(catalog_dir: str | None) -> None:
    """List the vendors in the catalog."""
    click.echo(format_vendor_table(_catalog(catalog_dir)), nl=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point: turns every failure into one line on stderr and exit code 2."""
    try:
        result = cli.main(args=argv, prog_name="pixelmigrate", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc), err=True)
        return EXIT_ERROR
    except click.UsageError as exc:
        hint = f" (see 'pixelmigrate {exc.ctx.command_path.split(' ', 1)[1]} --help')" if exc.ctx and " " in exc.ctx.command_path else ""
        click.echo(f"pixelmigrate: error: {exc.format_message()}{hint}", err=True)
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("pixelmigrate: aborted", err=True)
        return EXIT_ERROR
    except RunError as exc:
        click.echo(f"pixelmigrate: error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("pixelmigrate: interrupted", err=True)
        return 130
    return result if isinstance(result, int) else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
