"""The pixelmigrate command line: the only place that opens output files, writes to the
terminal and picks exit codes (0 clean, 1 findings or failed checks, 2 usage or run errors)."""
from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from scanner.audit import FailOn, Policy, PolicyError, audit as run_audit, load_policy_file
from scanner.catalog import Catalog, CatalogError, default_catalog, load_catalog
from scanner.inventory import Inventory, InventoryError, build_inventory, load_inventory, merge_inventories
from scanner.model import EventFinding, FileResult
from scanner.shard import Shard
from scanner.report.audit_text import format_audit_json, format_audit_text
from scanner.report.csv_report import format_csv
from scanner.report.html import format_html
from scanner.report.junit import format_junit
from scanner.report.markdown import format_markdown
from scanner.report.runbook import RunbookFiles, format_runbook
from scanner.report.sarif import format_sarif
from scanner.report.spec_json import format_spec_json
from scanner.report.spec_yaml import format_spec_yaml
from scanner.report.summary import format_summary, format_vendor_table
from scanner.sources.walk import WalkOptions
from scanner.spec.build import build_spec
from scanner.spec.check import check_spec
from scanner.spec.payload import PathError
from scanner.static import scan_tree
from scanner.validate.records import (CLIENT, FORMATS as INPUT_FORMATS, RECORD_FIELDS, SERVER, BadValue,
                                      InputError, open_inputs, parse_time)

if TYPE_CHECKING:
    from scanner.crawl import CrawlOptions, CrawlResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class RunError(Exception):
    """A failure the user can act on: shown as one line, exit 2."""


class CrawlFailed(RunError):
    """The crawl could not start (no browser, a bad target)."""


def write_bytes(data: bytes, output: str, like: Path | None = None) -> None:
    """Write bytes unchanged (patches of latin-1 and CRLF files), atomically; '-' is stdout.
    A file rewritten in place keeps the permission bits of `like`."""
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = Path(output)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if like is not None:
            shutil.copymode(like, tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise RunError(f"cannot write {output}: {exc.strerror or exc}") from None


def write_output(text: str, output: str) -> None:
    """Write text as UTF-8 to a file (atomically, so a failed run never leaves half a file) or stdout for '-'."""
    write_bytes(text.encode("utf-8"), output)


def _catalog(catalog_dir: str | None) -> Catalog:
    try:
        return load_catalog(Path(catalog_dir)) if catalog_dir else default_catalog()
    except CatalogError as exc:
        raise RunError(f"vendor catalog: {exc}") from None


def _shard(value: str | None) -> Shard | None:
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


def static_results(path: Path, options: WalkOptions, catalog: Catalog, workers: int | None,
                   shard: Shard | None) -> Iterator[FileResult]:
    """The static scan's FileResults, with a progress bar on a terminal."""
    bar = None

    def on_plan(total: int) -> None:
        nonlocal bar
        bar = _progress(total)
        if bar is not None:
            bar.__enter__()

    try:
        for result in scan_tree(path, options, catalog, workers, shard, on_plan):
            if bar is not None and result.skipped is None:
                bar.update(1)
            yield result
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def static_inventory(path: Path, options: WalkOptions, catalog: Catalog, workers: int | None,
                     shard: Shard | None, keep_raw: bool = False) -> Inventory:
    return build_inventory(static_results(path, options, catalog, workers, shard), catalog, keep_raw=keep_raw)


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


def _version() -> str:
    try:
        return importlib.metadata.version("pixelmigrate")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="pixelmigrate")
def cli() -> None:
    """Inventory a site's tracking pixels and migrate them to server-side tracking."""


@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="Where to write the inventory JSON ('-' for stdout).")
@click.option("--keep-findings", is_flag=True,
              help="Keep the raw findings in the inventory for `merge` (implied by --shard).")
@with_walk_options
def scan(path: Path, output: str, keep_findings: bool, include, exclude, no_gitignore, max_file_size, jobs, shard,
         catalog_dir) -> None:
    """Static scan of a source tree (or one file) into an inventory."""
    catalog = _catalog(catalog_dir)
    started = time.perf_counter()
    inventory = static_inventory(path, _walk_options(include, exclude, no_gitignore, max_file_size), catalog,
                                 jobs, _shard(shard), keep_raw=keep_findings or shard is not None)
    write_output(inventory.dumps(), output)
    click.echo(format_summary(inventory, time.perf_counter() - started, output), err=True)


