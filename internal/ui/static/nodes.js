// nodes.js: the Nodes list and one node's checks, services and sessions.

import * as api from './api.js';
import { h, href, healthSummary, tagList, table, breadcrumbs, filteredTable, section, checkTable } from './dom.js';
import { sessionTable } from './sessions.js';

// nodeList shows every node with its address, health and services. It
// watches the nodes, the services and all checks; on a change it reads
// each node's services afresh.
export function nodeList(ctx) {
  const { dc, signal } = ctx;
  const set = filteredTable(ctx.main, {
    title: 'Nodes',
    filterID: 'node-filter',
    placeholder: 'Name or address',
    noun: 'node',
    headers: ['Node', 'Address', 'Health', 'Services'],
    matches: (r, f) => r.node.Node.toLowerCase().includes(f) || r.node.Address.toLowerCase().includes(f),
    toRow(r) {
      const tr = h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: href.node(dc, r.node.Node) }, r.node.Node)),
        h('td', null, h('code', null, r.node.Address)),
        h('td', null, healthSummary(r.checks)),
        h('td', null, r.services.length
          ? h('ul', { class: 'inline' }, r.services.map((s) => h('li', null, h('a', { href: href.service(dc, s) }, s))))
          : h('span', { class: 'muted' }, 'none')));
      tr.dataset.node = r.node.Node;
      return tr;
    },
  });

  let generation = 0;
  ctx.watchAll([
    { path: '/v1/catalog/nodes' },
    { path: '/v1/health/state/any' },
    { path: '/v1/catalog/services' },
  ], async ([nodes, checks]) => {
    const mine = ++generation;
    nodes ??= [];
    const services = await Promise.all(nodes.map((n) =>
      api.get(`/v1/catalog/node-services/${api.segment(n.Node)}`, { signal, allow404: true })));
    if (mine !== generation) return;
    set(nodes.map((node, i) => ({
      node,
      checks: (checks ?? []).filter((c) => c.Node === node.Node),
      services: [...new Set((services[i]?.Services ?? []).map((s) => s.Service))].sort(),
    })));
  });
}

// nodeDetail shows one node: its address and metadata, its checks, the
// service instances on it and its sessions (which can be invalidated).
export function nodeDetail(ctx, name) {
  const { dc } = ctx;
  const facts = h('div', null);
  const checks = section('Health checks', 'node-checks');
  const services = section('Services', 'node-services');
  const sessions = section('Sessions', 'node-sessions');
  ctx.main.append(
    breadcrumbs(['Nodes', href.nodes(dc)], [name]),
    h('h1', { tabindex: '-1' }, name),
    facts, checks.el, services.el, sessions.el);

  ctx.watch(`/v1/health/node/${api.segment(name)}`, {}, (list) => {
    list ??= [];
    checks.set(h('p', { class: 'lead' }, healthSummary(list)), checkTable(`Checks on ${name}`, list, true));
  });

  ctx.watch(`/v1/catalog/node-services/${api.segment(name)}`, { allow404: true }, (data) => {
    if (!data?.Node) {
      facts.replaceChildren(h('p', { class: 'empty' }, `Node ${name} is not in the catalog.`));
      services.set(h('p', { class: 'empty' }, 'No services.'));
      return;
    }
    const node = data.Node;
    const meta = Object.entries(node.Meta ?? {}).sort();
    facts.replaceChildren(h('dl', { class: 'facts' },
      h('dt', null, 'Address'), h('dd', null, h('code', null, node.Address)),
      h('dt', null, 'Datacenter'), h('dd', null, node.Datacenter),
      node.ID ? [h('dt', null, 'ID'), h('dd', null, h('code', null, node.ID))] : null,
      meta.length ? [h('dt', null, 'Metadata'), h('dd', null, tagList(meta.map(([k, v]) => `${k}=${v}`)))] : null));
    services.set(table(`Services on ${name}`, ['Service', 'ID', 'Address', 'Tags'],
      (data.Services ?? []).map((s) => h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: href.service(dc, s.Service) }, s.Service)),
        h('td', null, s.ID),
        h('td', null, h('code', null, `${s.Address || node.Address}:${s.Port}`)),
        h('td', null, tagList(s.Tags)))),
      'No services on this node.'));
  });

  ctx.watch(`/v1/session/node/${api.segment(name)}`, {}, (list) => {
    sessions.set(sessionTable(ctx, list ?? [], false));
  });
}
