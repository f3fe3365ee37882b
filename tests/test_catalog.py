"""The vendor catalog: every file loads, and its patterns recognise real URLs, snippets and cookies."""
from __future__ import annotations

import pickle
import re
import shutil
from pathlib import Path

import pytest

from scanner.catalog import VENDOR_DIR, Catalog, CatalogError, default_catalog, load_catalog
from scanner.catalog.match import match_beacon, match_loader, match_url

REQUIRED_IDS = {
    "meta", "ga4", "universal_analytics", "gtm", "google_ads", "tiktok", "linkedin", "pinterest",
    "snap", "x", "reddit", "microsoft_uet", "bloomreach_discovery", "bloomreach_engagement",
    "segment", "matomo", "klaviyo", "amplitude", "mixpanel", "heap", "hotjar", "clarity",
    "plausible", "taboola", "outbrain", "criteo", "yandex_metrika", "quora",
}

# Vendors of the identity-cookie table in shared/vendors.md, with the cookies named there.
IDENTITY_COOKIES = {
    "meta": ["_fbp", "_fbc"],
    "ga4": ["_ga", "_ga_ABC123XYZ9"],
    "google_ads": ["_gcl_aw"],
    "tiktok": ["_ttp"],
    "linkedin": ["li_fat_id"],
    "pinterest": ["_epik"],
    "snap": ["_scid"],
    "x": ["_twclid"],
    "reddit": ["_rdt_uuid"],
    "microsoft_uet": ["_uetsid", "_uetvid", "_uetmsclkid"],
    "bloomreach_discovery": ["_br_uid_2"],
    "bloomreach_engagement": ["__exponea_etc__"],
    "segment": ["ajs_anonymous_id", "ajs_user_id"],
    "matomo": ["_pk_id.1.1fff"],
    "klaviyo": ["__kla_id"],
    "amplitude": ["AMP_0123456789"],
    "mixpanel": ["mp_0123456789abcdef0123456789abcdef_mixpanel"],
    "heap": ["_hp2_id.1234567890"],
}

# Values for the <placeholders> in documented cookie names.
PLACEHOLDERS = {
    "STREAM": "ABC123XYZ9",
    "site": "1234567",
    "hash": "1fff",
    "token": "0f8fad5b-d9cb-469f-a165-70867728950e",
    "key10": "0123456789",
    "key6": "0a1b2c",
    "appid": "1234567890",
}

SEGMENT_KEY = "AbCdEf0123456789XyZabcdef0123456"
AMPLITUDE_KEY = "0123456789abcdef0123456789abcdef"
OUTBRAIN_ID = "00a1b2c3d4e5f60718293a4b5c6d7e8f9a"
QUORA_ID = "0123456789abcdef0123456789abcdef"