def _crawl_findings(target: str, options: CrawlOptions, catalog: Catalog) -> CrawlResult:
    """Run the crawl with a progress line on a terminal."""
    # The crawl (Playwright) is imported by the commands that crawl, as the rewriters (libcst)
    # are by strip: they would cost every scan a few tenths of a second to start.
    from scanner.crawl import CrawlError, crawl as crawl_site

    show = sys.stderr.isatty()

    def progress(done: int, known: int, url: str) -> None:
        if show:
            click.echo(f"\r\x1b[Kcrawling {done}/{known} {url[:80]}", err=True, nl=False)

    try:
        return crawl_site(target, options, catalog, progress)
    except CrawlError as exc:
        raise CrawlFailed(str(exc)) from None
    finally:
        if show:
            click.echo("\r\x1b[K", err=True, nl=False)


def _trigger_selectors(results: list[FileResult]) -> tuple[str, ...]:
    """Selectors the static scan saw handlers bound to: the crawl exercises them first."""
    found = {f.trigger.selector for r in results for f in r.findings
             if isinstance(f, EventFinding) and f.active and f.trigger.selector}
    return tuple(sorted(found))


@cli.command()
@click.argument("target")
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
@click.option("--source", "source_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="Also scan this source tree statically and merge the two (default: a directory TARGET itself).")
@click.option("--runtime-only", is_flag=True, help="Do not merge a static scan.")
@click.option("--max-pages", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--max-depth", type=click.IntRange(min=0), default=3, show_default=True)
@click.option("--include-url", multiple=True, metavar="REGEX", help="Only visit URLs matching (repeatable).")
@click.option("--exclude-url", multiple=True, metavar="REGEX", help="Never visit URLs matching (repeatable).")
@click.option("--concurrency", "-c", type=click.IntRange(min=1, max=16), default=2, show_default=True)
@click.option("--page-timeout", type=click.FloatRange(min=1), default=15, show_default=True, metavar="SECONDS")
@click.option("--no-interact", is_flag=True, help="Do not click, type, submit or scroll.")
@click.option("--no-consent", is_flag=True, help="Do not accept consent banners.")
@click.option("--allow-vendor-traffic", is_flag=True,
              help="Let requests reach vendor hosts (default: answered locally, nothing leaves).")
@click.option("--load-media", is_flag=True, help="Load images, media and fonts (default: blocked).")
@click.option("--ignore-robots", is_flag=True, help="Crawl paths robots.txt disallows (remote sites).")
@click.option("--browser", "browser_path", default=None, metavar="PATH",
              help="Chromium executable (else $PIXELMIGRATE_CHROMIUM, Playwright's, chromium on PATH).")
@click.option("--state", default=None, metavar="FILE",
              help="SQLite file the crawl is saved to (default: beside the output file).")
@click.option("--resume", is_flag=True, help="Continue the crawl saved in the state file.")
@click.option("--shard", metavar="K/N", default=None,
              help="Visit only part K of N of the pages (and scan part K of the source), for `merge`.")
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None)
def crawl(target, output, source_path, runtime_only, max_pages, max_depth, include_url, exclude_url, concurrency, page_timeout,
          no_interact, no_consent, allow_vendor_traffic, load_media, ignore_robots, browser_path, state, resume,
          shard, catalog_dir) -> int:
    """Crawl a URL, or a directory of built HTML served on 127.0.0.1, in headless Chromium."""
    from scanner.crawl import CrawlOptions

    catalog = _catalog(catalog_dir)
    started = time.perf_counter()
    part = _shard(shard)
    if source_path is None and not runtime_only and Path(target).is_dir():
        source_path = Path(target)
    results = list(static_results(source_path, WalkOptions(), catalog, None, part)) \
        if source_path and not runtime_only else []
    if state is None and output != "-":
        state = f"{output}.crawl.sqlite"
    if resume and state is None:
        raise click.BadParameter("needs --state when the output is stdout", param_hint="--resume")
    options = CrawlOptions(
        max_pages=max_pages, max_depth=max_depth, include=tuple(include_url), exclude=tuple(exclude_url),
        concurrency=concurrency, page_timeout_s=page_timeout, interact=not no_interact, consent=not no_consent,
        allow_vendor_traffic=allow_vendor_traffic, browser_path=browser_path, resume_db=state, resume=resume,
        block_media=not load_media, obey_robots=not ignore_robots, selectors=_trigger_selectors(results), shard=part)
    try:
        crawled = _crawl_findings(target, options, catalog)
    except CrawlFailed as exc:
        if not results:
            raise RunError(str(exc)) from None
        # The static half still stands: write it, say what is missing, exit as a run error.
        inventory = build_inventory(results, catalog, keep_raw=part is not None)
        write_output(inventory.dumps(), output)
        click.echo(f"pixelmigrate: error: {exc}; wrote the static scan only", err=True)
        return EXIT_ERROR
    inventory = build_inventory(results, catalog, pages=crawled.pages, extra_findings=crawled.findings,
                                extra_diagnostics=crawled.diagnostics, keep_raw=part is not None)
    write_output(inventory.dumps(), output)
    click.echo(format_summary(inventory, time.perf_counter() - started, output), err=True)
    return EXIT_CLEAN


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


@cli.command()
@click.argument("inventories", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None)
def merge(inventories: tuple[str, ...], output: str, catalog_dir: str | None) -> None:
    """Merge sharded scans and crawls (`--shard K/N`) into one inventory."""
    catalog = _catalog(catalog_dir)
    parts = [_read_inventory(path) for path in inventories]
    try:
        inventory = merge_inventories(parts, catalog)
    except InventoryError as exc:
        missing = next(path for path, part in zip(inventories, parts) if part.raw is None)
        raise RunError(f"{missing}: {exc}") from None
    write_output(inventory.dumps(), output)


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
@click.option("--crawl", "crawl_target", default=None, metavar="URL",
              help="Also crawl this URL (or directory of built HTML): pixels seen only at runtime count too.")
@click.option("--browser", "browser_path", default=None, metavar="PATH", help="Chromium executable for --crawl.")
@with_walk_options
def audit(path: Path, deny, allow, baseline, fail_on, fmt, output, crawl_target, browser_path, include, exclude,
          no_gitignore, max_file_size, jobs, shard, catalog_dir) -> int:
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
    results = list(static_results(path, options, catalog, jobs, _shard(shard)))
    if crawl_target is None:
        inventory = build_inventory(results, catalog)
    else:
        from scanner.crawl import CrawlOptions

        crawled = _crawl_findings(crawl_target, CrawlOptions(browser_path=browser_path,
                                                             selectors=_trigger_selectors(results)), catalog)
        inventory = build_inventory(results, catalog, pages=crawled.pages, extra_findings=crawled.findings,
                                    extra_diagnostics=crawled.diagnostics)
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


# --- validate: post-migration checks over both sides' event logs ---------------------------

VALIDATE_FORMATS = ("text", "json", "md")


def _moment(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_time(value)
    except BadValue:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint=option) from None


def _column_map(pairs) -> tuple[tuple[str, str], ...]:
    mapping = []
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not (sep and column and (field in RECORD_FIELDS or (field.startswith("ids.") and len(field) > 4))):
            raise click.BadParameter(f"expected FIELD=COLUMN with FIELD one of {', '.join(RECORD_FIELDS)} or "
                                     f"ids.COOKIE, got {pair!r}", param_hint="--map")
        mapping.append((field, column))
    return tuple(mapping)


@cli.command()
@click.option("--client", "client_file", required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False),
              help="Client-side events: records (JSON Lines), HAR, beacon log, access log or CSV; .gz works.")
