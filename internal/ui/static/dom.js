// dom.js holds the small building blocks every view uses: an element
// builder that never parses HTML (so names and values from the API are
// always text), links between views, health badges and tables.

// h creates an element. props are attributes, except on* (event
// listeners) and class; children are nodes or text, nested arrays are
// flattened, and null, undefined and false are skipped.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// href builds a link inside the UI for datacenter dc, escaping each part.
export const href = {
  services: (dc) => `#/${enc(dc)}/services`,
  service: (dc, name) => `#/${enc(dc)}/services/${enc(name)}`,
  nodes: (dc) => `#/${enc(dc)}/nodes`,
  node: (dc, name) => `#/${enc(dc)}/nodes/${enc(name)}`,
  kv: (dc, key = '') => `#/${enc(dc)}/kv/${key.split('/').map(enc).join('/')}`,
  sessions: (dc, node) => `#/${enc(dc)}/sessions` + (node ? `/${enc(node)}` : ''),
  tokens: (dc) => `#/${enc(dc)}/acl/tokens`,
  token: (dc, accessor) => `#/${enc(dc)}/acl/tokens/${enc(accessor)}`,
  policies: (dc) => `#/${enc(dc)}/acl/policies`,
  policy: (dc, id) => `#/${enc(dc)}/acl/policies/${enc(id)}`,
};

function enc(s) {
  return encodeURIComponent(s);
}

// STATUS_ORDER ranks check statuses from best to worst.
const STATUS_ORDER = ['passing', 'warning', 'critical'];
const STATUS_MARK = { passing: '✓', warning: '!', critical: '✕' };

// worst returns the worst status among checks, or '' when there are none.
export function worst(checks) {
  let rank = -1;
  for (const c of checks) rank = Math.max(rank, STATUS_ORDER.indexOf(c.Status));
  return rank < 0 ? '' : STATUS_ORDER[rank];
}

// statusBadge shows one check status as a mark and a word, so it does not
// rely on colour alone.
export function statusBadge(status) {
  return h('span', { class: `badge status-${status}`, 'data-status': status },
    h('span', { 'aria-hidden': 'true' }, STATUS_MARK[status] ?? '?'), ' ', status);
}

// healthSummary counts checks by status: "2 passing  1 critical". Its
// data-status attribute holds the worst status.
export function healthSummary(checks) {
  const counts = {};
  for (const c of checks) counts[c.Status] = (counts[c.Status] ?? 0) + 1;
  const status = worst(checks);
  if (!status) return h('span', { class: 'health muted', 'data-status': 'none' }, 'no checks');
  return h('span', { class: 'health', 'data-status': status },
    STATUS_ORDER.slice().reverse().filter((s) => counts[s]).map((s) =>
      h('span', { class: `badge status-${s}` },
        h('span', { 'aria-hidden': 'true' }, STATUS_MARK[s]), ` ${counts[s]} ${s}`)));
}

// tagList shows tags as small chips.
export function tagList(tags) {
  if (!tags?.length) return h('span', { class: 'muted' }, '—');
  return h('ul', { class: 'tags', 'aria-label': 'Tags' }, tags.map((t) => h('li', null, t)));
}

// table builds a table with a caption (its accessible name), a header row
// and body rows; empty is shown instead when there are no rows.
export function table(caption, headers, rows, empty) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('table', null,
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows));
}

// breadcrumbs is the trail of links above a detail view's heading.
export function breadcrumbs(...links) {
  return h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('ol', null, links.map(([text, url]) => h('li', null, url ? h('a', { href: url }, text) : text))));
}

// section is a titled part of a page whose body is replaced on refresh.
export function section(title, id) {
  const body = h('div', { class: 'section-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const el = h('section', { 'aria-labelledby': id }, h('h2', { id }, title), body);
  return { el, body, set: (...children) => body.replaceChildren(...children) };
}

// confirmButton is a button for a destructive action that asks first: a
// click shows "Confirm" and "Cancel" in its place; Confirm runs action.
export function confirmButton(label, { confirmLabel, describe, action, id }) {
  const wrap = h('span', { class: 'confirm' });
  const ask = () => wrap.replaceChildren(
    h('span', { class: 'confirm-question' }, `${describe}?`), ' ',
    h('button', { type: 'button', class: 'danger', onclick: run }, confirmLabel), ' ',
    h('button', { type: 'button', onclick: reset }, 'Cancel'));
  const reset = () => wrap.replaceChildren(
    h('button', { type: 'button', class: 'danger-outline', id, 'aria-label': describe, onclick: ask }, label));
  async function run(ev) {
    ev.target.disabled = true;
    try {
      await action();
    } finally {
      reset();
    }
  }
  reset();
  return wrap;
}

// filterBox is a labelled search field that calls onFilter on each edit.
function filterBox(id, placeholder, onFilter) {
  const input = h('input', { id, type: 'search', placeholder, autocomplete: 'off',
    oninput: () => onFilter(input.value.trim().toLowerCase()) });
  return h('div', { class: 'filter' }, h('label', { for: id }, 'Filter'), input);
}

// filteredTable starts a list view in main: its heading, a filter box, a
// count and a table. It returns set(rows), which redraws the table with
// the rows that pass the filter: matches(row, filter) tests one (filter is
// lowercase) and toRow(row) builds its <tr>.
export function filteredTable(main, { title, filterID, placeholder, noun, headers, matches, toRow }) {
  let rows = [];
  let filter = '';
  const summary = h('p', { class: 'lead' }, 'Loading…');
  const list = h('div');
  main.append(
    h('h1', { tabindex: '-1' }, title),
    h('div', { class: 'toolbar' }, filterBox(filterID, placeholder, (f) => { filter = f; draw(); })),
    summary, list);

  function draw() {
    const shown = rows.filter((r) => !filter || matches(r, filter));
    const total = plural(rows.length, noun);
    summary.textContent = filter ? `${shown.length} of ${total}` : total;
    list.replaceChildren(table(title, headers, shown.map(toRow),
      rows.length ? `No ${noun} matches the filter.` : `No ${plurals(noun)} are registered.`));
  }
  return (next) => {
    rows = next;
    draw();
  };
}

// duration formats nanoseconds as "15s".
export function duration(ns) {
  if (!ns) return '0s';
  const s = ns / 1e9;
  return s >= 1 ? `${+s.toFixed(3)}s` : `${ns / 1e6}ms`;
}

// checkTable lists checks with status and output; withService adds the
// service each check belongs to (for a node's page).
export function checkTable(caption, checks, withService) {
  const headers = ['Check', 'Status', ...(withService ? ['Service'] : []), 'Output'];
  return table(caption, headers, checks.map((c) => {
    const tr = h('tr', null,
      h('th', { scope: 'row' }, c.Name, h('div', { class: 'muted small' }, c.CheckID)),
      h('td', null, statusBadge(c.Status)),
      withService ? h('td', null, c.ServiceName || h('span', { class: 'muted' }, 'node')) : null,
      h('td', null, c.Output ? h('pre', { class: 'output' }, c.Output) : h('span', { class: 'muted' }, '—')));
    tr.dataset.check = c.CheckID;
    return tr;
  }), 'No checks.');
}

// plural writes "1 node", "2 nodes", "2 policies".
export function plural(n, word) {
  return `${n} ${n === 1 ? word : plurals(word)}`;
}

// plurals is the plural of a noun of the UI.
function plurals(word) {
  return word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`;
}
