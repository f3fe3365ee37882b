"""A large synthetic site for the scan benchmarks (not a test): deterministic for a seed.

    python3 bench/gen_site.py --out /tmp/pm-site [--pages 400] [--bundles 20] [--scale 1] [--seed 7]

What a real storefront's repository holds, at about 60 MB for the defaults:
- pages/: built HTML pages (home, categories, products, cart, checkout, journal, search)
  with a header, mega-menu and footer, inline critical CSS, an SVG sprite, ld+json and
  app-state JSON, product grids with tracked buttons (onclick handlers), and the inline
  snippets of a dozen catalog vendors with their events in click / submit / scroll handlers;
- assets/js/lib/: large minified library bundles (1.5-2.5 MB each) with no pixel in them.
  A few use words like "track" and "analytics" that are not pixels; one of the default
  twenty carries a URL cleaner listing click-id parameters (gclid, fbclid), a real-world
  false positive of any signature pre-filter that costs that bundle a full parse;
- assets/js/app/: the site's own (unminified) modules that fire events;
- templates/: the Jinja, Liquid and PHP layouts and partials the pages come from.

--scale multiplies the number of pages, bundles, modules and templates (not the size of a
file), so --scale 2 is the same kind of site twice as large. Every file draws from its own
seeded generator, so a larger scale holds the smaller one's files unchanged.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.catalog import default_catalog  # noqa: E402

WORDS = """stone ware pour over dripper kettle enamel mug filter paper grinder burr scale timer glass carafe
server tray cloth linen apron towel wooden spoon board bowl plate cup saucer jar tin canister scoop tamper
press french cold brew tea pot infuser strainer whisk matcha bamboo copper brass steel iron cast oak walnut
ash maple cherry clay glaze matte gloss speckled sand moss slate ivory charcoal ocean forest dusk dawn
harvest morning evening weekend studio workshop atelier handmade small batch limited edition classic modern
heritage everyday travel compact large medium mini deluxe essential starter gift set bundle refill spare
replacement handle lid base ring gasket seal sleeve pouch case stand rack shelf hook rail basket crate
""".split()
TEXT = """the a of to and in for with on by from our your we is are was it this that be as at or an
every each made hand small batch good better slow coffee morning cup brew water heat pour wait taste
bloom grind coarse fine medium roast light dark origin farm washed natural process note sweet bright
body finish clean balanced chocolate caramel citrus berry floral nutty spice fruit honey stone fruit
workshop studio clay kiln fire glaze throw trim shape dry fire again pack ship order return gift card
""".split()
CATEGORIES = ["brewing", "drinkware", "kitchen", "tea", "grinders", "kettles", "filters", "gifts", "storage",
              "textiles", "accessories", "sale"]
CSS_PROPS = ["display:flex", "display:grid", "gap:{n}px", "margin:0 auto", "padding:{n}px {m}px",
             "color:#{h}", "background:#{h}", "border:1px solid #{h}", "border-radius:{n}px",
             "font-size:{n}px", "line-height:1.{n}", "font-weight:{w}", "max-width:{k}px",
             "grid-template-columns:repeat({c},minmax(0,1fr))", "align-items:center",
             "justify-content:space-between", "text-transform:uppercase", "letter-spacing:.{n}em",
             "transition:opacity .{n}s ease", "position:relative", "overflow:hidden"]


class Site:
    """Site-wide facts every page shares: one account per vendor, one product catalogue."""

    def __init__(self, seed: int):
        rng = random.Random(f"{seed}:site")
        self.seed = seed
        self.gtm = "GTM-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(7))
        self.ga4 = "G-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(10))
        self.ads = f"AW-{rng.randrange(10**8, 10**9)}"
        self.meta = str(rng.randrange(10**15, 10**16))
        self.tiktok = "C" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(19))
        self.bloomreach = str(rng.randrange(1000, 9999))
        self.linkedin = str(rng.randrange(10**6, 10**7))
        self.pinterest = str(rng.randrange(10**12, 10**13))
        self.uet = str(rng.randrange(10**6, 10**8))
        self.snap = "-".join("".join(rng.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12))
        self.reddit = "a2_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
        self.hotjar = str(rng.randrange(10**6, 10**7))
        self.klaviyo = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz") for _ in range(6))
        self.products = [self._product(rng, i) for i in range(600)]

    @staticmethod
    def _product(rng: random.Random, i: int) -> dict:
        name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 4))).title()
        return {"sku": f"FH-{10000 + i}", "name": name, "slug": name.lower().replace(" ", "-") + f"-{i}",
                "price": round(rng.uniform(4, 240), 2), "category": rng.choice(CATEGORIES),
                "rating": round(rng.uniform(3.2, 5), 1), "reviews": rng.randint(0, 900)}


def sentence(rng: random.Random, n: int | None = None) -> str:
    words = [rng.choice(TEXT) for _ in range(n or rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 7)))


def _css(rng: random.Random, rules: int) -> str:
    out = []
    for _ in range(rules):
        selector = rng.choice([".c-{}", ".c-{}__item", ".c-{}--active", "#s-{}", ".c-{} > a", ".c-{}:hover"]).format(
            rng.choice(WORDS))
        props = ";".join(rng.choice(CSS_PROPS).format(
            n=rng.randint(1, 48), m=rng.randint(1, 48), h=f"{rng.randrange(16**6):06x}",
            w=rng.choice((400, 500, 600, 700)), k=rng.choice((640, 960, 1200, 1440)), c=rng.randint(2, 6))
            for _ in range(rng.randint(2, 6)))
        out.append(f"{selector}{{{props}}}")
    return "\n".join(out)


def _sprite(rng: random.Random, icons: int) -> str:
    symbols = []
    for i in range(icons):
        path = " ".join(f"{rng.choice('MLCQ')}{rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}"
                        for _ in range(rng.randint(12, 40)))
        symbols.append(f'<symbol id="i-{rng.choice(WORDS)}-{i}" viewBox="0 0 24 24"><path d="{path}Z"/></symbol>')
    return '<svg xmlns="http://www.w3.org/2000/svg" style="display:none">' + "".join(symbols) + "</svg>"


# --- vendor snippets: the vendors' published base codes, with this site's accounts -----------

def gtm_head(s: Site) -> str:
    return f"""<!-- Google Tag Manager -->