@click.option("--server", "server_file", required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False),
              help="Server-side events: records, Meta CAPI / GA4 MP / TikTok request bodies, access log or CSV.")
@click.option("--cutover", required=True, metavar="ISO8601",
              help="When the server side went live and the pixels were removed (naive times are UTC).")
@click.option("--end", default=None, metavar="ISO8601", help="End of the window after cutover (default: the last event).")
@click.option("--client-format", type=click.Choice(("auto",) + INPUT_FORMATS), default="auto", show_default=True)
@click.option("--server-format", type=click.Choice(("auto",) + INPUT_FORMATS), default="auto", show_default=True)
@click.option("--map", "column_map", multiple=True, metavar="FIELD=COLUMN",
              help="CSV: the column holding a record field (ts, side, vendor, event, event_id, page, ids.COOKIE).")
@click.option("--base-url", default=None, metavar="URL",
              help="Access logs: the URL request paths stand for (a first-party proxy of a beacon endpoint).")
@click.option("--tolerance", type=click.FloatRange(0, 10), default=0.2, show_default=True,
              help="Volume: relative change allowed against the same hours a week before.")
@click.option("--identity-tolerance", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="Identity: relative shortfall allowed against the returning-user share seen before.")
@click.option("--duplicate-window", type=click.FloatRange(min=0, min_open=True), default=300, show_default=True,
              metavar="SECONDS", help="The same event from both sides within this many seconds was sent twice.")
@click.option("--grace", type=click.FloatRange(min=0), default=10, show_default=True, metavar="MINUTES",
              help="Client events this soon after cutover (cached pages) do not fail the duplicates check.")