# (url, script attributes, expected (vendor, account) or None)
LOADERS = [
    ("https://connect.facebook.net/en_US/fbevents.js", None, ("meta", None)),
    ("https://www.googletagmanager.com/gtag/js?id=G-ABC123XYZ9", None, ("ga4", "G-ABC123XYZ9")),
    ("https://www.googletagmanager.com/gtag/js", None, ("ga4", None)),
    ("https://www.googletagmanager.com/gtag/js?id=AW-123456789", None, ("google_ads", "AW-123456789")),
    ("https://www.googletagmanager.com/gtag/js?id=UA-12345-1", None, ("universal_analytics", "UA-12345-1")),
    ("https://www.google-analytics.com/analytics.js", None, ("universal_analytics", None)),
    ("https://ssl.google-analytics.com/ga.js", None, ("universal_analytics", None)),
    ("https://www.googletagmanager.com/gtm.js?id=GTM-ABC123", None, ("gtm", "GTM-ABC123")),
    ("https://www.googleadservices.com/pagead/conversion.js", None, ("google_ads", None)),
    ("https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=C4ABCDEFGH1234567890&lib=ttq", None,
     ("tiktok", "C4ABCDEFGH1234567890")),
    ("https://snap.licdn.com/li.lms-analytics/insight.min.js", None, ("linkedin", None)),
    ("https://s.pinimg.com/ct/core.js", None, ("pinterest", None)),
    ("https://sc-static.net/scevent.min.js", None, ("snap", None)),
    ("https://static.ads-twitter.com/uwt.js", None, ("x", None)),
    ("https://www.redditstatic.com/ads/pixel.js", None, ("reddit", None)),
    ("https://alb.reddit.com/snoo.js", None, ("reddit", None)),
    ("//bat.bing.com/bat.js", None, ("microsoft_uet", None)),
    ("https://cdn.brcdn.com/v1/br-trk-6222.js", None, ("bloomreach_discovery", "6222")),
    ("//cdns.brsrvr.com/v1/br-trk-5117.js", None, ("bloomreach_discovery", "5117")),
    ("https://api.exponea.com/js/exponea.min.js", None, ("bloomreach_engagement", None)),
    ("https://api.exponea.com", None, ("bloomreach_engagement", None)),
    (f"https://cdn.segment.com/analytics.js/v1/{SEGMENT_KEY}/analytics.min.js", None, ("segment", SEGMENT_KEY)),
    ("https://matomo.example.com/matomo.js", None, ("matomo", None)),
    ("//stats.example.org/piwik.js", None, ("matomo", None)),
    ("https://static.klaviyo.com/onsite/js/klaviyo.js?company_id=AbC123", None, ("klaviyo", "AbC123")),
    ("https://static.klaviyo.com/onsite/js/AbC123/klaviyo.js?company_id=AbC123", None, ("klaviyo", "AbC123")),
    ("https://cdn.amplitude.com/libs/analytics-browser-2.11.1-min.js.gz", None, ("amplitude", None)),
    ("https://cdn.amplitude.com/libs/amplitude-8.21.9-min.gz.js", None, ("amplitude", None)),
    (f"https://cdn.amplitude.com/script/{AMPLITUDE_KEY}.js", None, ("amplitude", AMPLITUDE_KEY)),
    ("https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js", None, ("mixpanel", None)),
    ("https://cdn.heapanalytics.com/js/heap-1234567890.js", None, ("heap", "1234567890")),
    ("https://cdn.us.heap-api.com/config/1234567890/heap_config.js", None, ("heap", "1234567890")),
    ("https://static.hotjar.com/c/hotjar-3456789.js?sv=6", None, ("hotjar", "3456789")),
    ("https://www.clarity.ms/tag/abcd1234ef", None, ("clarity", "abcd1234ef")),
    ("https://plausible.io/js/script.js", {"data-domain": "example.com"}, ("plausible", "example.com")),
    ("https://plausible.io/js/script.outbound-links.tagged-events.js", {"data-domain": "example.com"},
     ("plausible", "example.com")),
    ("//cdn.taboola.com/libtrc/unip/1234567/tfa.js", None, ("taboola", "1234567")),
    ("https://amplify.outbrain.com/cp/obtp.js", None, ("outbrain", None)),
    ("//dynamic.criteo.com/js/ld/ld.js?a=12345", None, ("criteo", "12345")),
    ("https://static.criteo.net/js/ld/ld.js", None, ("criteo", None)),
    ("https://mc.yandex.ru/metrika/tag.js", None, ("yandex_metrika", None)),
    ("https://mc.yandex.ru/metrika/tag.js?id=12345678", None, ("yandex_metrika", "12345678")),
    ("https://a.quora.com/qevents.js", None, ("quora", None)),
    # Not pixels of ours.
    ("https://www.googletagmanager.com/gtag/js?id=DC-1234567", None, None),
    ("https://www.clarity.ms/tag/uet/187000000", None, None),
    ("https://cdn.jsdelivr.net/npm/react@18/umd/react.production.min.js", None, None),
    ("https://example.com/static/js/analytics-helpers.js", None, None),
]

