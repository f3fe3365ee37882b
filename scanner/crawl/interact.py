"""Exercising a page the way a visitor would, safely.

Candidates are elements the caller names (a static scan's trigger selectors), elements
with listeners (recorded by the init script) or handler attributes, forms, buttons, and
links when the document delegates clicks. Clicks are
dispatched in the page (mousedown, mouseup, click); forms get dummy values and a synthetic
submit event, which runs the site's handlers but never sends the form; a navigation a
click starts is answered with a 204 by the router, so the page under test stays put.
"""
from __future__ import annotations

from dataclasses import dataclass

from scanner.model import Trigger, TriggerKind

_FIND = r"""
({limit, avoid, first}) => {
  const pm = window.__pm;
  if (!pm) return [];
  const all = sel => { try { return Array.from(document.querySelectorAll(sel)); } catch (e) { return []; } };
  const roots = avoid.flatMap(all);
  const found = new Map();
  const SUBMITS = new Set(['submit', 'image']);
  const actionFor = el => {
    const tag = el.localName;
    if (tag === 'form') return 'submit';
    if (tag === 'select' || tag === 'textarea') return 'change';
    if (tag === 'input' && !['button', 'submit', 'reset', 'image'].includes(el.type)) return 'change';
    return 'click';
  };
  // A form's own submit button is exercised through the form.
  const formSubmitButton = el =>
    el.form && (el.localName === 'button' ? (el.type || 'submit') === 'submit' : SUBMITS.has(el.type));
  const add = (el, generic) => {
    if (found.has(el) || !el.isConnected || roots.some(root => root.contains(el))) return;
    if (generic && formSubmitButton(el)) return;
    found.set(el, {action: actionFor(el), generic});
  };
  first.forEach(sel => all(sel).forEach(el => add(el, false)));
  pm.listened().forEach(el => add(el, false));
  all('[onclick], [onmousedown], [onmouseup], [onchange], [oninput], [onsubmit]').forEach(el => add(el, false));
  all('form').forEach(el => add(el, false));
  all('button, input[type=button], [role=button], a[href^="javascript:"]').forEach(el => add(el, true));
  if (pm.delegated().some(type => type !== 'submit')) all('a[href]').forEach(el => add(el, true));
  // Look-alike elements without handlers of their own (a list of product links) share a
  // delegated handler: two of each kind will do.
  const alike = new Map();
  const chosen = Array.from(found).filter(([el, {action, generic}]) => {
    if (!generic) return true;
    const key = action + ' ' + el.localName + '.' + Array.from(el.classList).sort().join('.');
    alike.set(key, (alike.get(key) || 0) + 1);
    return alike.get(key) <= 2;
  }).slice(0, limit);
  Object.defineProperty(window, '__pmCandidates', {value: chosen.map(([el]) => el), configurable: true});
  return chosen.map(([el, {action}]) => ({action, selector: pm.selector(el)}));
}
"""

_PERFORM = r"""
([index, action]) => {
  const el = (window.__pmCandidates || [])[index];
  if (!el || !el.isConnected) return false;
  const DUMMY = {email: 'test@example.com', tel: '5555550100', number: '1', range: '1', url: 'https://example.com/',
                 date: '2024-01-01', month: '2024-01', week: '2024-W01', time: '12:00', color: '#000000'};
  const fill = field => {
    const type = (field.type || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image', 'file'].includes(type) || field.disabled) return;
    if (type === 'checkbox' || type === 'radio') { field.checked = true; return; }
    if (field.localName === 'select') {
      const options = Array.from(field.options);
      const next = options.findIndex((o, i) => i !== field.selectedIndex && o.value);
      if (next >= 0) field.selectedIndex = next;
      return;
    }
    if (!field.value || action === 'change') field.value = DUMMY[type] || 'test';
  };
  if (action === 'submit') {
    Array.from(el.elements || []).forEach(fill);
    el.dispatchEvent(new Event('submit', {bubbles: true, cancelable: true}));
  } else if (action === 'change') {
    fill(el);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
  } else {
    const init = {bubbles: true, cancelable: true, view: window};
    el.dispatchEvent(new MouseEvent('mousedown', init));
    el.dispatchEvent(new MouseEvent('mouseup', init));
    el.click();
  }
  return true;
}
"""

_SCROLL = "() => window.scrollTo(0, document.documentElement.scrollHeight)"

_KINDS = {"click": TriggerKind.CLICK, "change": TriggerKind.CHANGE, "submit": TriggerKind.SUBMIT}


@dataclass(frozen=True)
class Candidate:
    index: int
    action: str
    """click, change or submit."""
    selector: str

    @property
    def trigger(self) -> Trigger:
        return Trigger(_KINDS[self.action], self.selector)


async def candidates(page, limit: int, avoid: list[str], first: tuple[str, ...] = ()) -> list[Candidate]:
    """What on the page can be exercised, most specific first: the `first` selectors (a
    static scan's triggers), then elements with handlers, forms, buttons, links. `avoid`
    holds selectors of subtrees to leave alone (a consent banner)."""
    found = await page.evaluate(_FIND, {"limit": limit, "avoid": avoid, "first": list(first)})
    return [Candidate(i, c["action"], c["selector"]) for i, c in enumerate(found)]


async def perform(page, candidate: Candidate) -> bool:
    return bool(await page.evaluate(_PERFORM, [candidate.index, candidate.action]))


async def scroll_to_bottom(page) -> None:
    await page.evaluate(_SCROLL)
