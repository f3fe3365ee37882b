// pixelmigrate runtime instrumentation, installed before any page script runs.
// Records calls to the catalog's globals, catalog assignments, cookie and storage writes,
// and the requests scripts start, each with the calling script's URL from the stack.
// Python drains the records with window.__pm.drain() after every crawl phase.
(function (CONFIG) {
  'use strict';
  if (window.__pm || window.top !== window) return;

  const addEventListener = EventTarget.prototype.addEventListener;
  const LIMIT = 20000;
  const records = [];
  let dropped = 0;
  const FRAME = /((?:https?|file):\/\/[^\s()]+):(\d+):(\d+)/;

  // The first stack frame in a page script (after `skip` more of them); frames of this
  // file carry no URL scheme.
  function callerFrame(skip) {
    let stack = '';
    try {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      stack = String(new Error().stack || '');
      Error.stackTraceLimit = limit;
    } catch (e) { return null; }
    let found = null;
    let left = skip || 0;
    for (const line of stack.split('\n').slice(1)) {
      const m = FRAME.exec(line);
      if (!m) continue;
      found = {url: m[1], line: +m[2], column: +m[3]};
      if (left-- <= 0) break;
    }
    return found;
  }

  function record(entry, frame) {
    if (records.length >= LIMIT) { dropped++; return; }
    if (!('frame' in entry)) entry.frame = frame === undefined ? callerFrame() : frame;
    records.push(entry);
  }

  function isArguments(value) {
    return Object.prototype.toString.call(value) === '[object Arguments]';
  }

  function describeNode(node) {
    if (!(node instanceof Element)) return node.nodeName;
    return node.localName + (node.id ? '#' + node.id : '');
  }

  // A JSON-safe copy; what JSON cannot hold becomes {$expr: text}.
  function copy(value, depth, seen) {
    const type = typeof value;
    if (value === null || type === 'boolean') return value;
    if (type === 'undefined') return null;
    if (type === 'string') return value.length > 4000 ? value.slice(0, 4000) : value;
    if (type === 'number') return isFinite(value) ? value : {$expr: String(value)};
    if (type === 'bigint') return {$expr: String(value) + 'n'};
    if (type === 'function') return {$expr: 'function' + (value.name ? ' ' + value.name : '')};
    if (type === 'symbol') return {$expr: String(value)};
    if (seen.has(value)) return {$expr: '[circular]'};
    if (depth > 8) return {$expr: '[nested too deep]'};
    try {
      if (value === window) return {$expr: 'window'};
      if (value instanceof Date) return {$expr: 'new Date(' + (isNaN(value) ? '' : JSON.stringify(value.toISOString())) + ')'};
      if (value instanceof Node) return {$expr: describeNode(value)};
      seen.add(value);
      let out;
      if (Array.isArray(value) || isArguments(value)) {
        out = Array.prototype.slice.call(value, 0, 200).map(item => copy(item, depth + 1, seen));
      } else {
        out = {};
        for (const key of Object.keys(value).slice(0, 200)) out[key] = copy(value[key], depth + 1, seen);
      }
      seen.delete(value);
      return out;
    } catch (e) {
      return {$expr: '[unreadable]'};
    }
  }

  // ---- calls to catalog globals -------------------------------------------------------
  // CONFIG.tree: name -> node {c: records calls, a: assignment root, k: {member: node},
  // r: node for the value the call returns}. Accessors on window (and on the objects the
  // globals hold) wrap each function in a Proxy when it is read, so a vendor stub assigned
  // later (window.fbq = function ...) is recorded without touching its properties.
  const TREE = CONFIG.tree;
  const proxyOf = new WeakMap();
  const proxies = new WeakSet();
  const accessors = new WeakSet();
  const instrumented = new WeakMap();
  const assignFrames = {};
  let inside = 0;

  function callEntry(path, node, args, isNew) {
    // gtag-style shims push their own `arguments` into a queue: name the shim as callee.
    if (args.length === 1 && isArguments(args[0])) {
      let name = null;
      try { name = args[0].callee && args[0].callee.name; } catch (e) { name = null; }
      if (name && TREE[name] && TREE[name].c) {
        // The call site is the shim's caller, one frame further out.
        return {kind: 'call', callee: name, args: copy(args[0], 0, new Set()), new: false, frame: callerFrame(1)};
      }
    }
    if (!node.c) return null;
    return {kind: 'call', callee: path, args: copy(args, 0, new Set()), new: isNew};
  }

  function wrapFunction(fn, node, path) {
    if (proxies.has(fn)) return fn;
    let byPath = proxyOf.get(fn);
    if (!byPath) { byPath = new Map(); proxyOf.set(fn, byPath); }
    let proxy = byPath.get(path);
    if (proxy) return proxy;
    const invoke = (isNew, args, run) => {
      if (inside === 0) {
        const entry = callEntry(path, node, args, isNew);
        if (entry) record(entry);
      }
      inside++;  // a vendor function calling another catalog function is one call, not two
      let result;
      try { result = run(); } finally { inside--; }
      if (node.r) instrument(result, node.r, path + '()', false);
      return result;
    };
    proxy = new Proxy(fn, {
      apply: (target, self, args) => invoke(false, args, () => Reflect.apply(target, self, args)),
      construct: (target, args, newTarget) =>
        invoke(true, args, () => Reflect.construct(target, args, newTarget === proxy ? target : newTarget)),
    });
    proxies.add(proxy);
    byPath.set(path, proxy);
    instrument(fn, node, path, false);
    return proxy;
  }

  function instrument(value, node, path, assigned) {
    if (!value || (typeof value !== 'object' && typeof value !== 'function') || !node.k) return;
    let nodes = instrumented.get(value);
    if (!nodes) { nodes = new Set(); instrumented.set(value, nodes); }
    if (nodes.has(node)) return;
    nodes.add(node);
    const push = node.k.push;
    // A queue assigned with items already in it (window._paq = [[...]]) holds calls too.
    if (assigned && push && Array.isArray(value) && inside === 0) {
      for (const item of value) {
        const entry = callEntry(path + '.push', push, [item], false);
        if (entry) record(entry);
      }
    }
    for (const key of Object.keys(node.k)) defineAccessor(value, key, node.k[key], path + '.' + key);
  }

  function adopt(obj, key, desc, node, path) {
    // A non-configurable property (a global `function gtag(){}`) cannot hold an accessor:
    // store the wrapper in it instead, when it is writable.
    if (typeof desc.value === 'function' && !proxies.has(desc.value) && desc.writable) {
      try { obj[key] = wrapFunction(desc.value, node, path); } catch (e) { /* read-only after all */ }
    } else {
      instrument(desc.value, node, path, false);
    }
  }

  function defineAccessor(obj, key, node, path) {
    let desc;
    try { desc = Object.getOwnPropertyDescriptor(obj, key); } catch (e) { return; }
    if (desc && desc.get && accessors.has(desc.get)) return;
    if (desc && !desc.configurable) { if ('value' in desc) adopt(obj, key, desc, node, path); return; }
    let raw;
    try { raw = desc ? ('value' in desc ? desc.value : desc.get && desc.get.call(obj)) : obj[key]; } catch (e) { return; }
    const get = function () { return typeof raw === 'function' ? wrapFunction(raw, node, path) : raw; };
    const set = function (value) {
      raw = value;
      if (node.a) assignFrames[path] = callerFrame();
      instrument(value, node, path, true);
    };
    accessors.add(get);
    try {
      Object.defineProperty(obj, key, {get, set, configurable: true,
                                       enumerable: desc ? desc.enumerable : obj === window});
    } catch (e) { return; }
    instrument(raw, node, path, false);
  }

  function rewrap() {
    for (const name of Object.keys(TREE)) {
      const desc = Object.getOwnPropertyDescriptor(window, name);
      if (!desc || (desc.get && accessors.has(desc.get))) continue;
      if (desc.configurable) defineAccessor(window, name, TREE[name], name);
      else if ('value' in desc) adopt(window, name, desc, TREE[name], name);
    }
  }

  for (const name of Object.keys(TREE)) defineAccessor(window, name, TREE[name], name);
  // A function declaration replaces its accessor; wrap it again before the next script runs.
  new MutationObserver(rewrap).observe(document, {childList: true, subtree: true});

  // Assignment targets (br_data, br_data.acct_id, _linkedin_partner_id) are snapshotted at
  // every drain: sites fill such objects property by property after assigning them.
  const lastSnapshot = {};
  function snapshotAssignments() {
    for (const target of CONFIG.assign) {
      let value = window;
      for (const part of target.split('.')) {
        try { value = value == null ? undefined : value[part]; } catch (e) { value = undefined; }
      }
      if (value === undefined) continue;
      const snapshot = copy(value, 0, new Set());
      const text = JSON.stringify(snapshot);
      if (lastSnapshot[target] === text) continue;
      lastSnapshot[target] = text;
      record({kind: 'assign', target, value: snapshot}, assignFrames[target.split('.')[0]] || null);
    }
  }

  // ---- cookies and storage --------------------------------------------------------------
  const readers = new Set();
  const cookieDesc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  if (cookieDesc && cookieDesc.configurable) {
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true, enumerable: cookieDesc.enumerable,
      get() {
        const text = cookieDesc.get.call(this);
        const frame = callerFrame();
        const reader = frame ? frame.url : '';
        if (!readers.has(reader)) {  // one read per script per phase is enough to attribute
          readers.add(reader);
          const names = text.split(';').map(part => part.split('=', 1)[0].trim()).filter(Boolean);
          record({kind: 'cookie_read', names}, frame);
        }
        return text;
      },
      set(text) {
        const name = String(text).split(';', 1)[0].split('=', 1)[0].trim();
        if (name) record({kind: 'cookie_write', name});
        cookieDesc.set.call(this, text);
      },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key) {
    let storage = 'sessionStorage';
    try { if (this === window.localStorage) storage = 'localStorage'; } catch (e) { /* storage blocked */ }
    record({kind: 'storage_write', storage, name: String(key)});
    return setItem.apply(this, arguments);
  };

  // ---- requests: who started them -------------------------------------------------------
  function noteRequest(via, url) {
    let href;
    try { href = new URL(String(url), document.baseURI).href; } catch (e) { return; }
    if (/^https?:/.test(href)) record({kind: 'request', via, url: href});
  }
  // fetch and XHR still waiting for an answer: a handler that posts to the server and fires
  // a pixel on the reply is waited for (quiet below), so the pixel counts for that handler.
  let requestsPending = 0;
  const answered = () => { requestsPending = Math.max(0, requestsPending - 1); };
  const fetchNative = window.fetch;
  window.fetch = function (input) {
    noteRequest('fetch', input instanceof Request ? input.url : input);
    const reply = fetchNative.apply(this, arguments);
    requestsPending++;
    reply.then(answered, answered);
    return reply;
  };
  const xhrOpen = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    noteRequest('xhr', url);
    return xhrOpen.apply(this, arguments);
  };
  const xhrSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    requestsPending++;
    addEventListener.call(this, 'loadend', answered, {once: true});
    try {
      return xhrSend.apply(this, arguments);
    } catch (e) {
      answered();
      throw e;
    }
  };
  const sendBeacon = Navigator.prototype.sendBeacon;
  Navigator.prototype.sendBeacon = function (url) {
    noteRequest('beacon', url);
    return sendBeacon.apply(this, arguments);
  };
  const SRC_VIA = {script: 'script', img: 'image', iframe: 'iframe'};
  for (const [ctor, via] of [[HTMLScriptElement, 'script'], [HTMLImageElement, 'image'], [HTMLIFrameElement, 'iframe']]) {
    const desc = Object.getOwnPropertyDescriptor(ctor.prototype, 'src');
    Object.defineProperty(ctor.prototype, 'src', {
      configurable: true, enumerable: desc.enumerable, get: desc.get,
      set(value) { noteRequest(via, value); desc.set.call(this, value); },
    });
  }
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const via = SRC_VIA[this.localName];
    if (via && String(name).toLowerCase() === 'src') noteRequest(via, value);
    return setAttribute.apply(this, arguments);
  };

  // ---- what interaction can exercise ----------------------------------------------------
  const LISTEN = new Set(CONFIG.listen);
  const listened = new Map();
  const delegated = new Set();
  function noteListener(target, type) {
    if (!LISTEN.has(type)) return;
    if (target === window || target === document || target === document.documentElement || target === document.body) {
      delegated.add(type);
    } else if (target instanceof Element) {
      let types = listened.get(target);
      if (!types) listened.set(target, types = new Set());
      types.add(type);
    }
  }
  // Listeners for the page going away: the crawl fires them before it leaves (leave below),
  // then removes them, since what a page sends while it really unloads reaches no observer.
  const LEAVING = new Set(['pagehide', 'unload', 'visibilitychange']);
  const leaving = [];
  EventTarget.prototype.addEventListener = function (type) {
    const target = this == null ? window : this;  // a bare addEventListener(...) is the window's
    noteListener(target, String(type));
    if (LEAVING.has(String(type)) && (target === window || target === document)) {
      leaving.push([target, Array.prototype.slice.call(arguments)]);
    }
    return addEventListener.apply(this, arguments);
  };
  for (const type of LISTEN) {
    const desc = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'on' + type);
    if (!desc || !desc.set) continue;
    Object.defineProperty(HTMLElement.prototype, 'on' + type, {
      configurable: true, enumerable: desc.enumerable, get: desc.get,
      set(value) { if (value) noteListener(this, type); desc.set.call(this, value); },
    });
  }

  // ---- timers: how long waiting for them is worth it ------------------------------------
  const pending = new Set();
  const setTimeoutNative = window.setTimeout;
  const clearTimeoutNative = window.clearTimeout;
  window.setTimeout = function (callback, delay) {
    if (typeof callback !== 'function' || (Number(delay) || 0) > CONFIG.timerBound) {
      return setTimeoutNative.apply(window, arguments);
    }
    const rest = Array.prototype.slice.call(arguments, 2);
    const id = setTimeoutNative.call(window, function () {
      pending.delete(id);
      return callback.apply(this, arguments);
    }, delay, ...rest);
    pending.add(id);
    return id;
  };
  window.clearTimeout = function (id) {
    pending.delete(id);
    return clearTimeoutNative.apply(window, arguments);
  };

  // A CSS selector for an element: its id when unique, else tag.classes when unique, else a path.
  function selector(el) {
    const unique = sel => { try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; } };
    const parts = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.id && unique('#' + CSS.escape(node.id))) { parts.unshift('#' + CSS.escape(node.id)); break; }
      const classes = Array.from(node.classList).slice(0, 3).map(c => '.' + CSS.escape(c)).join('');
      if (classes && unique(node.localName + classes)) { parts.unshift(node.localName + classes); break; }
      let part = node.localName;
      const parent = node.parentElement;
      if (!parent) { parts.unshift(part); break; }
      const same = Array.from(parent.children).filter(child => child.localName === node.localName);
      if (same.length > 1) part += ':nth-of-type(' + (same.indexOf(node) + 1) + ')';
      parts.unshift(part);
    }
    return parts.join(' > ');
  }

  Object.defineProperty(window, '__pm', {value: Object.freeze({
    drain() {
      rewrap();
      snapshotAssignments();
      const out = records.splice(0, records.length);
      const lost = dropped;
      dropped = 0;
      readers.clear();
      return {records: out, dropped: lost};
    },
    // Resolves once no short timer and no fetch/XHR is pending (and stayed so for one more
    // poll, for the reply's handlers to run), or after ms: how many are still pending.
    quiet(ms) {
      const end = Date.now() + ms;
      const busy = () => pending.size + requestsPending;
      let waited = false;
      return new Promise(resolve => {
        (function poll() {
          if ((busy() === 0 && !waited) || Date.now() >= end) { resolve(busy()); return; }
          if (busy() === 0) waited = false;
          else waited = true;
          setTimeoutNative.call(window, poll, 20);
        })();
      });
    },
    // Fires the page's pagehide, unload and visibilitychange (as hidden) listeners, if it has
    // any: whether it had.
    leave() {
      if (!leaving.length && !window.onpagehide && !window.onunload && !document.onvisibilitychange) return false;
      try {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        document.dispatchEvent(new Event('visibilitychange'));
        window.dispatchEvent(new PageTransitionEvent('pagehide', {persisted: false}));
        window.dispatchEvent(new Event('unload'));
      } catch (e) { /* a listener that throws still sent what it sent */ }
      for (const [target, args] of leaving.splice(0)) EventTarget.prototype.removeEventListener.apply(target, args);
      window.onpagehide = window.onunload = document.onvisibilitychange = null;
      return true;
    },
    listened: () => Array.from(listened.keys()),
    selector,
    delegated: () => Array.from(delegated),
  })});
})(__PM_CONFIG__);
//# sourceURL=pixelmigrate-instrument.js
