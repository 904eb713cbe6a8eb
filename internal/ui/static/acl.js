// acl.js: the Tokens and Policies views. They read the ACL endpoints with
// the token the user logged in with; without one that may read them the
// agent answers 403, which the page shows as permission denied.

import * as api from './api.js';
import { h, href, tagList, table, breadcrumbs, filteredTable, section } from './dom.js';

const ANONYMOUS = '00000000-0000-0000-0000-000000000002';

// tokenList shows every token the caller may read: its accessor, its
// description, the policies and roles it links to, and whether it is local.
export function tokenList(ctx) {
  const { dc } = ctx;
  const set = filteredTable(ctx.main, {
    title: 'Tokens',
    filterID: 'token-filter',
    placeholder: 'Accessor, description or policy',
    noun: 'token',
    headers: ['AccessorID', 'Description', 'Policies', 'Roles', 'Scope', 'Created'],
    matches: (t, f) => t.AccessorID.includes(f) || (t.Description ?? '').toLowerCase().includes(f) ||
      (t.Policies ?? []).some((p) => p.Name.toLowerCase().includes(f)),
    toRow(t) {
      const tr = h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: href.token(dc, t.AccessorID) }, h('code', { class: 'small' }, t.AccessorID))),
        h('td', null, t.Description || h('span', { class: 'muted' }, '—')),
        h('td', null, linkList(dc, t.Policies, href.policy)),
        h('td', null, tagList((t.Roles ?? []).map((r) => r.Name))),
        h('td', null, t.Local ? 'local' : 'global'),
        h('td', null, when(t.CreateTime)));
      tr.dataset.token = t.AccessorID;
      return tr;
    },
  });
  ctx.watch('/v1/acl/tokens', {}, (tokens) => set(tokens ?? []));
}

// tokenDetail shows one token. Its SecretID stays hidden until asked for,
// as anyone looking at the screen could use it.
export function tokenDetail(ctx, accessor) {
  const { dc } = ctx;
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  ctx.main.append(
    breadcrumbs(['Tokens', href.tokens(dc)], [accessor]),
    h('h1', { tabindex: '-1' }, accessor === ANONYMOUS ? 'Anonymous token' : 'Token'),
    body);
  ctx.watch(`/v1/acl/token/${api.segment(accessor)}`, { allow404: true }, (t) => {
    if (!t) {
      body.replaceChildren(h('p', { class: 'empty' }, `There is no token with AccessorID ${accessor}.`));
      return;
    }
    const secret = h('code', { id: 'token-secret' }, '••••••••');
    const reveal = h('button', { type: 'button', id: 'token-reveal', onclick: () => {
      const shown = secret.textContent === t.SecretID;
      secret.textContent = shown ? '••••••••' : t.SecretID;
      reveal.textContent = shown ? 'Show' : 'Hide';
    } }, 'Show');
    const services = (t.ServiceIdentities ?? []).map((s) =>
      `${s.ServiceName} (${s.Datacenters?.length ? s.Datacenters.join(', ') : 'all datacenters'})`);
    const nodes = (t.NodeIdentities ?? []).map((n) => `${n.NodeName} (${n.Datacenter})`);
    body.replaceChildren(h('dl', { class: 'facts', id: 'token-facts' },
      h('dt', null, 'AccessorID'), h('dd', null, h('code', null, t.AccessorID)),
      h('dt', null, 'SecretID'), h('dd', null, secret, ' ', reveal),
      h('dt', null, 'Description'), h('dd', null, t.Description || h('span', { class: 'muted' }, '—')),
      h('dt', null, 'Scope'), h('dd', null, t.Local ? 'local to this datacenter' : 'global'),
      h('dt', null, 'Created'), h('dd', null, when(t.CreateTime)),
      t.ExpirationTime ? [h('dt', null, 'Expires'), h('dd', null, when(t.ExpirationTime))] : null,
      h('dt', null, 'Policies'), h('dd', { id: 'token-policies' }, linkList(dc, t.Policies, href.policy)),
      h('dt', null, 'Roles'), h('dd', null, tagList((t.Roles ?? []).map((r) => r.Name))),
      services.length ? [h('dt', null, 'Service identities'), h('dd', null, tagList(services))] : null,
      nodes.length ? [h('dt', null, 'Node identities'), h('dd', null, tagList(nodes))] : null));
  });
}

// policyList shows every policy with its description and datacenters.
export function policyList(ctx) {
  const { dc } = ctx;
  const set = filteredTable(ctx.main, {
    title: 'Policies',
    filterID: 'policy-filter',
    placeholder: 'Name or description',
    noun: 'policy',
    headers: ['Name', 'Description', 'Datacenters', 'ID'],
    matches: (p, f) => p.Name.toLowerCase().includes(f) || (p.Description ?? '').toLowerCase().includes(f),
    toRow(p) {
      const tr = h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: href.policy(dc, p.ID) }, p.Name)),
        h('td', null, p.Description || h('span', { class: 'muted' }, '—')),
        h('td', null, p.Datacenters?.length ? tagList(p.Datacenters) : h('span', { class: 'muted' }, 'all')),
        h('td', null, h('code', { class: 'small' }, p.ID)));
      tr.dataset.policy = p.Name;
      return tr;
    },
  });
  ctx.watch('/v1/acl/policies', {}, (policies) => set(policies ?? []));
}

// policyDetail shows one policy: its fields, its rules as written, and
// the tokens that link to it.
export function policyDetail(ctx, id) {
  const { dc } = ctx;
  const heading = h('h1', { tabindex: '-1' }, 'Policy');
  const facts = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const rules = section('Rules', 'policy-rules');
  const tokens = section('Tokens using it', 'policy-tokens');
  ctx.main.append(breadcrumbs(['Policies', href.policies(dc)], [id]), heading, facts, rules.el, tokens.el);

  ctx.watch(`/v1/acl/policy/${api.segment(id)}`, { allow404: true }, (p) => {
    if (!p) {
      facts.replaceChildren(h('p', { class: 'empty' }, `There is no policy with ID ${id}.`));
      rules.set();
      return;
    }
    heading.textContent = p.Name;
    facts.replaceChildren(h('dl', { class: 'facts' },
      h('dt', null, 'ID'), h('dd', null, h('code', null, p.ID)),
      h('dt', null, 'Description'), h('dd', null, p.Description || h('span', { class: 'muted' }, '—')),
      h('dt', null, 'Datacenters'), h('dd', null, p.Datacenters?.length ? tagList(p.Datacenters) : 'all')));
    rules.set(p.Rules
      ? h('pre', { class: 'value', id: 'policy-rules-text' }, p.Rules)
      : h('p', { class: 'empty' }, 'No rules: this policy grants nothing by itself.'));
  });
  ctx.watch('/v1/acl/tokens', { params: { policy: id } }, (list) => {
    tokens.set(table('Tokens using this policy', ['AccessorID', 'Description'], (list ?? []).map((t) =>
      h('tr', null,
        h('th', { scope: 'row' }, h('a', { href: href.token(dc, t.AccessorID) }, h('code', { class: 'small' }, t.AccessorID))),
        h('td', null, t.Description || h('span', { class: 'muted' }, '—')))),
    'No token links to this policy directly.'));
  });
}

// linkList shows policy links as links to their pages.
function linkList(dc, links, to) {
  if (!links?.length) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'inline' }, links.map((l) => h('li', null, h('a', { href: to(dc, l.ID) }, l.Name || l.ID))));
}

// when formats an RFC 3339 time in the browser's locale; Go's zero time
// (built-in tokens) shows as a dash.
function when(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return '—';
  return d.toLocaleString();
}
