// sessions.js: the Sessions view, all sessions or a node's, each of which
// can be invalidated (destroyed), which releases the locks it holds.

import * as api from './api.js';
import { h, href, table, confirmButton, duration, plural } from './dom.js';

// sessionList shows the sessions of node, or of every node when node is
// undefined, with a node selector.
export function sessionList(ctx, node) {
  const { dc } = ctx;
  const select = h('select', { id: 'session-node' }, h('option', { value: '' }, 'All nodes'));
  select.addEventListener('change', () => ctx.go(href.sessions(dc, select.value || undefined)));
  const summary = h('p', { class: 'lead' }, 'Loading…');
  const list = h('div');
  ctx.main.append(
    h('h1', { tabindex: '-1' }, node ? `Sessions of ${node}` : 'Sessions'),
    h('div', { class: 'toolbar' }, h('label', { for: 'session-node' }, 'Node'), select),
    summary, list);

  ctx.watch('/v1/catalog/nodes', {}, (nodes) => {
    const names = (nodes ?? []).map((n) => n.Node);
    if (node && !names.includes(node)) names.push(node);
    select.replaceChildren(h('option', { value: '' }, 'All nodes'),
      ...names.sort().map((n) => h('option', { value: n, selected: n === node }, n)));
  });

  const path = node ? `/v1/session/node/${api.segment(node)}` : '/v1/session/list';
  ctx.watch(path, {}, (sessions) => {
    sessions ??= [];
    summary.textContent = plural(sessions.length, 'session');
    list.replaceChildren(sessionTable(ctx, sessions, !node));
  });
}

// sessionTable lists sessions with an Invalidate button each; withNode
// adds the node column.
export function sessionTable(ctx, sessions, withNode) {
  const headers = ['Name', 'ID', ...(withNode ? ['Node'] : []), 'Behavior', 'TTL', 'Lock delay', 'Checks', 'Action'];
  const rows = [...sessions].sort((a, b) => a.CreateIndex - b.CreateIndex).map((s) => {
    const label = s.Name || s.ID;
    const checks = [...(s.NodeChecks ?? []), ...(s.ServiceChecks ?? []).map((c) => c.ID)];
    const tr = h('tr', null,
      h('th', { scope: 'row' }, s.Name || h('span', { class: 'muted' }, 'unnamed')),
      h('td', null, h('code', { class: 'small' }, s.ID)),
      withNode ? h('td', null, h('a', { href: href.node(ctx.dc, s.Node) }, s.Node)) : null,
      h('td', null, s.Behavior),
      h('td', null, s.TTL || h('span', { class: 'muted' }, 'none')),
      h('td', null, duration(s.LockDelay)),
      h('td', null, checks.length ? checks.join(', ') : h('span', { class: 'muted' }, 'none')),
      h('td', null, confirmButton('Invalidate', {
        confirmLabel: 'Invalidate',
        describe: `Invalidate session ${label}`,
        action: () => invalidate(ctx, s, label),
      })));
    tr.dataset.session = s.ID;
    return tr;
  });
  return table('Sessions', headers, rows, 'No sessions.');
}

async function invalidate(ctx, session, label) {
  try {
    await api.put(`/v1/session/destroy/${api.segment(session.ID)}`);
    ctx.report(null);
    ctx.notify(`Session ${label} invalidated.`);
  } catch (err) {
    ctx.report(err);
  }
}
