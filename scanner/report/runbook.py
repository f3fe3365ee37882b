"""The migration runbook in Markdown: the sequence of shared/vendors.md made specific to one
site, from its inventory and spec (cookies to keep, debug pixels, exact commands and files)."""
from __future__ import annotations

from dataclasses import dataclass

from scanner.catalog import Catalog
from scanner.inventory import Inventory
from scanner.spec.model import Destination, Spec


@dataclass(frozen=True)
class RunbookFiles:
    """The names the commands in the runbook use, as the team will type them."""

    site: str
    inventory: str
    spec: str = "spec.yaml"
    live_spec: str = "spec.live.yaml"
    cutover_patch: str = "cutover.patch"
    rollback_patch: str = "rollback.patch"
    client_log: str = "client.jsonl"
    server_log: str = "server.jsonl"


def _account(d: Destination) -> str:
    return d.account_id or d.account_expr or "account from configuration"


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _identity_lines(d: Destination, name: str) -> list[str]:
    lines = []
    for rule in d.identity:
        seen = "seen in " + "/".join(rule.seen) if rule.seen else "implied by the vendor library"
        lines.append(f"  - [ ] {name}: keep {_code(rule.cookie)} ({seen}) for {_code(rule.field)}: {rule.derive.rstrip('.')}. "
                     f"If missing: {rule.if_missing}")
    for click in d.click_ids:
        kept = f" into {_code(click.cookie)}" if click.cookie else ""
        lines.append(f"  - [ ] {name}: capture {_code(click.param)} from the landing URL{kept} for "
                     f"{_code(click.field)}")
    return lines


def format_runbook(inventory: Inventory, spec: Spec, catalog: Catalog, files: RunbookFiles) -> str:
    name_of = {v.id: v.name for v in catalog}
    vendors = sorted({d.vendor for d in spec.destinations})
    deny = " ".join(f"--deny {v}" for v in vendors)
    strip_vendors = " ".join(f"--vendor {v}" for v in vendors)
    consent_gated = sorted({p.vendor for p in inventory.pixels if p.active and p.after_consent})
    out = [
        "# Migration runbook: client pixels to server-side tracking",
        "",
        f"Site: {_code(files.site)}. Inventory: {_code(files.inventory)} "
        f"({sum(1 for p in inventory.pixels if p.active)} active pixels, "
        f"{sum(1 for e in inventory.events if e.active)} events). "
        f"Destinations: {len(spec.destinations)}; vendors migrating: {', '.join(name_of.get(v, v) for v in vendors) or 'none'}.",
        "",
        "## 1. Before the window",
        "",
        "- [ ] Keep the same cookie ids, so existing users keep their history. The server reads these "
        "first-party cookies and, where one is missing, creates it in the client library's own format:",
    ]
    for d in spec.destinations:
        out.extend(_identity_lines(d, f"{name_of.get(d.vendor, d.vendor)} ({_account(d)})"))
    out += ["- [ ] Set up the debug pixels and access to each vendor's event diagnostics:"]
    for d in spec.destinations:
        where = d.debug.how if d.debug.available else "no debug mode: compare volumes in the vendor's reports"
        env = f" (environment: {', '.join(_code(e) for e in d.debug.env)})" if d.debug.env else ""
        out.append(f"  - [ ] {name_of.get(d.vendor, d.vendor)} ({_account(d)}): {where}{env}")
    out += [
        "- [ ] Credentials as environment variables on the server, never in code: "
        + ", ".join(sorted({_code(e) for d in spec.destinations for e in d.auth_env})) + ".",
        "- [ ] Prepare the cutover and its rollback, and check both apply:",
        "",
        "```sh",
        f"pixelmigrate strip {files.site} {strip_vendors} -o {files.cutover_patch} --rollback {files.rollback_patch}",
        f"git apply --check {files.cutover_patch}",
        "```",
    ]
    if consent_gated:
        out.append("- [ ] Consent: " + ", ".join(name_of.get(v, v) for v in consent_gated)
                   + " fire only after consent on the client; the server must send their events only for users "
                   "who consented (pass the consent state with each request).")
    for u in spec.unmigratable:
        out.append(f"- [ ] {name_of.get(u.vendor, u.vendor)} stays as it is: {u.reason} {u.recommendation}")
    if spec.unmapped:
        out.append(f"- [ ] {len(spec.unmapped)} events have no server mapping yet (see `unmapped` in "
                   f"{_code(files.spec)}): map them by hand or accept losing them.")
    out += [
        "",
        "## 2. The window",
        "",
        "Plan 2 to 4 hours in the lowest-traffic period of the week (read it off last week's hourly "
        "volumes), with someone who can deploy both the backend and the site, and access to every "
        "vendor's event diagnostics. Never run client and server sending the same events live for "
        "more than a few hours: the same event from both sides is counted twice.",
        "",
        "## 3. Steps",
        "",
        "1. **Deploy server-side sending in debug mode beside the client pixels.** The backend "
        f"implements {_code(files.spec)}:",
        "",
        "   ```sh",
        f"   pixelmigrate spec {files.inventory} -o {files.spec}",
        f"   pixelmigrate spec --check {files.spec}",
        "   ```",
        "",
        "   Dedupe keys shared by the client and the server during this run: "
        + "; ".join(f"{name_of.get(d.vendor, d.vendor)}: {d.dedupe.field or 'none'}" for d in spec.destinations)
        + ".",
        "2. **Compare** the server's debug events with the client's, in each vendor's diagnostics and with "
        "the logs of both sides:",
        "",
        "   ```sh",
        f"   pixelmigrate validate --client {files.client_log} --server {files.server_log} --cutover <now>",
        "   ```",
        "",
        f"3. **Switch the server side to live**: deploy {_code(files.live_spec)}, which differs only in "
        "what debug mode changes:",
        "",
        "   ```sh",
        f"   pixelmigrate spec {files.inventory} --live -o {files.live_spec}",
        "   ```",
        "",
        "4. **Remove every client pixel at once**, in the same deploy window, and check none is left:",
        "",
        "   ```sh",
        f"   git apply {files.cutover_patch}",
        f"   pixelmigrate audit {files.site} {deny}",
        "   ```",
        "",
        "   Pixels a tag manager or a CMS injects are not in the patch: `strip` lists them; pause "
        "them there at the same moment.",
        "5. **Monitor for 2 to 4 hours** (checklist below). To roll back: "
        f"{_code('git apply ' + files.rollback_patch)}, redeploy the site, and put the server side back "
        "into debug mode.",
        "",
        "## 4. After: post-migration checklist",
        "",
        "```sh",
        f"pixelmigrate validate --client {files.client_log} --server {files.server_log} --cutover <cutover time>",
        "```",
        "",
        "- [ ] Volume: page views and each event per hour match the same hours of the week before.",
        "- [ ] Identity: returning users keep their ids ("
        + ", ".join(sorted({_code(r.cookie) for d in spec.destinations for r in d.identity})) + ").",
        "- [ ] Duplicates: no event arrives from both the browser and the server after the cutover.",
        "- [ ] Continuity: no hour without events where the week before had them.",
        "",
    ]
    return "\n".join(out)
