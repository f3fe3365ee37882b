"""Crawl speed (not a test): pages per second of `pixelmigrate crawl` on a local site.

    python3 bench/crawl_speed.py [--pages 200] [--concurrency 1 2 4 8] [--keep]

It writes a 200-page site (small pages, each with a couple of pixel snippets, a tracked
button, a tracked form and links to other pages), then for each concurrency K runs

    pixelmigrate crawl DIR --runtime-only --max-pages 200 --max-depth 20 --no-consent -c K -o OUT

in a fresh process (the directory is served on 127.0.0.1; vendor requests are answered
locally, nothing leaves the machine) and prints wall time, pages crawled, pages/s, and the
CPU seconds and peak memory of the whole process tree (Chromium included). The CPU figure
tells what a page costs whatever else the machine is doing: on 2 cores, 200 pages cannot
take less than their CPU seconds / 2.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import measure, pixelmigrate_argv  # noqa: E402

META = "123456789012345"
GA4 = "G-BENCH12345"
TIKTOK = "CBENCH0000000000000X"


def page_html(index: int, pages: int) -> str:
    """Page `index`: links to its neighbours and to its two children in a binary tree, so a
    crawl from the index reaches every page within depth log2(pages) + a few."""
    targets = sorted({t for t in (index + 1, index + 2, 2 * index + 1, 2 * index + 2, 0) if 0 <= t < pages} - {index})
    links = "".join(f'<li><a href="{_name(t)}">Page {t}</a></li>' for t in targets)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page {index}</title>
<script>
!function(f,b,e,v,n,t,s){{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?n.callMethod.apply(n,arguments):n.queue.push(arguments)}};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];s.parentNode.insertBefore(t,s)}}(window,document,'script','https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '{META}');
fbq('track', 'PageView');
</script>
<script async src="https://www.googletagmanager.com/gtag/js?id={GA4}"></script>
<script>
window.dataLayer = window.dataLayer || [];
function gtag(){{dataLayer.push(arguments);}}
gtag('js', new Date());
gtag('config', '{GA4}');
</script>
</head><body>
<header><nav><ul>{links}</ul></nav></header>
<main><h1>Product {index}</h1><p>A small page of the crawl benchmark.</p>
<img src="/img/p{index}.jpg" width="200" height="200" alt="">
<button type="button" id="add" onclick="fbq('track', 'AddToCart', {{content_ids: ['SKU-{index}'], value: {index}.5, currency: 'EUR'}})">Add to cart</button>
<form id="newsletter" action="/subscribe" method="post"><input type="email" name="email"><button type="submit">Subscribe</button></form>
</main>
<script>
document.getElementById('newsletter').addEventListener('submit', function (event) {{
  event.preventDefault();
  gtag('event', 'generate_lead', {{method: 'newsletter', page: {index}}});
}});
</script>
</body></html>
"""


def _name(index: int) -> str:
    return "index.html" if index == 0 else f"page-{index}.html"


def write_site(root: Path, pages: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        (root / _name(i)).write_text(page_html(i, pages), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--keep", action="store_true", help="keep the site and the inventories")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="pm-crawl-bench-"))
    try:
        site = work / "site"
        write_site(site, args.pages)
        pm, env = pixelmigrate_argv()
        print(f"{args.pages}-page site in {site}")
        head = (f"{'concurrency':>11} {'wall s':>8} {'pages':>6} {'failed':>6} {'pages/s':>8} {'CPU s':>7} "
                f"{'CPU s/page':>10} {'peak MB':>8}")
        print(head)
        print("-" * len(head), flush=True)
        for k in args.concurrency:
            out = work / f"crawl-c{k}.json"
            run = measure([*pm, "crawl", str(site), "--runtime-only", "--max-pages", str(args.pages),
                                   "--max-depth", "20", "--no-consent", "-c", str(k), "-o", str(out)], env=env)
            data = json.loads(out.read_text())
            pages = len(data["pages"])
            failed = sum(1 for p in data["pages"] if not isinstance(p["status"], int) or p["status"] >= 400)
            print(f"{k:>11} {run.wall:>8.1f} {pages:>6} {failed:>6} {pages / run.wall:>8.2f} {run.cpu:>7.1f} "
                  f"{run.cpu / max(pages, 1):>10.2f} {run.peak_pss_mb:>8.0f}", flush=True)
        if args.keep:
            print(f"kept {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