@click.option("--format", "fmt", type=click.Choice(VALIDATE_FORMATS), default="text", show_default=True)
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
@click.option("--plot", default=None, metavar="FILE.svg", help="Also write an hourly SVG plot of the live volume.")
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None)
def validate(client_file: str, server_file: str, cutover: str, end: str | None, client_format: str,
             server_format: str, column_map, base_url: str | None, tolerance: float, identity_tolerance: float,
             duplicate_window: float, grace: float, fmt: str, output: str, plot: str | None,
             catalog_dir: str | None) -> int:
    """Post-migration checks: volume, identity, duplicates, continuity (exit 1 when one fails)."""
    from scanner.report.validation import (format_plot_svg, format_validation_json, format_validation_markdown,
                                           format_validation_text, summary_line)
    from scanner.validate.checks import Options as ValidateOptions, ValidationError, validate as run_validation

    if plot and not plot.lower().endswith(".svg"):
        raise click.BadParameter("the plot is an SVG image: name the file .svg", param_hint="--plot")
    options = ValidateOptions(cutover=_moment(cutover, "--cutover"), end=_moment(end, "--end"), tolerance=tolerance,
                              identity_tolerance=identity_tolerance, duplicate_window=duplicate_window,
                              grace=grace * 60)
    if options.end is not None and options.end <= options.cutover:
        raise click.BadParameter("must be after --cutover", param_hint="--end")
    mapping = _column_map(column_map)
    catalog = _catalog(catalog_dir)
    try:
        inputs = open_inputs([(client_file, CLIENT, client_format), (server_file, SERVER, server_format)], catalog,
                             column_map=mapping, base_url=base_url)
        try:
            result = run_validation(inputs, options, catalog)
        finally:
            for item in inputs:
                item.close()
    except (InputError, ValidationError) as exc:
        raise RunError(str(exc)) from None
    formatted = {
        "text": lambda: format_validation_text(result),
        "json": lambda: format_validation_json(result),
        "md": lambda: format_validation_markdown(result, plot),
    }[fmt]()
    write_output(formatted, output)
    if plot:
        write_output(format_plot_svg(result), plot)
    if fmt != "text" or output != "-":
        click.echo(summary_line(result), err=True)
    return EXIT_CLEAN if result.passed else EXIT_FINDINGS


# --- spec: the server-side mapping plan the backend implements -----------------------------

SPEC_FORMATS = ("yaml", "json")


@cli.command()
@click.argument("inventory_file", metavar="INVENTORY", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              help="Where to write the spec ('-' for stdout).")
@click.option("--live", is_flag=True, help="Live mode: every destination's debug/test mechanism switched off.")
@click.option("--format", "fmt", type=click.Choice(SPEC_FORMATS), default=None,
              help="Output format (default: json for a .json output, else yaml).")
