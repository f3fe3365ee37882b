"""The command line as a user runs it: real processes, real files, exit codes, one-line errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "scanner/schemas/inventory.schema.json").read_text())

META_PAGE = """<!doctype html><html><head>
<script>
!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;
n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}(window,
document,'script','https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '1234567890123456');
fbq('track', 'PageView');
</script>
</head><body><button id="buy" onclick="fbq('track', 'AddToCart', {value: 9.5, currency: 'EUR'})">Buy</button></body></html>
"""


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_scan_writes_a_valid_inventory_and_a_summary(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site/index.html").write_text(META_PAGE)
    out = tmp_path / "inv.json"
    proc = run("scan", str(tmp_path / "site"), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert [(p["vendor"], p["account_id"], p["active"]) for p in data["pixels"]] == [("meta", "1234567890123456", True)]
    events = {(e["name"], e["trigger"]["kind"], e["trigger"]["selector"]) for e in data["events"]}
    assert events == {("PageView", "page_load", None), ("AddToCart", "click", "button#buy")}
    assert "1 active pixels from 1 vendors, 2 events" in proc.stderr
    assert f"wrote {out}" in proc.stderr


def test_scan_to_stdout_is_deterministic(tmp_path):
    (tmp_path / "index.html").write_text(META_PAGE)
    first, second = run("scan", str(tmp_path), "-o", "-"), run("scan", str(tmp_path))
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and json.loads(first.stdout)["pixels"]


@pytest.mark.parametrize("args, message", [
    (("scan", "/no/such/dir"), "does not exist"),
    (("scan", ".", "--shard", "5/2"), "K must be between 1 and N"),
    (("scan", ".", "--bogus"), "No such option"),
    (("frobnicate",), "No such command"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    proc = run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("pixelmigrate: error:")
    assert "Traceback" not in proc.stderr


def test_unwritable_output_exits_2(tmp_path):
    (tmp_path / "index.html").write_text(META_PAGE)
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run("scan", str(tmp_path / "index.html"), "-o", str(blocker / "inv.json"))
    assert proc.returncode == 2 and proc.stderr.startswith("pixelmigrate: error: cannot write")


def test_bad_input_becomes_diagnostics_not_a_crash(tmp_path):
    (tmp_path / "bin.js").write_bytes(b"fbq\x00\x01\x02" * 100)
    (tmp_path / "latin.html").write_bytes("<p>Caf\xe9</p><script>fbq('init','1234567890123456')</script>".encode("latin-1"))
    (tmp_path / "broken.js").write_text("fbq('track', 'Lead'; function ( {{{")
    proc = run("scan", str(tmp_path), "-o", "-")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    messages = {(d["path"], d["message"]) for d in data["diagnostics"]}
    assert ("bin.js", "skipped: binary content") in messages
    assert any(p == "latin.html" and "latin-1" in m for p, m in messages)
    assert "Traceback" not in proc.stderr


def test_vendors_lists_the_catalog():
    proc = run("vendors")
    assert proc.returncode == 0
    ids = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    for vendor in ("meta", "ga4", "gtm", "tiktok", "bloomreach_discovery", "quora"):
        assert vendor in ids