<script>(function(w,d,s,l,i){{w[l]=w[l]||[];w[l].push({{'gtm.start':
new Date().getTime(),event:'gtm.js'}});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
}})(window,document,'script','dataLayer','{s.gtm}');</script>
<!-- End Google Tag Manager -->"""


def gtm_body(s: Site) -> str:
    return (f'<noscript><iframe src="https://www.googletagmanager.com/ns.html?id={s.gtm}" height="0" width="0" '
            'style="display:none;visibility:hidden"></iframe></noscript>')


def gtag_head(s: Site) -> str:
    return f"""<script async src="https://www.googletagmanager.com/gtag/js?id={s.ga4}"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('consent', 'default', {{ad_storage: 'denied', analytics_storage: 'denied', wait_for_update: 500}});
  gtag('js', new Date());
  gtag('config', '{s.ga4}');
  gtag('config', '{s.ads}');
</script>"""


def meta_head(s: Site) -> str:
    return f"""<!-- Meta Pixel Code -->
<script>
!function(f,b,e,v,n,t,s)
{{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)}};
if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
n.queue=[];t=b.createElement(e);t.async=!0;
t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}}(window, document,'script',
'https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '{s.meta}');
fbq('track', 'PageView');
</script>
<noscript><img height="1" width="1" style="display:none" src="https://www.facebook.com/tr?id={s.meta}&ev=PageView&noscript=1"/></noscript>
<!-- End Meta Pixel Code -->"""


def tiktok_head(s: Site) -> str:
    return f"""<script>
!function (w, d, t) {{
  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie"],ttq.setAndDefer=function(t,e){{t[e]=function(){{t.push([e].concat(Array.prototype.slice.call(arguments,0)))}}}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.instance=function(t){{for(var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e}},ttq.load=function(e,n){{var r="https://analytics.tiktok.com/i18n/pixel/events.js";ttq._i=ttq._i||{{}},ttq._i[e]=[],ttq._i[e]._u=r,ttq._t=ttq._t||{{}},ttq._t[e]=+new Date,ttq._o=ttq._o||{{}},ttq._o[e]=n||{{}};n=document.createElement("script");n.type="text/javascript",n.async=!0,n.src=r+"?sdkid="+e+"&lib="+t;e=document.getElementsByTagName("script")[0];e.parentNode.insertBefore(n,e)}};
  ttq.load('{s.tiktok}');
  ttq.page();
}}(window, document, 'ttq');
</script>"""


def hotjar_head(s: Site) -> str:
    return f"""<script type="text/plain" data-cookieconsent="statistics">
  (function(h,o,t,j,a,r){{
    h.hj=h.hj||function(){{(h.hj.q=h.hj.q||[]).push(arguments)}};
    h._hjSettings={{hjid:{s.hotjar},hjsv:6}};
    a=o.getElementsByTagName('head')[0];
    r=o.createElement('script');r.async=1;
    r.src=t+h._hjSettings.hjid+j+h._hjSettings.hjsv;
    a.appendChild(r);
  }})(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');
</script>"""


def linkedin_body(s: Site) -> str:
    return f"""<script type="text/javascript">
_linkedin_partner_id = "{s.linkedin}";
window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
window._linkedin_data_partner_ids.push(_linkedin_partner_id);
</script><script type="text/javascript">
(function(l) {{
if (!l){{window.lintrk = function(a,b){{window.lintrk.q.push([a,b])}};
window.lintrk.q=[]}}
var s = document.getElementsByTagName("script")[0];
var b = document.createElement("script");
b.type = "text/javascript";b.async = true;
b.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";
s.parentNode.insertBefore(b, s);}})(window.lintrk);
</script>
<noscript><img height="1" width="1" style="display:none;" alt="" src="https://px.ads.linkedin.com/collect/?pid={s.linkedin}&fmt=gif" /></noscript>"""


def bloomreach_body(s: Site, ptype: str, extra: str = "") -> str:
    return f"""<script>
  var br_data = {{
    acct_id: '{s.bloomreach}',
    domain_key: 'fernhill_supply',
    type: 'pageview',
    ptype: '{ptype}',{extra}
    title: document.title
  }};
  (function () {{
    var brtrk = document.createElement('script');
    brtrk.type = 'text/javascript';
    brtrk.async = true;
    brtrk.src = 'https://cdn.brcdn.com/v1/br-trk-{s.bloomreach}.js';
    var s = document.getElementsByTagName('script')[0];
    s.parentNode.insertBefore(brtrk, s);
  }})();
</script>"""


def pinterest_body(s: Site) -> str:
    return f"""<script>
!function(e){{if(!window.pintrk){{window.pintrk=function(){{window.pintrk.queue.push(Array.prototype.slice.call(arguments))}};var n=window.pintrk;n.queue=[],n.version="3.0";var t=document.createElement("script");t.async=!0,t.src=e;var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r)}}}}("https://s.pinimg.com/ct/core.js");
pintrk('load', '{s.pinterest}', {{em: '<user_email_address>'}});
pintrk('page');
</script>
<noscript><img height="1" width="1" style="display:none;" alt="" src="https://ct.pinterest.com/v3/?event=init&tid={s.pinterest}&noscript=1" /></noscript>"""


def uet_body(s: Site) -> str:
    return f"""<script>(function(w,d,t,r,u){{var f,n,i;w[u]=w[u]||[],f=function(){{var o={{ti:"{s.uet}", enableAutoSpaTracking: true}};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")}},n=d.createElement(t),n.src=r,n.async=1,n.onload=n.onreadystatechange=function(){{var s=this.readyState;s&&s!=="loaded"&&s!=="complete"||(f(),n.onload=n.onreadystatechange=null)}},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)}})(window,document,"script","//bat.bing.com/bat.js","uetq");</script>"""


def snap_body(s: Site) -> str:
    return f"""<script type='text/javascript'>
(function(e,t,n){{if(e.snaptr)return;var a=e.snaptr=function()
{{a.handleRequest?a.handleRequest.apply(a,arguments):a.queue.push(arguments)}};
a.queue=[];var s='script';r=t.createElement(s);r.async=!0;
r.src=n;var u=t.getElementsByTagName(s)[0];
u.parentNode.insertBefore(r,u);}})(window,document,
'https://sc-static.net/scevent.min.js');
snaptr('init', '{s.snap}', {{'user_email': '__INSERT_USER_EMAIL__'}});
snaptr('track', 'PAGE_VIEW');
</script>"""


def reddit_body(s: Site) -> str:
    return f"""<script>
!function(w,d){{if(!w.rdt){{var p=w.rdt=function(){{p.sendEvent?p.sendEvent.apply(p,arguments):p.callQueue.push(arguments)}};p.callQueue=[];var t=d.createElement("script");t.src="https://www.redditstatic.com/ads/pixel.js",t.async=!0;var s=d.getElementsByTagName("script")[0];s.parentNode.insertBefore(t,s)}}}}(window,document);
rdt('init','{s.reddit}', {{"optOut":false,"useDecimalCurrencyValues":true}});
rdt('track', 'PageVisit');
</script>"""


def klaviyo_body(s: Site) -> str:
    return f'<script async src="https://static.klaviyo.com/onsite/js/klaviyo.js?company_id={s.klaviyo}"></script>'


# --- page parts ---------------------------------------------------------------------------

def _nav(rng: random.Random) -> str:
    columns = []
    for category in CATEGORIES:
        links = "".join(f'<li><a href="/c/{category}.html?sub={rng.choice(WORDS)}">'
                        f'{rng.choice(WORDS).title()} {rng.choice(WORDS)}</a></li>' for _ in range(rng.randint(6, 12)))
        columns.append(f'<li class="mega__col"><a class="mega__head" href="/c/{category}.html">{category.title()}</a>'
                       f'<ul class="mega__list">{links}</ul></li>')
    return ('<header class="site-header"><a class="logo" href="/index.html">'
            '<svg width="140" height="28"><use href="#i-logo"/></svg></a>'
            '<nav class="mega" aria-label="Main"><ul class="mega__cols">' + "".join(columns) + '</ul></nav>'
            '<form class="search-form" action="/search.html" method="get" role="search">'
            '<input type="search" name="q" placeholder="Search the shop" aria-label="Search"></form>'
            '<a class="cart-link" href="/cart.html">Cart (<span data-cart-count>0</span>)</a></header>')


def _footer(rng: random.Random) -> str:
    groups = []
    for title in ("Shop", "Help", "About", "Journal"):
        links = "".join(f'<li><a href="/{title.lower()}/{rng.choice(WORDS)}-{rng.choice(WORDS)}.html">'
                        f'{sentence(rng, 3)[:-1]}</a></li>' for _ in range(rng.randint(8, 14)))
        groups.append(f'<div class="footer__group"><h3>{title}</h3><ul>{links}</ul></div>')
    return ('<footer class="site-footer"><div class="footer__groups">' + "".join(groups) + '</div>'
            f'<p class="footer__legal">{paragraph(rng)}</p></footer>')


def _card(p: dict, tracked: bool) -> str:
    price = f"{p['price']:.2f}"
    onclick = ""
    if tracked:
        onclick = (f''' onclick="fbq('track', 'AddToCart', {{content_ids: ['{p['sku']}'], content_type: 'product', value: {price}, currency: 'EUR'}}); '''
                   f'''gtag('event', 'add_to_cart', {{currency: 'EUR', value: {price}, items: [{{item_id: '{p['sku']}', item_name: '{p['name']}'}}]}});"''')
    return (f'<li class="product-card" data-sku="{p["sku"]}" data-price="{price}">'
            f'<a class="product-card__link" href="/p/{p["slug"]}.html">'
            f'<img src="/img/p/{p["sku"]}-400.webp" srcset="/img/p/{p["sku"]}-400.webp 400w, /img/p/{p["sku"]}-800.webp 800w" '
            f'sizes="(min-width: 960px) 25vw, 50vw" alt="{p["name"]}" width="400" height="400" loading="lazy">'
            f'<span class="product-card__name">{p["name"]}</span></a>'
            f'<div class="rating" aria-label="{p["rating"]} out of 5"><span style="width:{int(p["rating"] * 20)}%"></span>'
            f'<a href="/p/{p["slug"]}.html#reviews">{p["reviews"]} reviews</a></div>'
            f'<span class="price">&euro;{price}</span>'
            f'<button type="button" class="btn add-to-cart" data-sku="{p["sku"]}"{onclick}>Add to cart</button>'
            f'''<button type="button" class="btn-wish" data-sku="{p['sku']}" aria-label="Save"'''
            + (f''' onclick="window.uetq.push('event', 'add_to_wishlist', {{ecomm_prodid: '{p['sku']}'}})"''' if tracked else "")
            + '><svg width="20" height="20"><use href="#i-heart"/></svg></button></li>')


def _delegated_cart_script() -> str:
    return """<script>
  document.querySelectorAll('.add-to-cart').forEach(function (button) {
    button.addEventListener('click', function () {
      var sku = button.dataset.sku;
      var price = parseFloat(button.closest('.product-card').dataset.price);
      ttq.track('AddToCart', {content_id: sku, content_type: 'product', value: price, currency: 'EUR'});
      pintrk('track', 'addtocart', {value: price, order_quantity: 1, currency: 'EUR', line_items: [{product_id: sku}]});
      snaptr('track', 'ADD_CART', {item_ids: [sku], price: price, currency: 'EUR'});
      BrTrk.getTracker().logEvent('cart', 'click-add', {prod_id: sku, sku: sku});
      window.dataLayer.push({event: 'add_to_cart', ecommerce: {items: [{item_id: sku, price: price}]}});
    });
  });
</script>"""


def _newsletter(s: Site, rng: random.Random) -> str:
    return f"""<section class="newsletter"><h2>{sentence(rng, 5)[:-1]}</h2>
<form id="newsletter-form" action="/newsletter" method="post">
  <label for="newsletter-email">Email</label>
  <input id="newsletter-email" name="email" type="email" placeholder="you@example.com" autocomplete="email">
  <button type="submit" class="btn">Subscribe</button>
</form></section>
<script>
  document.getElementById('newsletter-form').addEventListener('submit', function (event) {{
    event.preventDefault();
    var email = document.getElementById('newsletter-email').value;
    window._learnq = window._learnq || [];
    window._learnq.push(['identify', {{$email: email}}]);
    window._learnq.push(['track', 'Newsletter Signup', {{source: 'footer'}}]);
    fbq('track', 'Lead', {{content_name: 'newsletter'}});
    lintrk('track', {{conversion_id: {rng.randrange(10**6, 10**7)}}});
    rdt('track', 'SignUp');
    gtag('event', 'generate_lead', {{method: 'newsletter'}});
  }});
</script>"""


SCROLL_SCRIPT = """<script>
  window.addEventListener('scroll', function onScroll() {
    if (window.scrollY + window.innerHeight > document.body.scrollHeight * 0.75) {
      window.removeEventListener('scroll', onScroll);
      gtag('event', 'scroll', {percent_scrolled: 75});
      window.dataLayer.push({event: 'scroll_depth', depth: 75});
      ttq.track('ViewContent', {content_type: 'article', description: 'read 75%'});
    }
  }, {passive: true});
</script>"""


def _state(rng: random.Random, site: Site, products: list[dict]) -> str:
    state = {"route": {"name": rng.choice(CATEGORIES), "params": {"page": rng.randint(1, 9)}},
             "user": {"loggedIn": False, "locale": "en-GB", "currency": "EUR"},
             "flags": {f"{rng.choice(WORDS)}_{rng.choice(WORDS)}": rng.random() < .5 for _ in range(30)},
             "products": [{**p, "variants": [{"id": f"{p['sku']}-{v}", "stock": rng.randint(0, 40),
                                              "color": rng.choice(WORDS)} for v in range(rng.randint(1, 4))]}
                          for p in products],
             "i18n": {f"{rng.choice(WORDS)}.{rng.choice(WORDS)}": sentence(rng, 6) for _ in range(40)}}
    return ('<script id="__APP_STATE__" type="application/json">' + json.dumps(state, separators=(",", ":"))
            + "</script>\n"
            "<script>window.__INITIAL_STATE__ = " + json.dumps(state["flags"]) + ";"
            "window.__I18N__ = " + json.dumps(state["i18n"]) + ";</script>")


def _ld_json(site: Site, products: list[dict], product: dict | None) -> str:
    if product is not None:
        data = {"@context": "https://schema.org", "@type": "Product", "sku": product["sku"], "name": product["name"],
                "image": [f"https://www.fernhill-supply.example/img/p/{product['sku']}-{w}.webp"
                          for w in (400, 800, 1600)],
                "offers": {"@type": "Offer", "priceCurrency": "EUR", "price": product["price"],
                           "availability": "https://schema.org/InStock"},
                "aggregateRating": {"@type": "AggregateRating", "ratingValue": product["rating"],
                                    "reviewCount": product["reviews"]}}
    else:
        data = {"@context": "https://schema.org", "@type": "ItemList",
                "itemListElement": [{"@type": "ListItem", "position": i + 1,
                                     "url": f"https://www.fernhill-supply.example/p/{p['slug']}.html",
                                     "name": p["name"]} for i, p in enumerate(products)]}
    return '<script type="application/ld+json">' + json.dumps(data, indent=1) + "</script>"


PAGE_TYPES = ["category"] * 9 + ["product"] * 8 + ["journal"] * 3 + ["search", "cart", "checkout"]
# How often a page carries each vendor's base code: not every tag reached every template.
VENDOR_ODDS = {"gtm": .95, "gtag": .9, "meta": .85, "tiktok": .7, "hotjar": .5, "linkedin": .6, "bloomreach": .8,
               "pinterest": .5, "uet": .55, "snap": .4, "reddit": .35, "klaviyo": .6}


def page(site: Site, index: int) -> tuple[str, str]:
    """(relative path, html) of page `index`."""
    rng = random.Random(f"{site.seed}:page:{index}")
    kind = "home" if index == 0 else rng.choice(PAGE_TYPES)
    vendors = {v for v, odds in VENDOR_ODDS.items() if rng.random() < odds}
    grid = rng.sample(site.products, {"category": rng.randint(16, 32), "search": 20, "home": 16}.get(kind, 8))
    product = grid[0] if kind == "product" else None
    head = ['<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{(product or grid[0])['name']} | Fernhill Supply Co.</title>",
            f'<meta name="description" content="{sentence(rng)}">',
            f'<link rel="canonical" href="https://www.fernhill-supply.example/{kind}/{index}.html">',
            '<link rel="preload" href="/assets/fonts/inter.woff2" as="font" crossorigin>',
            f"<style>{_css(rng, rng.randint(60, 110))}</style>",
            _ld_json(site, grid, product)]
    if "gtm" in vendors:
        head.append(gtm_head(site))
    if "gtag" in vendors:
        head.append(gtag_head(site))
    if "meta" in vendors:
        head.append(meta_head(site))
    if "tiktok" in vendors:
        head.append(tiktok_head(site))
    if "hotjar" in vendors:
        head.append(hotjar_head(site))
    body = [gtm_body(site) if "gtm" in vendors else "", _sprite(rng, rng.randint(10, 22)), _nav(rng), "<main>"]
    tracked_cards = rng.random() < .5
    if product is not None:
        price = f"{product['price']:.2f}"
        body.append(f"""<section class="pdp" data-sku="{product['sku']}"><h1>{product['name']}</h1>
<p class="price">&euro;{price}</p><div class="pdp__copy">{"".join(f"<p>{paragraph(rng)}</p>" for _ in range(rng.randint(3, 6)))}</div>
<button type="button" id="pdp-add" class="btn btn-primary add-to-cart" data-sku="{product['sku']}">Add to cart</button></section>
<script>
  fbq('track', 'ViewContent', {{content_ids: ['{product['sku']}'], content_type: 'product', value: {price}, currency: 'EUR'}});
  gtag('event', 'view_item', {{currency: 'EUR', value: {price}, items: [{{item_id: '{product['sku']}', item_name: '{product['name']}'}}]}});
  document.getElementById('pdp-add').addEventListener('click', function () {{
    fbq('track', 'AddToCart', {{content_ids: ['{product['sku']}'], value: {price}, currency: 'EUR'}}, {{eventID: 'atc-' + Date.now()}});
    ttq.track('AddToCart', {{content_id: '{product['sku']}', value: {price}, currency: 'EUR'}});
    window.uetq = window.uetq || [];
    window.uetq.push('event', 'add_to_cart', {{ecomm_prodid: '{product['sku']}', revenue_value: {price}, currency: 'EUR'}});
  }});
</script>""")
    if kind in ("category", "search", "home", "product"):
        title = "You may also like" if product else sentence(rng, 4)[:-1]
        body.append(f'<section class="grid"><h2>{title}</h2><ul class="product-grid">'
                    + "".join(_card(p, tracked_cards) for p in grid) + "</ul></section>")
        if not tracked_cards:
            body.append(_delegated_cart_script())
    if kind == "journal":
        body.append(f'<article class="post"><h1>{sentence(rng, 7)[:-1]}</h1>'
                    + "".join(f"<h2>{sentence(rng, 5)[:-1]}</h2><p>{paragraph(rng)}</p><p>{paragraph(rng)}</p>"
                              for _ in range(rng.randint(6, 12))) + "</article>")
        body.append(SCROLL_SCRIPT)
    if kind in ("cart", "checkout"):
        total = sum(p["price"] for p in grid)
        event = "begin_checkout" if kind == "checkout" else "view_cart"
        rows = "".join(f'<tr><td>{p["name"]}</td><td><input type="number" name="qty[{p["sku"]}]" value="1" min="0">'
                       f'</td><td>&euro;{p["price"]:.2f}</td></tr>' for p in grid)
        body.append(f"""<form id="{kind}-form" class="{kind}" action="/{kind}" method="post"><table>{rows}</table>
<label>Email <input type="email" name="email" required></label>
<button type="submit" class="btn btn-primary">Continue</button></form>
<script>
  gtag('event', '{event}', {{currency: 'EUR', value: {total:.2f}}});
  document.getElementById('{kind}-form').addEventListener('submit', function () {{
    fbq('track', 'InitiateCheckout', {{value: {total:.2f}, currency: 'EUR', num_items: {len(grid)}}});
    gtag('event', 'conversion', {{send_to: '{site.ads}/checkout', value: {total:.2f}, currency: 'EUR'}});
    pintrk('track', 'checkout', {{value: {total:.2f}, order_quantity: {len(grid)}, currency: 'EUR'}});
    snaptr('track', 'START_CHECKOUT', {{price: {total:.2f}, currency: 'EUR'}});
  }});
</script>""")
    body.append(_newsletter(site, rng))
    body.append("</main>")
    body.append(_footer(rng))
    body.append(_state(rng, site, grid[:12]))
    body.append('<script src="/assets/js/lib/runtime.js" defer></script>'
                '<script src="/assets/js/app/main.js" defer></script>')
    if "linkedin" in vendors:
        body.append(linkedin_body(site))
    if "bloomreach" in vendors:
        body.append(bloomreach_body(site, kind, f"\n    prod_id: '{product['sku']}'," if product else ""))
    if "pinterest" in vendors:
        body.append(pinterest_body(site))
    if "uet" in vendors:
        body.append(uet_body(site))
    if "snap" in vendors:
        body.append(snap_body(site))
    if "reddit" in vendors:
        body.append(reddit_body(site))
    if "klaviyo" in vendors:
        body.append(klaviyo_body(site))
    text = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n' + "\n".join(head) + "\n</head>\n<body data-page-type=\""
            + kind + '">\n' + "\n".join(b for b in body if b) + "\n</body>\n</html>\n")
    if kind == "home":
        return "pages/index.html", text
    if kind in ("cart", "checkout", "search"):
        return f"pages/{kind}-{index}.html", text
    if kind == "journal":
        return f"pages/journal/post-{index}.html", text
    return f"pages/{kind[0]}/{(product or grid[0])['slug']}-{index}.html", text


# --- templates ----------------------------------------------------------------------------

def template(site: Site, index: int) -> tuple[str, str]:
    """(relative path, source) of a Jinja, Liquid or PHP layout or partial."""
    rng = random.Random(f"{site.seed}:template:{index}")
    dialect = ("jinja", "liquid", "php")[index % 3]
    filler = "\n".join(f'<section class="t-{rng.choice(WORDS)}"><h2>{sentence(rng, 4)[:-1]}</h2>'
                       f'<p>{paragraph(rng)}</p></section>' for _ in range(rng.randint(8, 16)))
    css = f"<style>{_css(rng, rng.randint(80, 160))}</style>"
    sprite = _sprite(rng, rng.randint(20, 40))
    if dialect == "jinja":
        text = f"""{{#- Layout {index}: rendered by the Flask storefront. -#}}
<!DOCTYPE html>
<html lang="{{{{ shop.locale[:2] }}}}">
<head>
  <meta charset="utf-8">
  <title>{{% block title %}}{{{{ shop.name }}}}{{% endblock %}}</title>
  {css}
  {{% if settings.gtm_container_id %}}
  <script>(function(w,d,s,l,i){{w[l]=w[l]||[];w[l].push({{'gtm.start':
  new Date().getTime(),event:'gtm.js'}});var f=d.getElementsByTagName(s)[0],
  j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
  'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
  }})(window,document,'script','dataLayer','{{{{ settings.gtm_container_id }}}}');</script>
  {{% endif %}}
  {{% if settings.meta_enabled %}}
  <script>
  !function(f,b,e,v,n,t,s)
  {{if(f.fbq)return;n=f.fbq=function(){{n.callMethod?
  n.callMethod.apply(n,arguments):n.queue.push(arguments)}};
  if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;n.version='2.0';
  n.queue=[];t=b.createElement(e);t.async=!0;
  t.src=v;s=b.getElementsByTagName(e)[0];
  s.parentNode.insertBefore(t,s)}}(window, document,'script',
  'https://connect.facebook.net/en_US/fbevents.js');
  fbq('init', '{{{{ settings.meta_pixel_id }}}}');
  fbq('track', 'PageView');
  </script>
  {{% endif %}}
</head>
<body data-page-type="{{{{ page.template }}}}">
  {sprite}
  {{% include 'partials/header.html.j2' %}}
  {{% block content %}}
  {filler}
  {{% for product in products %}}
  <li class="product-card" data-sku="{{{{ product.sku }}}}">
    <a href="{{{{ url_for('product', slug=product.slug) }}}}">{{{{ product.name }}}}</a>
    <button type="button" class="btn add-to-cart" onclick="gtag('event', 'add_to_cart', {{items: [{{item_id: '{{{{ product.sku }}}}'}}]}})">Add</button>
  </li>
  {{% endfor %}}
  {{% endblock %}}
  {{% if page.template == 'product' %}}
  <script>
    fbq('track', 'ViewContent', {{content_ids: ['{{{{ product.sku }}}}'], content_type: 'product', value: {{{{ product.price }}}}, currency: '{{{{ shop.currency }}}}'}});
    ttq.track('ViewContent', {{content_id: '{{{{ product.sku }}}}'}});
  </script>
  {{% endif %}}
  <script async src="https://www.googletagmanager.com/gtag/js?id={{{{ settings.ga4_measurement_id }}}}"></script>
  <script>
    window.dataLayer = window.dataLayer || [];
    function gtag(){{dataLayer.push(arguments);}}
    gtag('js', new Date());
    gtag('config', '{{{{ settings.ga4_measurement_id }}}}');
  </script>
</body>
</html>
"""
        return f"templates/jinja/layout-{index}.html.j2", text
    if dialect == "liquid":
        text = f"""{{% comment %}} Theme layout {index} (Shopify). {{% endcomment %}}
<!doctype html>
<html lang="{{{{ request.locale.iso_code }}}}">
<head>
  <title>{{{{ page_title }}}}{{% if current_page != 1 %}} &ndash; Page {{{{ current_page }}}}{{% endif %}}</title>
  {css}
  {{{{ content_for_header }}}}
  {{% if settings.tiktok_pixel_id != blank %}}
  <script>
  !function (w, d, t) {{
    w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify"],ttq.setAndDefer=function(t,e){{t[e]=function(){{t.push([e].concat(Array.prototype.slice.call(arguments,0)))}}}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.load=function(e,n){{var r="https://analytics.tiktok.com/i18n/pixel/events.js";n=document.createElement("script");n.async=!0,n.src=r+"?sdkid="+e+"&lib="+t;e=document.getElementsByTagName("script")[0];e.parentNode.insertBefore(n,e)}};
    ttq.load('{{{{ settings.tiktok_pixel_id }}}}');
    ttq.page();
  }}(window, document, 'ttq');
  </script>
  {{% endif %}}
</head>
<body class="template-{{{{ template.name }}}}">
  {sprite}
  {{% section 'header' %}}
  {filler}
  {{% for product in collection.products %}}
    {{% render 'product-card', product: product %}}
  {{% endfor %}}
  <script>
    document.addEventListener('submit', function (event) {{
      if (event.target.matches('form[action="/cart/add"]')) {{
        ttq.track('AddToCart', {{content_id: '{{{{ product.selected_or_first_available_variant.sku }}}}', currency: '{{{{ cart.currency.iso_code }}}}'}});
        pintrk('track', 'addtocart', {{value: {{{{ product.price | divided_by: 100.0 }}}}, currency: '{{{{ cart.currency.iso_code }}}}'}});
      }}
    }});
  </script>
  {{% section 'footer' %}}
</body>
</html>
"""
        return f"templates/liquid/theme-{index}.liquid", text
    text = f"""<?php
/**
 * Footer {index} of the WordPress journal theme: prints the ad tags set in the Customizer.
 */
$pixel_id   = get_theme_mod( 'fernhill_pinterest_tag_id' );
$uet_id     = get_theme_mod( 'fernhill_uet_id', '{site.uet}' );
?>
{css}
{sprite}
{filler}
<?php foreach ( $posts as $post ) : ?>
  <article class="post"><h2><?php echo esc_html( $post->post_title ); ?></h2></article>
<?php endforeach; ?>
<?php if ( $pixel_id ) : ?>
<script>
!function(e){{if(!window.pintrk){{window.pintrk=function(){{window.pintrk.queue.push(Array.prototype.slice.call(arguments))}};var n=window.pintrk;n.queue=[],n.version="3.0";var t=document.createElement("script");t.async=!0,t.src=e;var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r)}}}}("https://s.pinimg.com/ct/core.js");
pintrk('load', '<?= $pixel_id ?>');
pintrk('page');
</script>
<?php endif; ?>
<script>(function(w,d,t,r,u){{var f,n,i;w[u]=w[u]||[],f=function(){{var o={{ti:"<?php echo esc_js( $uet_id ); ?>"}};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")}},n=d.createElement(t),n.src=r,n.async=1,n.onload=n.onreadystatechange=function(){{var s=this.readyState;s&&s!=="loaded"&&s!=="complete"||(f(),n.onload=n.onreadystatechange=null)}},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)}})(window,document,"script","//bat.bing.com/bat.js","uetq");</script>
<script>
  document.querySelectorAll('.post a.share').forEach(function (link) {{
    link.addEventListener('click', function () {{ window.uetq.push('event', 'share', {{event_label: link.href}}); }});
  }});
</script>
<?php wp_footer(); ?>
</body>
</html>
"""
    return f"templates/php/footer-{index}.php", text


def app_module(site: Site, index: int) -> tuple[str, str]:
    """(relative path, source) of one of the site's own modules that fire events."""
    rng = random.Random(f"{site.seed}:module:{index}")
    helpers = "\n\n".join(f"""export function {rng.choice(WORDS)}{i}(items, options = {{}}) {{
  const limit = options.limit ?? {rng.randint(4, 40)};
  return items.filter((item) => item.stock > 0).slice(0, limit).map((item) => ({{ ...item, label: `${{item.name}} (${{item.sku}})` }}));
}}""" for i in range(rng.randint(10, 24)))
    return f"assets/js/app/module-{index}.js", f"""// Storefront module {index}: {sentence(rng, 6)}
import {{ onReady }} from './dom.js';

{helpers}

onReady(() => {{
  document.querySelectorAll('[data-quick-view]').forEach((button) => {{
    button.addEventListener('click', () => {{
      const sku = button.dataset.sku;
      window.gtag('event', 'select_item', {{ item_list_id: '{rng.choice(CATEGORIES)}', items: [{{ item_id: sku }}] }});
      window.fbq('trackCustom', 'QuickView', {{ content_ids: [sku] }});
    }});
  }});
  const search = document.querySelector('form[role=search]');
  search?.addEventListener('submit', () => {{
    const term = search.querySelector('input[name=q]').value;
    window.gtag('event', 'search', {{ search_term: term }});
    window.ttq.track('Search', {{ query: term }});
    window.pintrk('track', 'search', {{ search_query: term }});
  }});
}});
"""


# --- library bundles: realistic minified JavaScript with no pixel -------------------------

_IDENT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$"
_IDENT_REST = _IDENT + "0123456789"
# Short names a minifier could produce that are also vendor globals called with a string.
_RESERVED = {"do", "if", "in", "for", "let", "new", "try", "var", "case", "else", "enum", "eval", "null", "this",
             "true", "void", "with", "break", "catch", "class", "const", "false", "super", "throw", "while", "yield",
             "delete", "export", "import", "public", "return", "static", "switch", "typeof", "default", "extends",
             "finally", "package", "private", "continue", "debugger", "function", "arguments", "interface",
             "protected", "implements", "instanceof", "await", "async", "of", "ga", "hj", "qp", "ym", "rdt", "twq"}
REGEXES = [r"/^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$/i", r"/\s+/g", r"/^\s+|\s+$/g", r"/[&<>\"']/g",
           r"/^(?:[a-z+]+:)?\/\//i", r"/\{\{\s*([\w.]+)\s*\}\}/g", r"/^#?([a-f\d]{2})([a-f\d]{2})([a-f\d]{2})$/i",
           r"/(\d)(?=(\d{3})+(?!\d))/g", r"/^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i", r"/[\u0300-\u036f]/g",
           r"/^data-(.+)$/", r"/([A-Z])/g", r"/-([a-z])/g", r"/^(\d{4})-(\d{2})-(\d{2})T/", r"/\r\n?|\n/g"]
MESSAGES = ["Invalid argument", "Expected a function", "Cannot read property of undefined",
            "Maximum call stack exceeded", "Unexpected token", "Request failed with status code ", "Network Error",
            "timeout of %d ms exceeded", "Invalid hook call", "Objects are not valid as a child",
            "Cannot convert undefined or null to object"]
# Library vocabulary that says "track" or "analytics" without being a pixel.
LOOKALIKES = ["trackBy", "audioTracks", "trackingNumber", "trackPointer", "analyticsConsent", "webAnalyticsOptOut",
              "trackEvent", "scrollTrack", "analytics", "track", "tracking", "trackIndex", "textTrack"]
# A URL cleaner as many shops ship it: the click-id names are pre-filter signatures.
CLICK_ID_CLEANER = ('var Zq=["utm_source","utm_medium","utm_campaign","utm_term","utm_content","gclid","fbclid","msclkid",'
                    '"ttclid","twclid"];function Zr(e){try{var t=new URL(e,location.href);return Zq.forEach(function(n){'
                    't.searchParams.delete(n)}),t.toString()}catch(n){return e}};')


class Minified:
    """Statements in the shape a minifier leaves them: short names, no spaces. Declarations
    are `var` and functions, which may repeat a name in one scope (random names do)."""

    def __init__(self, rng: random.Random, lookalikes: bool):
        self.rng = rng
        self.words = WORDS + (LOOKALIKES * 3 if lookalikes else [])

    def name(self) -> str:
        rng = self.rng
        while True:
            n = rng.choice(_IDENT) + "".join(rng.choice(_IDENT_REST) for _ in range(rng.choice((0, 1, 1, 2, 2, 3))))
            if n not in _RESERVED:
                return n

    def names(self, count: int) -> list[str]:
        """Distinct names: strict mode rejects a parameter list that repeats one."""
        chosen: list[str] = []
        while len(chosen) < count:
            n = self.name()
            if n.lower() not in (c.lower() for c in chosen):
                chosen.append(n)
        return chosen

    def key(self) -> str:
        return self.rng.choice(self.words) + self.rng.choice(("", "Id", "Map", "List", "State", "Key"))

    def string(self) -> str:
        return json.dumps(" ".join(self.rng.choice(self.words) for _ in range(self.rng.randint(1, 5))))

    def literal(self) -> str:
        r = self.rng.random()
        if r < .35:
            return str(self.rng.randint(0, 9999))
        if r < .7:
            return self.string()
        if r < .8:
            return self.rng.choice(("!0", "!1", "null", "void 0"))
        if r < .9:
            return "[" + ",".join(str(self.rng.randint(0, 255)) for _ in range(self.rng.randint(2, 12))) + "]"
        return self.rng.choice(REGEXES)

    def obj(self, depth: int = 0) -> str:
        parts = []
        for _ in range(self.rng.randint(2, 7)):
            value = self.obj(depth + 1) if depth < 2 and self.rng.random() < .15 else self.literal()
            parts.append(f"{self.key()}:{value}")
        return "{" + ",".join(parts) + "}"

    def statement(self) -> str:
        rng = self.rng
        a, b, c, d, f = self.names(5)
        k, m = self.key(), self.key()
        choice = rng.randrange(14)
        if choice == 0:
            return f"function {f}({a},{b}){{if(!{a})return null;var {c}={a}.length,{d}=0;for(;{d}<{c};{d}++)if({b}({a}[{d}],{d}))return {a}[{d}];return null}}"
        if choice == 1:
            return f"var {a}={self.obj()};"
        if choice == 2:
            return f"{a}.prototype.{k}=function({b}){{return this._{m}.indexOf({b})>-1?this:(this._{m}.push({b}),this)}};"
        if choice == 3:
            return f"var {a}={rng.choice(REGEXES)},{b}=function({c}){{return {a}.test(String({c}))}};"
        if choice == 4:
            return (f"var {f.capitalize()}=class extends {a.capitalize()}{{constructor({b}){{super({b}),this.{k}={b}||{{}},this.{m}=new Map}}"
                    f"get {m}(){{return this.{k}.{m}}}static create({c}){{return new this({c})}}}};")
        if choice == 5:
            return f"var {a}=({b},{c}={rng.randint(1, 99)})=>{b}.map(({d},{f})=>({d}+{f})*{c}).filter(Boolean);"
        if choice == 6:
            return f"var {a}={b}=>`<div class=\"{k}\" data-{rng.choice(WORDS)}=\"${{{b}.{m}}}\">${{{b}.{k}||\"\"}}</div>`;"
        if choice == 7:
            cases = "".join(f"case{self.string()}:return {rng.randint(0, 99)};" for _ in range(rng.randint(2, 6)))
            return f"function {f}({a}){{switch({a}.type){{{cases}default:return-1}}}}"
        if choice == 8:
            return (f"async function {f}({a}){{try{{const {b}=await fetch({a},{{method:\"GET\",headers:{{Accept:\"application/json\"}}}});"
                    f"if(!{b}.ok)throw new Error({json.dumps(rng.choice(MESSAGES))}+{b}.status);return await {b}.json()}}"
                    f"catch({c}){{return console.warn({c}),null}}}}")
        if choice == 9:
            return f"var {a}=[" + ",".join(self.string() for _ in range(rng.randint(4, 16))) + "];"
        if choice == 10:
            return f"function {f}({a}){{if(typeof {a}!==\"function\")throw new TypeError({json.dumps(rng.choice(MESSAGES))});return {a}}}"
        if choice == 11:
            return f"{a}.{k}=function({b},{c}){{var {d}=this;return {b}=+{b}||0,{c}=null==={c}?{d}.{m}:{c},{d}.emit({json.dumps(k)},{b},{c}),{d}}};"
        if choice == 12:
            return f"for(var {a}=0,{b}=Object.keys({c});{a}<{b}.length;{a}++){d}[{b}[{a}]]={c}[{b}[{a}]]&&{c}[{b}[{a}]].{k};"
        return f"!function({a},{b}){{\"object\"==typeof exports&&\"undefined\"!=typeof module?{b}(exports):\"function\"==typeof define&&define.amd?define([\"exports\"],{b}):{b}(({a}=\"undefined\"!=typeof globalThis?globalThis:{a}||self).{k}={{}})}}(this,function({c}){{\"use strict\";{c}.{m}={self.literal()}}});"


def bundle(site: Site, index: int, size: int, lookalikes: bool, click_ids: bool,
           has_signature: Callable[[str], bool]) -> tuple[str, str]:
    """(relative path, source) of a minified library bundle of about `size` bytes: webpack
    modules of minified statements, none holding a catalog signature (unless click_ids)."""
    rng = random.Random(f"{site.seed}:bundle:{index}")
    gen = Minified(rng, lookalikes)
    name = rng.choice(["vendors", "framework", "ui-kit", "charts", "editor", "maps", "i18n", "polyfills", "carousel",
                       "forms", "media", "search-ui", "state", "router", "icons"])
    version = f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
    out = [f"/*! {name} v{version} | (c) {name} contributors | MIT License */\n"
           f'(self.webpackChunkshop=self.webpackChunkshop||[]).push([[{index}],{{']
    length = len(out[0])
    module = 0
    while length < size:
        body = "".join(gen.statement() for _ in range(rng.randint(20, 60)))
        # Re-draw the rare module whose random names spell a signature (a pixel-free bundle must stay so).
        if has_signature(body):
            continue
        chunk = f"{module + 1000 * index}:function(e,t,n){{\"use strict\";{body}}},"
        out.append(chunk)
        length += len(chunk)
        module += 1
        if click_ids and module == 40:
            out.append(f"{module + 1000 * index}:function(e,t,n){{{CLICK_ID_CLEANER}t.clean=Zr}},")
    out.append("}]);\n")
    return f"assets/js/lib/{name}-{index}.{rng.randrange(16**8):08x}.min.js", "".join(out)


def generate(out: Path, pages: int = 400, bundles: int = 20, scale: float = 1.0, seed: int = 7) -> dict:
    """Write the site under out; returns counts and bytes per kind."""
    site = Site(seed)
    has_signature = default_catalog().has_signature
    n_pages, n_bundles = max(1, round(pages * scale)), max(0, round(bundles * scale))
    n_templates, n_modules = max(1, round(pages * scale / 10)), max(1, round(pages * scale / 20))
    totals: dict[str, list[int]] = {}

    def write(kind: str, rel: str, text: str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        count = totals.setdefault(kind, [0, 0])
        count[0] += 1
        count[1] += len(data)

    for i in range(n_pages):
        write("pages", *page(site, i))
    for i in range(n_templates):
        write("templates", *template(site, i))
    for i in range(n_modules):
        write("app modules", *app_module(site, i))
    for i in range(n_bundles):
        size = random.Random(f"{seed}:bundle-size:{i}").randint(1_500_000, 2_500_000)
        write("bundles", *bundle(site, i, size, lookalikes=i % 6 == 1, click_ids=i % 20 == 7,
                                    has_signature=has_signature))
    return {kind: {"files": files, "bytes": size} for kind, (files, size) in totals.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="directory to write the site into (created)")
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--bundles", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every file count (default 1)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        parser.error(f"{out} is not empty")
    counts = generate(out, args.pages, args.bundles, args.scale, args.seed)
    total = sum(c["bytes"] for c in counts.values())
    for kind, c in counts.items():
        print(f"{kind:>12}: {c['files']:>5} files {c['bytes'] / 2**20:>7.1f} MB")
    print(f"{'total':>12}: {sum(c['files'] for c in counts.values()):>5} files {total / 2**20:>7.1f} MB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