# (url, body params, expected (vendor, account, event), expected params subset)
BEACONS = [
    ("https://www.facebook.com/tr?id=123456789012345&ev=PageView&noscript=1", (),
     ("meta", "123456789012345", "PageView"), ()),
    ("https://region1.google-analytics.com/g/collect?v=2&tid=G-ABC123XYZ9&cid=1.2&en=purchase&ep.coupon=SPRING",
     (), ("ga4", "G-ABC123XYZ9", "purchase"), (("coupon", "SPRING"),)),
    ("https://www.google-analytics.com/collect?v=1&t=event&tid=UA-12345-1&cid=1.2&ec=video&ea=play", (),
     ("universal_analytics", "UA-12345-1", "play"), (("ec", "video"),)),
    ("https://www.google-analytics.com/collect?v=1&t=pageview&tid=UA-12345-1&cid=1.2", (),
     ("universal_analytics", "UA-12345-1", "pageview"), ()),
    ("https://www.googletagmanager.com/ns.html?id=GTM-ABC123", (), ("gtm", "GTM-ABC123", None), ()),
    ("https://www.googleadservices.com/pagead/conversion/123456789/?label=AbC-D_efG&guid=ON&script=0", (),
     ("google_ads", "123456789", "conversion"), (("label", "AbC-D_efG"),)),
    ("https://analytics.tiktok.com/api/v2/pixel", (("event", "Pageview"),), ("tiktok", None, "Pageview"), ()),
    ("https://px.ads.linkedin.com/collect/?pid=1234567&fmt=gif", (), ("linkedin", "1234567", None), ()),
    ("https://px.ads.linkedin.com/collect/?pid=1234567&conversionId=987654&fmt=gif", (),
     ("linkedin", "1234567", "987654"), ()),
    ("https://ct.pinterest.com/v3/?event=checkout&tid=2612345678901&ed[value]=10&noscript=1", (),
     ("pinterest", "2612345678901", "checkout"), (("value", "10"),)),
    ("https://tr.snapchat.com/p", (), ("snap", None, None), ()),
    ("https://analytics.twitter.com/i/adsct?txn_id=o1a2b&p_id=Twitter&tw_sale_amount=0", (),
     ("x", "o1a2b", None), ()),
    ("https://t.co/i/adsct?txn_id=o1a2b&p_id=Twitter", (), ("x", "o1a2b", None), ()),
    ("https://alb.reddit.com/rp.gif?ts=1700000000000&id=t2_abc123&event=PageVisit", (),
     ("reddit", "t2_abc123", "PageVisit"), ()),
    ("https://bat.bing.com/action/0?ti=12345678&Ver=2", (), ("microsoft_uet", "12345678", "pageLoad"), ()),
    ("https://bat.bing.com/action/0?ti=12345678&Ver=2&evt=custom&ea=add_to_cart&ev=10", (),
     ("microsoft_uet", "12345678", "add_to_cart"), (("ev", "10"),)),
    ("https://p.brsrvr.com/pix.gif?acct_id=6222&cookie2=uid%3D1234567890123%3Av%3D15.0%3Ats%3D1700000000000"
     "%3Ahc%3D3&type=event&group=cart&etype=click-add&ptype=product", (),
     ("bloomreach_discovery", "6222", "event"), (("group", "cart"), ("etype", "click-add"))),
    ("https://p-eu.brsrvr.com/pix.gif?acct_id=6222&type=pageview&ptype=homepage", (),
     ("bloomreach_discovery", "6222", "pageview"), (("ptype", "homepage"),)),
    ("https://api.exponea.com/bulk", (), ("bloomreach_engagement", None, None), ()),
    ("https://api.segment.io/v1/t", (), ("segment", None, None), ()),
    ("https://matomo.example.com/matomo.php?idsite=3&rec=1&e_c=Video&e_a=Play", (),
     ("matomo", "3", "Play"), (("e_c", "Video"),)),
    ("https://stats.example.org/piwik.php?idsite=1&rec=1", (), ("matomo", "1", "trackPageView"), ()),
    ("https://a.klaviyo.com/client/events/?company_id=AbC123", (), ("klaviyo", "AbC123", None), ()),
    ("https://api2.amplitude.com/2/httpapi", (), ("amplitude", None, None), ()),
    ("https://api-js.mixpanel.com/track/?verbose=1&ip=1", (), ("mixpanel", None, None), ()),
    ("https://heapanalytics.com/h?a=1234567890&u=1&v=2", (), ("heap", "1234567890", None), ()),
    ("https://in.hotjar.com/api/v2/client/sites/3456789/visit-data?sv=7", (), ("hotjar", "3456789", None), ()),
    ("https://k.clarity.ms/collect", (), ("clarity", None, None), ()),
    ("https://plausible.io/api/event", (("n", "Signup"), ("d", "example.com")),
     ("plausible", "example.com", "Signup"), ()),
    ("https://trc.taboola.com/1234567/log/3/unip?en=page_view", (), ("taboola", "1234567", "page_view"), ()),
    (f"https://tr.outbrain.com/unifiedPixel?marketerId={OUTBRAIN_ID}&obApiVersion=1.1&name=PAGE_VIEW", (),
     ("outbrain", OUTBRAIN_ID, "PAGE_VIEW"), ()),
    ("https://sslwidget.criteo.com/event?a=12345&v=5.23.0&p0=e%3Dvh", (), ("criteo", "12345", None), ()),
    ("https://mc.yandex.ru/watch/12345678", (), ("yandex_metrika", "12345678", None), ()),
    (f"https://q.quora.com/_/ad/{QUORA_ID}/pixel?tag=ViewContent&noscript=1", (),
     ("quora", QUORA_ID, "ViewContent"), ()),
]

NOSCRIPT_BEACONS = [
    "https://www.facebook.com/tr?id=123456789012345&ev=PageView&noscript=1",
    "https://www.googletagmanager.com/ns.html?id=GTM-ABC123",
    "https://px.ads.linkedin.com/collect/?pid=1234567&fmt=gif",
    "https://ct.pinterest.com/v3/?event=init&tid=2612345678901&noscript=1",
    "https://bat.bing.com/action/0?ti=12345678&Ver=2",
    "https://matomo.example.com/matomo.php?idsite=3&rec=1",
    "https://trc.taboola.com/1234567/log/3/unip?en=page_view",
    "https://mc.yandex.ru/watch/12345678",
]

