// app.js starts the UI: it loads the datacenters, draws the header and
// routes the location hash (#/<dc>/<view>/...) to a view. Each view gets a
// fresh context whose signal aborts its blocking queries when the user
// leaves it.

import * as api from './api.js';
import { h, href } from './dom.js';
import { serviceList, serviceDetail } from './services.js';
import { nodeList, nodeDetail } from './nodes.js';
import { kvView } from './kv.js';
import { sessionList } from './sessions.js';
import { tokenList, tokenDetail, policyList, policyDetail } from './acl.js';
import { setupLogin } from './login.js';

// routes maps the part of the hash after the datacenter to a view; the
// captured groups, URI-decoded, are passed to it.
const routes = [
  [/^services$/, serviceList, 'services'],
  [/^services\/([^/]+)$/, serviceDetail, 'services'],
  [/^nodes$/, nodeList, 'nodes'],
  [/^nodes\/([^/]+)$/, nodeDetail, 'nodes'],
  [/^kv\/(.*)$/, kvView, 'kv'],
  [/^sessions$/, sessionList, 'sessions'],
  [/^sessions\/([^/]+)$/, sessionList, 'sessions'],
  [/^acl\/tokens$/, tokenList, 'tokens'],
  [/^acl\/tokens\/([^/]+)$/, tokenDetail, 'tokens'],
  [/^acl\/policies$/, policyList, 'policies'],
  [/^acl\/policies\/([^/]+)$/, policyDetail, 'policies'],
];

const main = document.getElementById('main');
const errors = document.getElementById('errors');
const status = document.getElementById('status');
const dcSelect = document.getElementById('dc-select');

let datacenters = [];
let current = null; // the AbortController of the view on screen
let statusTimer = 0;
let keepStatus = false; // the next route keeps the status message (set by ctx.go)

// report shows err under the header, keyed so that each source of errors
// replaces or clears only its own message; err null clears it.
function report(err, key = 'action') {
  const old = [...errors.children].find((el) => el.dataset.key === key);
  if (!err) {
    old?.remove();
    return;
  }
  const text = err.message ?? String(err);
  const msg = h('p', { class: err.status === 403 ? 'error denied' : 'error' }, text);
  msg.dataset.key = key;
  if (err.status) msg.dataset.status = err.status;
  if (old) old.replaceWith(msg);
  else errors.append(msg);
}

// notify shows a short success message in a polite live region.
function notify(text) {
  status.textContent = text;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { status.textContent = ''; }, 5000);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const slash = raw.indexOf('/');
  if (!raw || slash < 0) return null;
  return { dc: decodeURIComponent(raw.slice(0, slash)), rest: raw.slice(slash + 1) };
}

function route() {
  const where = parseHash();
  if (!where) {
    if (datacenters.length) {
      location.replace(href.services(datacenters[0]));
    } else {
      main.replaceChildren(h('h1', { tabindex: '-1' }, 'Concord'),
        h('p', null, 'The agent did not say which datacenters it knows; see the error above. ',
          h('button', { type: 'button', onclick: () => location.reload() }, 'Try again')));
    }
    return;
  }
  current?.abort();
  current = new AbortController();
  errors.replaceChildren();
  if (!keepStatus) status.textContent = '';
  keepStatus = false;
  api.setDatacenter(where.dc);
  drawHeader(where.dc);

  for (const [pattern, view, section] of routes) {
    const m = where.rest.match(pattern);
    if (!m) continue;
    markNav(section);
    const signal = current.signal;
    const ctx = {
      dc: where.dc,
      main,
      signal,
      report,
      notify,
      // go moves to another view after an action, keeping its message.
      go: (to) => {
        keepStatus = true;
        location.hash = to;
      },
      watch(path, opts, onData) {
        api.watch(path, { ...opts, signal, onData, onError: (err) => report(err, path) });
      },
      watchAll(specs, onChange) {
        api.watchAll(specs, { signal, onChange, onError: report });
      },
    };
    let args;
    try {
      args = m.slice(1).map(decodeURIComponent);
    } catch {
      break; // a malformed escape: treat as an unknown page
    }
    main.replaceChildren();
    view(ctx, ...args);
    main.querySelector('h1')?.focus({ preventScroll: true });
    document.title = `${main.querySelector('h1')?.textContent ?? 'Concord'} · Concord`;
    return;
  }
  markNav('');
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', null, 'There is no page at this address. ', h('a', { href: href.services(where.dc) }, 'Go to Services'), '.'));
}

function drawHeader(dc) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.setAttribute('href', href[a.dataset.nav](dc));
  }
  document.querySelector('.brand').setAttribute('href', href.services(dc));
  const names = datacenters.includes(dc) || !datacenters.length ? datacenters : [...datacenters, dc];
  dcSelect.replaceChildren(...names.map((name) => h('option', { value: name, selected: name === dc }, name)));
}

function markNav(section) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

dcSelect.addEventListener('change', () => {
  location.hash = href.services(dcSelect.value);
});

async function start() {
  setupLogin({
    report,
    notify,
    // Redraw the view with the new token (its watches restart with it),
    // keeping the login message.
    changed: () => {
      keepStatus = true;
      route();
    },
  });
  try {
    datacenters = await api.get('/v1/catalog/datacenters');
  } catch (err) {
    report(err, 'datacenters');
  }
  window.addEventListener('hashchange', route);
  route();
}

start();