@click.option("--check", "check_file", default=None, metavar="SPEC", type=click.Path(dir_okay=False),
              help="Validate a (hand-edited) spec instead: one problem per line, exit 1 when there are any.")
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None)
def spec(inventory_file: str | None, output: str, live: bool, fmt: str | None, check_file: str | None,
         catalog_dir: str | None) -> int:
    """Server-side mapping spec: where each event goes from the backend, keeping the cookie ids."""
    catalog = _catalog(catalog_dir)
    if check_file is not None:
        if inventory_file is not None:
            raise click.UsageError("give either INVENTORY or --check SPEC")
        try:
            text = Path(check_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise RunError(f"cannot read {check_file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise RunError(f"{check_file}: not UTF-8 text") from None
        problems = check_spec(text, catalog)
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{check_file}: {len(problems)} problems" if problems else f"{check_file}: ok", err=True)
        return EXIT_FINDINGS if problems else EXIT_CLEAN
    if inventory_file is None:
        raise click.UsageError("missing INVENTORY (or --check SPEC)")
    try:
        result = build_spec(_read_inventory(inventory_file), catalog, live=live)
    except PathError as exc:
        raise RunError(f"vendor catalog: {exc}") from None
    fmt = fmt or ("json" if output.lower().endswith(".json") else "yaml")
    write_output(format_spec_json(result) if fmt == "json" else format_spec_yaml(result), output)
    if output != "-":
        click.echo(f"{result.summary()}; wrote {output}", err=True)
    return EXIT_CLEAN

@cli.command()
@click.argument("inventory_file", metavar="INVENTORY", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE")
@click.option("--site", default=".", show_default=True, metavar="PATH", help="The site's source tree, as the team types it.")
@click.option("--spec", "spec_name", default="spec.yaml", show_default=True, metavar="FILE")
@click.option("--cutover-patch", default="cutover.patch", show_default=True, metavar="FILE")
@click.option("--rollback-patch", default="rollback.patch", show_default=True, metavar="FILE")
@click.option("--catalog", "catalog_dir", type=click.Path(file_okay=False), default=None)
def plan(inventory_file: str, output: str, site: str, spec_name: str, cutover_patch: str, rollback_patch: str,
         catalog_dir: str | None) -> None:
    """The migration runbook (Markdown) from the inventory and its spec."""
    catalog = _catalog(catalog_dir)
    inventory = _read_inventory(inventory_file)
    try:
        mapping = build_spec(inventory, catalog)
    except PathError as exc:
        raise RunError(f"vendor catalog: {exc}") from None
    files = RunbookFiles(site=site, inventory=inventory_file, spec=spec_name,
                         live_spec=spec_name.replace(".y", ".live.y", 1) if ".y" in spec_name else spec_name + ".live",
                         cutover_patch=cutover_patch, rollback_patch=rollback_patch)
    write_output(format_runbook(inventory, mapping, catalog, files), output)


# --- strip: the cutover patch that removes the chosen vendors' client code, and its rollback ---



@cli.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--vendor", "vendor_ids", multiple=True, metavar="ID", help="Vendor whose client code goes (repeatable).")
@click.option("--all", "all_vendors", is_flag=True, help="Every vendor in the catalog.")
@click.option("-o", "--output", required=True, metavar="FILE", help="The cutover patch ('-' for stdout).")
@click.option("--rollback", required=True, metavar="FILE", help="The patch that restores every byte.")
@click.option("--apply", "apply_now", is_flag=True, help="Also change the files in place, after the same checks.")
@click.option("--inventory", "inventory_file", default=None, metavar="INVENTORY", type=click.Path(dir_okay=False),
              help="An inventory with runtime findings (crawl): what only runs at runtime is listed with where to go.")
@click.option("--gtm-export", default=None, metavar="FILE", type=click.Path(exists=True, dir_okay=False),
              help="A GTM container export (JSON) whose tags of the chosen vendors get paused.")
@click.option("-o-gtm", "--gtm-output", default=None, metavar="FILE", help="Where to write the modified GTM export.")
@with_walk_options
def strip(path: Path, vendor_ids, all_vendors: bool, output: str, rollback: str, apply_now: bool,
          inventory_file: str | None, gtm_export: str | None, gtm_output: str | None, include, exclude, no_gitignore,
          max_file_size, jobs, shard, catalog_dir) -> int:
    """Cutover patch removing the chosen vendors' client pixels, and its exact rollback (exit 1 when
    something of them remains)."""
    if bool(vendor_ids) == all_vendors:
        raise click.UsageError("give --vendor ID (repeatable) or --all")
    if (gtm_export is None) != (gtm_output is None):
        raise click.UsageError("--gtm-export and -o-gtm go together")
    if shard is not None:
        raise click.BadParameter("strip reads the whole tree", param_hint="--shard")
    catalog = _catalog(catalog_dir)
    chosen = frozenset(catalog.by_id) if all_vendors else _vendor_ids(vendor_ids, catalog, "--vendor")
    inventory = _read_inventory(inventory_file) if inventory_file else None
    try:
        export = (Path(gtm_export).name, Path(gtm_export).read_bytes()) if gtm_export else None
    except OSError as exc:
        raise RunError(f"cannot read {gtm_export}: {exc.strerror or exc}") from None
    from rewriters.plan import plan_strip
    from rewriters.result import Edits
    from scanner.report.strip_summary import format_strip_summary

    outcome = plan_strip(path, chosen, catalog, _walk_options(include, exclude, no_gitignore, max_file_size),
                         inventory, export)
    write_bytes(outcome.patch(), output)
    write_bytes(outcome.rollback(), rollback)
    if gtm_output and outcome.gtm is not None and isinstance(outcome.gtm.result, Edits):
        write_bytes(outcome.gtm.result.edits[0].replacement, gtm_output)
    if apply_now:
        base = path if path.is_dir() else path.parent
        for change in outcome.changes:
            write_bytes(change.new, str(base / change.path), like=base / change.path)
    click.echo(format_strip_summary(outcome), err=True)
    done = f"; applied to {len(outcome.changes)} files" if apply_now else ""
    click.echo(f"wrote {output} and {rollback} ({len(outcome.changes)} files){done}", err=True)
    return EXIT_FINDINGS if outcome.remaining else EXIT_CLEAN


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
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("PIXELMIGRATE_DEBUG"):
            raise
        click.echo(f"pixelmigrate: internal error: {type(exc).__name__}: {exc} "
                   "(set PIXELMIGRATE_DEBUG=1 for the traceback)", err=True)
        return EXIT_ERROR
    return result if isinstance(result, int) else EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
