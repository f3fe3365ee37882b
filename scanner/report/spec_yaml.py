"""The spec as YAML for the backend developer: the structure of the JSON output plus comments
that say what each part is for. Deterministic: no timestamps; the key order is fixed by the
model (maps without a meaningful order are sorted there)."""
from __future__ import annotations

import yaml

from scanner.spec.model import DEBUG, Destination, Spec

_RULE = "-" * 88


class _Dumper(yaml.SafeDumper):
    """Block style, long strings folded at a readable width, no aliases."""

    def ignore_aliases(self, data) -> bool:
        return True


def _dump(value, indent: int) -> str:
    text = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=110, indent=2)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _comment(lines: list[str], indent: int = 0) -> str:
    """Comment lines; text from the site (an account expression) may span lines, each stays a comment."""
    pad = " " * indent
    return "".join(f"{pad}# {part}".rstrip() + "\n" for line in lines for part in (line.splitlines() or [""]))


def _header(spec: Spec) -> list[str]:
    lines = [
        "pixelmigrate server-side event mapping spec",
        "",
        "One destination per vendor account: the API, the request, the identity cookies to keep",
        "reading (existing users keep their ids), the dedupe key shared with the pixel during the",
        "parallel run, and every client event with its server event, fields and an example payload.",
        "Secrets are environment variable names only (auth_env, ${NAME}); set their values in your",
        "deployment. Placeholders in <angle brackets> are filled per request.",
    ]
    if spec.mode == DEBUG:
        lines += ["", "MODE: debug. Every destination uses its test mechanism (see `debug`). When the server",
                  "events match the client data, write the live spec with `pixelmigrate spec --live`, deploy it",
                  "and remove the client pixels at once."]
    else:
        lines += ["", "MODE: live. Debug mechanisms are off. Remove the client pixels in the same release:",
                  "the same event sent from both sides corrupts analytics."]
    return lines


def _destination_comment(d: Destination) -> list[str]:
    account = d.account_id or (f"account from {d.account_expr}" if d.account_expr else "account id not in the code")
    cookies = ", ".join(dict.fromkeys(i.cookie for i in d.identity)) or "none"
    lines = [_RULE, f"{d.vendor} · {account} · {d.api}" + (f" {d.api_version}" if d.api_version else ""),
             d.endpoint,
             f"events mapped: {len(d.events)} · identity cookies: {cookies} · dedupe: {d.dedupe.field or 'none'}"
             f" · debug: {'on' if d.debug.active else ('available' if d.debug.available else 'none')}"]
    if d.auth_env:
        lines.append("secrets from the environment: " + ", ".join(d.auth_env))
    if d.eu_endpoint:
        lines.append(f"EU data residency (live): {d.eu_endpoint}")
    lines.append(_RULE)
    return lines


def format_spec_yaml(spec: Spec) -> str:
    data = spec.to_json()
    out = [_comment(_header(spec)), _dump({"spec_version": data["spec_version"], "mode": data["mode"]}, 0), "\n"]
    out.append(_comment(["Where each vendor account's events go from the server."]))
    out.append("destinations:" + (" []\n" if not spec.destinations else "\n"))
    for destination, raw in zip(spec.destinations, data["destinations"]):
        out.append(_comment(_destination_comment(destination), 2))
        out.append(_dump([raw], 2))
    out.append("\n")
    out.append(_comment(["Client events that do not go server-side as they are, with the reason."]))
    out.append(_dump({"unmapped": data["unmapped"]}, 0))
    out.append("\n")
    out.append(_comment(["Tags with no server-side equivalent: keep them in the browser or drop them."]))
    out.append(_dump({"unmigratable": data["unmigratable"]}, 0))
    return "".join(out)
