"""Consent banners: which platform a page shows, and accepting it.

Known platforms are found by their markup (and accepted through their buttons, or their
JS API when the button is out of reach); anything else by a generic heuristic: a visible
accept-like button inside an element that talks about cookies or consent.
"""
from __future__ import annotations

from dataclasses import dataclass

# (platform, banner root, accept button, (accept-all API, its arguments))
PLATFORMS = (
    ("onetrust", "#onetrust-banner-sdk", "#onetrust-accept-btn-handler", ("OneTrust.AllowAll", [])),
    ("cookiebot", "#CybotCookiebotDialog",
     "#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll, #CybotCookiebotDialogBodyButtonAccept",
     ("Cookiebot.submitCustomConsent", [True, True, True])),
    ("didomi", "#didomi-host", "#didomi-notice-agree-button", ("Didomi.setUserAgreeToAll", [])),
    ("usercentrics", "#usercentrics-root", "[data-testid=uc-accept-all-button]", ("UC_UI.acceptAllConsents", [])),
    ("tarteaucitron", "#tarteaucitronRoot", "#tarteaucitronPersonalize2, #tarteaucitronAllAllowed",
     ("tarteaucitron.userInterface.respondAll", [True])),
)

# The generic heuristic: a button whose label starts with an accepting word, does not refuse,
# and sits in an element that talks about cookies or consent.
ACCEPT_WORDS = ("accept", "agree", "allow", "i agree", "i accept", "got it", "ok", "okay", "yes",
                "alle akzeptieren", "akzeptieren", "zustimmen", "tout accepter", "accepter", "j'accepte",
                "aceptar", "acepto", "accetta", "accetto", "aceitar", "accepteren", "godkänn")
REFUSE_WORDS = ("reject", "decline", "refuse", "deny", "necessary", "essential", "manage", "settings",
                "preferences", "custom", "ablehnen", "refuser", "rechazar")
CONTEXT_WORDS = ("cookie", "consent", "gdpr", "privacy", "cmp", "tracking")

_DETECT = r"""
({platforms, accept, refuse, context}) => {
  const visible = el => {
    if (!el || !el.isConnected) return false;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const selector = el => window.__pm ? window.__pm.selector(el) : null;
  for (const [platform, root, button] of platforms) {
    const rootEl = document.querySelector(root);
    if (!rootEl) continue;
    const found = (rootEl.shadowRoot || document).querySelector(button);  // Usercentrics: shadow DOM
    if (rootEl.shadowRoot ? found : (visible(found) || visible(rootEl))) return {platform, root, accept: button};
  }
  const words = list => list.join('|');  // plain words: nothing to escape
  const ACCEPT = new RegExp('^\\s*(' + words(accept) + ')\\b', 'i');
  const REFUSE = new RegExp(words(refuse), 'i');
  const CONTEXT = new RegExp(words(context), 'i');
  for (const button of document.querySelectorAll('button, a, [role=button], input[type=button], input[type=submit]')) {
    const text = (button.textContent || button.value || '').trim();
    if (!text || text.length > 40 || !ACCEPT.test(text) || REFUSE.test(text) || !visible(button)) continue;
    let el = button.parentElement;
    for (let depth = 0; el && el !== document.body && depth < 8; el = el.parentElement, depth++) {
      const label = [el.id, typeof el.className === 'string' ? el.className : '',
                     el.getAttribute('aria-label') || '', el.getAttribute('role') || ''].join(' ');
      const inner = depth < 3 ? (el.textContent || '').slice(0, 2000) : '';
      if (CONTEXT.test(label) || CONTEXT.test(inner)) {
        return {platform: 'generic', root: selector(el), accept: selector(button)};
      }
    }
  }
  return null;
}
"""

_ACCEPT = r"""
([root, accept, api]) => {
  const host = root && document.querySelector(root);
  const shadow = host && host.shadowRoot;
  const button = accept && (document.querySelector(accept) || (shadow && shadow.querySelector(accept)));
  if (button) { button.click(); return true; }
  if (api) {
    const [path, args] = api;
    const names = path.split('.');
    let owner = window;
    for (const name of names.slice(0, -1)) owner = owner == null ? owner : owner[name];
    const method = owner == null ? null : owner[names[names.length - 1]];
    if (typeof method === 'function') { method.apply(owner, args); return true; }
  }
  return false;
}
"""


@dataclass(frozen=True)
class Banner:
    platform: str
    root: str | None
    """Selector of the banner's root, which interaction leaves alone."""
    accept: str | None
    """Selector of the accept button (in the root's shadow DOM for Usercentrics)."""


async def detect(page) -> Banner | None:
    found = await page.evaluate(_DETECT, {"platforms": [list(p[:3]) for p in PLATFORMS], "accept": ACCEPT_WORDS,
                                          "refuse": REFUSE_WORDS, "context": CONTEXT_WORDS})
    return Banner(found["platform"], found["root"], found["accept"]) if found else None


async def accept(page, banner: Banner) -> bool:
    """Click the banner's accept button, or call its platform's accept-all API."""
    api = next((p[3] for p in PLATFORMS if p[0] == banner.platform), None)
    return bool(await page.evaluate(_ACCEPT, [banner.root, banner.accept, api]))
