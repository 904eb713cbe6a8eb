// services.js: the Services list (the UI's home page) and one service's
// instances with their checks.

import * as api from './api.js';
import { h, href, healthSummary, tagList, breadcrumbs, filteredTable, checkTable, plural } from './dom.js';

// serviceList shows every service with its instance count, a health
// summary and its tags. It watches the catalog's services and every
// check's state; on a change it reads each service's health afresh.
export function serviceList(ctx) {
  const { dc, signal } = ctx;
  const set = filteredTable(ctx.main, {
    title: 'Services',
    filterID: 'service-filter',
    placeholder: 'Name or tag',
    noun: 'service',
    headers: ['Service', 'Health', 'Instances', 'Tags'],
    matches: (r, f) => r.name.toLowerCase().includes(f) || r.tags.some((t) => t.toLowerCase().includes(f)),
    toRow(r) {
      const tr = h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: href.service(dc, r.name) }, r.name)),
        h('td', null, healthSummary(r.entries.flatMap((e) => e.Checks))),
        h('td', { class: 'num' }, r.entries.length),
        h('td', null, tagList(r.tags)));
      tr.dataset.service = r.name;
      return tr;
    },
  });

  let generation = 0;
  ctx.watchAll([{ path: '/v1/catalog/services' }, { path: '/v1/health/state/any' }], async ([services]) => {
    const mine = ++generation;
    const names = Object.keys(services ?? {}).sort();
    const entries = await Promise.all(names.map((n) => api.get(`/v1/health/service/${api.segment(n)}`, { signal })));
    if (mine !== generation) return; // a newer change is being drawn
    set(names.map((name, i) => ({ name, tags: services[name] ?? [], entries: entries[i] ?? [] })));
  });
}

// serviceDetail shows the instances of one service: node, address:port,
// tags and each check (the node's and the instance's) with its output.
export function serviceDetail(ctx, name) {
  const { dc } = ctx;
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  ctx.main.append(
    breadcrumbs(['Services', href.services(dc)], [name]),
    h('h1', { tabindex: '-1' }, name),
    body);

  ctx.watch(`/v1/health/service/${api.segment(name)}`, {}, (entries) => {
    entries ??= [];
    if (!entries.length) {
      body.replaceChildren(h('p', { class: 'empty' }, `No instances of ${name} are registered.`));
      return;
    }
    const checks = entries.flatMap((e) => e.Checks);
    body.replaceChildren(
      h('p', { class: 'lead' }, plural(entries.length, 'instance'), ' · ', healthSummary(checks)),
      h('h2', null, 'Instances'),
      ...entries.map((e) => instance(dc, e)));
  });
}

function instance(dc, { Node: node, Service: svc, Checks: checks }) {
  const address = `${svc.Address || node.Address}:${svc.Port}`;
  const headingID = `instance-${svc.ID}-${node.Node}`.replace(/\s/g, '_');
  const card = h('article', { class: 'card', 'aria-labelledby': headingID },
    h('h3', { id: headingID }, svc.ID),
    h('dl', { class: 'facts' },
      h('dt', null, 'Node'), h('dd', null, h('a', { href: href.node(dc, node.Node) }, node.Node)),
      h('dt', null, 'Address'), h('dd', null, h('code', null, address)),
      h('dt', null, 'Tags'), h('dd', null, tagList(svc.Tags))),
    checkTable(`Checks of ${svc.ID}`, checks, false));
  card.dataset.instance = svc.ID;
  return card;
}