# Each vendor's official snippet (as its docs give it, ids replaced) and the account in it.
SNIPPETS = {
    "meta": ("""!function(f,b,e,v,n,t,s){if(f.fbq)return;n=f.fbq=function(){n.callMethod?
n.callMethod.apply(n,arguments):n.queue.push(arguments)};if(!f._fbq)f._fbq=n;n.push=n;n.loaded=!0;
n.version='2.0';n.queue=[];t=b.createElement(e);t.async=!0;t.src=v;s=b.getElementsByTagName(e)[0];
s.parentNode.insertBefore(t,s)}(window, document,'script','https://connect.facebook.net/en_US/fbevents.js');
fbq('init', '123456789012345');
fbq('track', 'PageView');""", "123456789012345"),
    "ga4": ("""<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123XYZ9"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'G-ABC123XYZ9');
</script>""", "G-ABC123XYZ9"),
    "universal_analytics": ("""(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;i[r]=i[r]||function(){
(i[r].q=i[r].q||[]).push(arguments)},i[r].l=1*new Date();a=s.createElement(o),
m=s.getElementsByTagName(o)[0];a.async=1;a.src=g;m.parentNode.insertBefore(a,m)
})(window,document,'script','https://www.google-analytics.com/analytics.js','ga');
ga('create', 'UA-12345-1', 'auto');
ga('send', 'pageview');""", "UA-12345-1"),
    "gtm": ("""(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'https://www.googletagmanager.com/gtm.js?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-ABC123');""", "GTM-ABC123"),
    "google_ads": ("""<script async src="https://www.googletagmanager.com/gtag/js?id=AW-123456789"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){dataLayer.push(arguments);}
  gtag('js', new Date());
  gtag('config', 'AW-123456789');
</script>""", "AW-123456789"),
    "tiktok": ("""!function (w, d, t) {
  w.TiktokAnalyticsObject=t;var ttq=w[t]=w[t]||[];ttq.methods=["page","track","identify","instances","debug","on","off","once","ready","alias","group","enableCookie","disableCookie"],ttq.setAndDefer=function(t,e){t[e]=function(){t.push([e].concat(Array.prototype.slice.call(arguments,0)))}};for(var i=0;i<ttq.methods.length;i++)ttq.setAndDefer(ttq,ttq.methods[i]);ttq.instance=function(t){for(var e=ttq._i[t]||[],n=0;n<ttq.methods.length;n++)ttq.setAndDefer(e,ttq.methods[n]);return e},ttq.load=function(e,n){var i="https://analytics.tiktok.com/i18n/pixel/events.js";ttq._i=ttq._i||{},ttq._i[e]=[],ttq._i[e]._u=i,ttq._t=ttq._t||{},ttq._t[e]=+new Date,ttq._o=ttq._o||{},ttq._o[e]=n||{};var o=document.createElement("script");o.type="text/javascript",o.async=!0,o.src=i+"?sdkid="+e+"&lib="+t;var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(o,a)};
  ttq.load('C4ABCDEFGH1234567890');
  ttq.page();
}(window, document, 'ttq');""", "C4ABCDEFGH1234567890"),
    "linkedin": ("""_linkedin_partner_id = "1234567";
window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];
window._linkedin_data_partner_ids.push(_linkedin_partner_id);
(function(l) {
if (!l){window.lintrk = function(a,b){window.lintrk.q.push([a,b])};
window.lintrk.q=[]}
var s = document.getElementsByTagName("script")[0];
var b = document.createElement("script");
b.type = "text/javascript";b.async = true;
b.src = "https://snap.licdn.com/li.lms-analytics/insight.min.js";
s.parentNode.insertBefore(b, s);})(window.lintrk);""", "1234567"),
    "pinterest": ("""!function(e){if(!window.pintrk){window.pintrk = function () {
window.pintrk.queue.push(Array.prototype.slice.call(arguments))};var
  n=window.pintrk;n.queue=[],n.version="3.0";var
  t=document.createElement("script");t.async=!0,t.src=e;var
  r=document.getElementsByTagName("script")[0];
  r.parentNode.insertBefore(t,r)}}("https://s.pinimg.com/ct/core.js");
pintrk('load', '2612345678901', {em: '<user_email_address>'});
pintrk('page');""", "2612345678901"),
    "snap": ("""(function(e,t,n){if(e.snaptr)return;var a=e.snaptr=function()
{a.handleRequest?a.handleRequest.apply(a,arguments):a.queue.push(arguments)};
a.queue=[];var s='script';r=t.createElement(s);r.async=!0;
r.src=n;var u=t.getElementsByTagName(s)[0];
u.parentNode.insertBefore(r,u);})(window,document,
'https://sc-static.net/scevent.min.js');
snaptr('init', '0f8fad5b-d9cb-469f-a165-70867728950e', {
'user_email': '__INSERT_USER_EMAIL__'
});
snaptr('track', 'PAGE_VIEW');""", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    "x": ("""!function(e,t,n,s,u,a){e.twq||(s=e.twq=function(){s.exe?s.exe.apply(s,arguments):s.queue.push(arguments);
},s.version='1.1',s.queue=[],u=t.createElement(n),u.async=!0,u.src='https://static.ads-twitter.com/uwt.js',
a=t.getElementsByTagName(n)[0],a.parentNode.insertBefore(u,a))}(window,document,'script');
twq('config','o1a2b');""", "o1a2b"),
    "reddit": ("""!function(w,d){if(!w.rdt){var p=w.rdt=function(){p.sendEvent?p.sendEvent.apply(p,arguments):p.callQueue.push(arguments)};p.callQueue=[];var t=d.createElement("script");t.src="https://www.redditstatic.com/ads/pixel.js",t.async=!0;var s=d.getElementsByTagName("script")[0];s.parentNode.insertBefore(t,s)}}(window,document);rdt('init','a2_abc123def456', {"optOut":false,"useDecimalCurrencyValues":true});rdt('track', 'PageVisit');""",
               "a2_abc123def456"),
    "microsoft_uet": ("""(function(w,d,t,r,u){var f,n,i;w[u]=w[u]||[],f=function(){var o={ti:"12345678", enableAutoSpaTracking: true};o.q=w[u],w[u]=new UET(o),w[u].push("pageLoad")},n=d.createElement(t),n.src=r,n.async=1,n.onload=n.onreadystatechange=function(){var s=this.readyState;s&&s!=="loaded"&&s!=="complete"||(f(),n.onload=n.onreadystatechange=null)},i=d.getElementsByTagName(t)[0],i.parentNode.insertBefore(n,i)})(window,document,"script","//bat.bing.com/bat.js","uetq");""",
                      "12345678"),
    "bloomreach_discovery": ("""var br_data = br_data || {};
br_data.acct_id = "6222";
br_data.ptype = "homepage";
br_data.type = "pageview";
br_data.domain_key = "example";
(function() {
  var brtrk = document.createElement('script');
  brtrk.type = 'text/javascript';
  brtrk.async = true;
  brtrk.src = '//cdn.brcdn.com/v1/br-trk-6222.js';
  var s = document.getElementsByTagName('script')[0];
  s.parentNode.insertBefore(brtrk, s);
})();""", "6222"),
    "bloomreach_engagement": ("""!function(e,n,t,i,r,o){function s(e){if("number"!=typeof e)return e;var n=new Date;return new Date(n.getTime()+1e3*e)}var c=4e3,a="xnpe_async_hide";function p(e){return e.reduce((function(e,n){return e[n]=function(){e._.push([n.toString(),arguments])},e}),{_:[]})}function m(e,n,t){var i=t.createElement(n);i.src=e;var r=t.getElementsByTagName(n)[0];return r.parentNode.insertBefore(i,r),i}o.target=o.target||"https://api.exponea.com",o.file_path=o.file_path||o.target+"/js/exponea.min.js",r[n]=p(["anonymize","initialize","identify","getSegments","update","track","trackLink","trackEnhancedEcommerce","getHtml","showHtml","showBanner","showWebLayer","ping","getAbTest","loadDependency","getRecommendation","reloadWebLayers","_preInitialize","_initializeConfig"]),m(o.file_path,i,e)}(document,"exponea","script","webxpClient",window,{
    target: "https://api.exponea.com",
    token: "0f8fad5b-d9cb-469f-a165-70867728950e",
    experiments: {enabled: true, mode: "async"},
    track: {visits: true},
});
exponea.start();""", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    "segment": ("""!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on"];analytics.factory=function(e){return function(){var n=Array.prototype.slice.call(arguments);n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.src="https://cdn.segment.com/analytics.js/v1/" + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey="%s";analytics.SNIPPET_VERSION="5.2.0";
analytics.load("%s");
analytics.page();
}}();""" % (SEGMENT_KEY, SEGMENT_KEY), SEGMENT_KEY),
    "matomo": ("""var _paq = window._paq = window._paq || [];
_paq.push(['trackPageView']);
_paq.push(['enableLinkTracking']);
(function() {
  var u="//matomo.example.com/";
  _paq.push(['setTrackerUrl', u+'matomo.php']);
  _paq.push(['setSiteId', '3']);
  var d=document, g=d.createElement('script'), s=d.getElementsByTagName('script')[0];
  g.async=true; g.src=u+'matomo.js'; s.parentNode.insertBefore(g,s);
})();""", "3"),
    "klaviyo": ("""<script async type="text/javascript" src="https://static.klaviyo.com/onsite/js/klaviyo.js?company_id=AbC123"></script>""",
                "AbC123"),
    "amplitude": ("""(function(e,t){var n=e.amplitude||{_q:[],_iq:{}};var r=t.createElement("script")
;r.type="text/javascript";r.crossOrigin="anonymous";r.async=true;r.src="https://cdn.amplitude.com/libs/amplitude-8.21.9-min.gz.js";
r.onload=function(){if(!e.amplitude.runQueuedFunctions){console.log("[Amplitude] Error: could not load SDK")}};var s=t.getElementsByTagName("script")[0];s.parentNode.insertBefore(r,s);
e.amplitude=n})(window,document);
amplitude.getInstance().init("%s");""" % AMPLITUDE_KEY, AMPLITUDE_KEY),
    "mixpanel": ("""(function(f,b){if(!b.__SV){var e,g,i,h;window.mixpanel=b;b._i=[];b.init=function(e,f,c){function g(a,d){var b=d.split(".");2==b.length&&(a=a[b[0]],d=b[1]);a[d]=function(){a.push([d].concat(Array.prototype.slice.call(arguments,0)))}}var a=b;"undefined"!==typeof c?a=b[c]=[]:c="mixpanel";b._i.push([e,f,c])};b.__SV=1.2;e=f.createElement("script");e.type="text/javascript";e.async=!0;e.src="undefined"!==typeof MIXPANEL_CUSTOM_LIB_URL?MIXPANEL_CUSTOM_LIB_URL:"file:"===f.location.protocol&&"//cdn.mxpnl.com/libs/mixpanel-2-latest.min.js".match(/^\\/\\//)?"https://cdn.mxpnl.com/libs/mixpanel-2-latest.min.js":"//cdn.mxpnl.com/libs/mixpanel-2-latest.min.js";g=f.getElementsByTagName("script")[0];g.parentNode.insertBefore(e,g)}})(document,window.mixpanel||[]);
mixpanel.init("0123456789abcdef0123456789abcdef", {track_pageview: true});""", "0123456789abcdef0123456789abcdef"),
    "heap": ("""window.heap=window.heap||[],heap.load=function(e,t){window.heap.appid=e,window.heap.config=t=t||{};var r=document.createElement("script");r.type="text/javascript",r.async=!0,r.src="https://cdn.heapanalytics.com/js/heap-"+e+".js";var a=document.getElementsByTagName("script")[0];a.parentNode.insertBefore(r,a);for(var n=function(e){return function(){heap.push([e].concat(Array.prototype.slice.call(arguments,0)))}},p=["addEventProperties","addUserProperties","clearEventProperties","identify","resetIdentity","removeEventProperty","setEventProperties","track","unsetEventProperty"],o=0;o<p.length;o++)heap[p[o]]=n(p[o])};
heap.load("1234567890");""", "1234567890"),
    "hotjar": ("""(function(h,o,t,j,a,r){
    h.hj=h.hj||function(){(h.hj.q=h.hj.q||[]).push(arguments)};
    h._hjSettings={hjid:3456789,hjsv:6};
    a=o.getElementsByTagName('head')[0];
    r=o.createElement('script');r.async=1;
    r.src=t+h._hjSettings.hjid+j+h._hjSettings.hjsv;
    a.appendChild(r);
})(window,document,'https://static.hotjar.com/c/hotjar-','.js?sv=');""", "3456789"),
    "clarity": ("""(function(c,l,a,r,i,t,y){
    c[a]=c[a]||function(){(c[a].q=c[a].q||[]).push(arguments)};
    t=l.createElement(r);t.async=1;t.src="https://www.clarity.ms/tag/"+i;
    y=l.getElementsByTagName(r)[0];y.parentNode.insertBefore(t,y);
})(window, document, "clarity", "script", "abcd1234ef");""", "abcd1234ef"),
    "plausible": ("""<script defer data-domain="example.com" src="https://plausible.io/js/script.js"></script>""",
                  "example.com"),
    "taboola": ("""window._tfa = window._tfa || [];
window._tfa.push({notify: 'event', name: 'page_view', id: 1234567});
!function (t, f, a, x) {
       if (!document.getElementById(x)) {
          t.async = 1;t.src = a;t.id=x;f.parentNode.insertBefore(t, f);
       }
}(document.createElement('script'),
document.getElementsByTagName('script')[0],
'//cdn.taboola.com/libtrc/unip/1234567/tfa.js',
'tb_tfa_script');""", "1234567"),
    "outbrain": ("""!function(_window, _document) {
var OB_ADV_ID = '%s';
if (_window.obApi) {
var toArray = function(object) {
return Object.prototype.toString.call(object) === '[object Array]' ? object : [object];
};
_window.obApi.marketerId = toArray(_window.obApi.marketerId).concat(toArray(OB_ADV_ID));
return;
}
var api = _window.obApi = function() {
api.dispatch ? api.dispatch.apply(api, arguments) : api.queue.push(arguments);
};
api.version = '1.1';
api.loaded = true;
api.marketerId = OB_ADV_ID;
api.queue = [];
var tag = _document.createElement('script');
tag.async = true;
tag.src = '//amplify.outbrain.com/cp/obtp.js';
tag.type = 'text/javascript';
var script = _document.getElementsByTagName('script')[0];
script.parentNode.insertBefore(tag, script);
}(window, document);
obApi('track', 'PAGE_VIEW');""" % OUTBRAIN_ID, OUTBRAIN_ID),
    "criteo": ("""<script type="text/javascript" src="//dynamic.criteo.com/js/ld/ld.js?a=12345" async="true"></script>
<script type="text/javascript">
window.criteo_q = window.criteo_q || [];
var deviceType = /iPad/.test(navigator.userAgent) ? "t" : /Mobile|iP(hone|od)|Android|BlackBerry|IEMobile|Silk/.test(navigator.userAgent) ? "m" : "d";
window.criteo_q.push(
 { event: "setAccount", account: 12345 },
 { event: "setEmail", email: "" },
 { event: "setSiteType", type: deviceType },
 { event: "viewItem", item: "sku-1" });
</script>""", "12345"),
    "yandex_metrika": ("""(function(m,e,t,r,i,k,a){m[i]=m[i]||function(){(m[i].a=m[i].a||[]).push(arguments)};
m[i].l=1*new Date();
for (var j = 0; j < document.scripts.length; j++) {if (document.scripts[j].src === r) { return; }}
k=e.createElement(t),a=e.getElementsByTagName(t)[0],k.async=1,k.src=r,a.parentNode.insertBefore(k,a)})
(window, document, "script", "https://mc.yandex.ru/metrika/tag.js", "ym");
ym(12345678, "init", {clickmap:true, trackLinks:true, accurateTrackBounce:true, webvisor:true});""", "12345678"),
    "quora": ("""!function(q,e,v,n,t,s){if(q.qp) return; n=q.qp=function(){n.qp?n.qp.apply(n,arguments):n.queue.push(arguments);}; n.queue=[];t=document.createElement(e);t.async=!0;t.src=v; s=document.getElementsByTagName(e)[0]; s.parentNode.insertBefore(t,s);}(window, 'script', 'https://a.quora.com/qevents.js');
qp('init', '%s');
qp('track', 'ViewContent');""" % QUORA_ID, QUORA_ID),
}


@pytest.fixture(scope="module")
def catalog():
    return default_catalog()


def _has_signature(vendor, text: str) -> bool:
    lowered = text.lower()
    return any(sig.lower() in lowered for sig in vendor.signatures)


def _example_name(documented: str) -> str:
    return re.sub(r"<(\w+)>", lambda m: PLACEHOLDERS[m.group(1)], documented)


def test_catalog_has_every_required_vendor(catalog):
    assert set(catalog.by_id) == REQUIRED_IDS
    assert all(v.source_file == f"{v.id}.yaml" for v in catalog)


@pytest.mark.parametrize("vendor_id", sorted(REQUIRED_IDS))
def test_vendor_is_detectable(catalog, vendor_id):
    vendor = catalog.get(vendor_id)
    assert vendor.signatures
    assert vendor.loaders or vendor.calls or vendor.assignments
    assert vendor.server_side.available or (vendor.server_side.reason and vendor.server_side.recommendation)


@pytest.mark.parametrize("vendor_id,names", sorted(IDENTITY_COOKIES.items()))
def test_identity_cookies_belong_to_their_vendor(catalog, vendor_id, names):
    for name in names:
        spec = catalog.cookie_spec(name)
        assert spec is not None and spec.vendor == vendor_id, name
        assert spec.role in {"identity", "click_id", "session"}


@pytest.mark.parametrize("spec", [c for v in default_catalog() for c in v.cookies], ids=lambda c: f"{c.vendor}:{c.name}")
def test_cookie_pattern_matches_its_documented_name(catalog, spec):
    example = _example_name(spec.name)
    assert spec.pattern.search(example)
    assert catalog.cookie_spec(example).vendor == spec.vendor


def test_click_ids_name_a_cookie_of_the_vendor(catalog):
    params = set()
    for vendor in catalog:
        cookie_names = {c.name for c in vendor.cookies}
        for click in vendor.click_ids:
            params.add(click.param)
            assert click.cookie is None or click.cookie in cookie_names, (vendor.id, click.param)
    assert {"fbclid", "gclid", "ttclid", "li_fat_id", "epik", "ScCid", "twclid", "rdt_cid", "msclkid"} <= params


@pytest.mark.parametrize("url,attrs,expected", LOADERS, ids=[row[0] for row in LOADERS])
def test_match_loader(catalog, url, attrs, expected):
    found = match_loader(url, catalog, attrs)
    if expected is None:
        assert found is None
        return
    assert (found.vendor, found.account_id, found.kind) == (*expected, "loader")
    assert _has_signature(catalog.get(expected[0]), url)
    assert catalog.has_signature(url)


@pytest.mark.parametrize("url,body,expected,params", BEACONS, ids=[row[0][:80] for row in BEACONS])
def test_match_beacon(catalog, url, body, expected, params):
    found = match_beacon(url, catalog, list(body))
    assert (found.vendor, found.account_id, found.event) == expected
    assert set(params) <= set(found.params)
    assert match_url(url, catalog).vendor == expected[0]


@pytest.mark.parametrize("url", NOSCRIPT_BEACONS)
def test_noscript_fallbacks_are_flagged(catalog, url):
    assert match_beacon(url, catalog).noscript


@pytest.mark.parametrize("vendor_id", sorted(SNIPPETS))
def test_official_snippet_has_signature_and_account(catalog, vendor_id):
    text, account = SNIPPETS[vendor_id]
    vendor = catalog.get(vendor_id)
    assert _has_signature(vendor, text)
    assert catalog.has_signature(text)
    found = vendor.snippet_pattern.search(text)
    assert found and found.group("account") == account
    assert vendor.account_pattern.search(account)


def test_every_vendor_has_a_snippet():
    assert set(SNIPPETS) == REQUIRED_IDS


def test_gtag_shapes_try_specific_accounts_before_ga4(catalog):
    shapes = catalog.calls_by_callee["gtag"]
    events = [s for s in shapes if "event" in s.command]
    assert [s.vendor for s in events] == ["google_ads", "ga4"]
    assert events[0].account.accepts("AW-123456789/AbC-D_efG", False) == (True, "AW-123456789")
    configs = [s for s in shapes if "config" in s.command]
    assert [s.vendor for s in configs][-1] == "ga4" and configs[-1].account.fallback
    assert {s.vendor for s in configs} == {"ga4", "google_ads", "universal_analytics"}


def test_criteo_set_account_shape_precedes_generic_event(catalog):
    shapes = catalog.calls_by_callee["criteo_q.push"]
    assert [s.role for s in shapes] == ["init", "event"]
    assert "setAccount" in shapes[1].ignore_events


def test_gtm_queue_shape_wants_the_page_global(catalog):
    [queue] = catalog.calls_by_callee["dataLayer.push"]
    assert queue.vendor == "gtm" and queue.global_only
    assert not any(s.global_only for s in catalog.calls_by_callee["$gtm.push"])


def test_google_ads_send_to_accepts_an_expression_that_shows_the_prefix(catalog):
    [ads] = [s for s in catalog.calls_by_callee["gtag"] if s.vendor == "google_ads" and s.role == "event"]
    assert ads.account.accepts(None, True, "AW-{$snippet_id}/label") == (True, None)
    assert ads.account.accepts("AW-1234567/x", False) == (True, "AW-1234567")
    assert ads.account.accepts("G-ABCDEF", False) == (False, None)


def test_wrapper_packages_components_and_settings_keys(catalog):
    assert catalog.modules["react-facebook-pixel"] == "ReactPixel"
    assert catalog.modules["@next/third-parties/google"] == ""
    assert catalog.components["GoogleTagManager"] == ("gtm", "gtmId")
    assert "id" in catalog.get("gtm").config_keys


def test_wrapper_libraries_are_call_shapes(catalog):
    for callee, vendor in [("ReactPixel.track", "meta"), ("$fb.track", "meta"), ("$gtag.event", "ga4"),
                           ("ReactGA.event", "ga4"), ("sendGAEvent", "ga4"), ("$gtm.trackEvent", "gtm"),
                           ("TagManager.initialize", "gtm"), ("sendGTMEvent", "gtm")]:
        assert vendor in {s.vendor for s in catalog.calls_by_callee[callee]}, callee
        assert catalog.has_signature(callee.encode())


def _copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "vendors"
    shutil.copytree(VENDOR_DIR, target)
    return target


@pytest.mark.parametrize("change,file_name,message", [
    (lambda t: t.replace(r"url: 'connect\.facebook\.net/[A-Za-z_]+/(fbevents|sdk)\.js'", "url: '(fbevents'"),
     "meta.yaml", "bad regex"),
    (lambda t: t + "\nunknown_field: 1\n", "meta.yaml", "unknown_field"),
    (lambda t: t.replace("  - name: _fbp\n", "  - name: _fbp\n    color: blue\n"), "meta.yaml", "color"),
    (lambda t: t.replace("id: meta", "id: facebook"), "meta.yaml", "does not match the file name"),
    (lambda t: t.replace("signatures: [", "signatures: [[", 1), "meta.yaml", "cannot read"),
])
def test_broken_vendor_file_names_the_file(tmp_path, change, file_name, message):
    directory = _copy_catalog(tmp_path)
    path = directory / file_name
    broken = change(path.read_text(encoding="utf-8"))
    assert broken != path.read_text(encoding="utf-8")
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(directory)
    assert str(error.value).startswith(f"{file_name}:")
    assert message in str(error.value)


def test_a_checked_catalog_is_cached_and_any_change_checks_again(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("PIXELMIGRATE_CACHE_DIR", str(cache))
    directory = _copy_catalog(tmp_path)
    first = load_catalog(directory)
    [kept] = cache.glob("catalog-*.pickle")
    assert load_catalog(directory) == first
    # A cached copy is used as it is: prove it by caching a different catalog under this key.
    kept.write_bytes(pickle.dumps(Catalog(vendors=first.vendors[:1])))
    assert [v.id for v in load_catalog(directory).vendors] == [first.vendors[0].id]
    kept.write_bytes(b"not a pickle")
    assert load_catalog(directory) == first
    meta = directory / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "\nunknown_field: 1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="unknown_field"):
        load_catalog(directory)


def test_an_unwritable_cache_is_no_error(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache directory would be")
    monkeypatch.setenv("PIXELMIGRATE_CACHE_DIR", str(blocked / "cache"))
    assert load_catalog(_copy_catalog(tmp_path)).vendors


def test_empty_directory_is_an_error(tmp_path):
    with pytest.raises(CatalogError, match="no vendor files"):
        load_catalog(tmp_path)


def test_signature_prefilter_is_case_insensitive_and_reports_offsets(catalog):
    assert catalog.has_signature(b"<SCRIPT>FBQ('init', '1')</SCRIPT>")
    assert not catalog.has_signature(b"function add(a, b) { return a + b }")
    assert catalog.signature_hits("xx fbq( yy gtag(") == [3, 11]
    assert catalog.signature_hits("\u00e9\u00e9 fbq(") == [3]
