// kv.js: the Key/Value view. A path ending in "/" (or empty) is a folder:
// its keys and subfolders, split at "/", with forms to create a key or
// folder and to delete the folder. Any other path is one key: its value as
// text or JSON, and forms to edit or delete it. Edits and deletes carry
// the ModifyIndex the user saw (check-and-set), so a change made elsewhere
// in the meantime is refused, never overwritten.

import * as api from './api.js';
import { h, href, breadcrumbs, confirmButton } from './dom.js';

export function kvView(ctx, path) {
  if (path === '' || path.endsWith('/')) folderView(ctx, path);
  else keyView(ctx, path);
}

// parentOf returns the folder holding key: "a/b/" for "a/b/c" and "a/b/c/".
function parentOf(key) {
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  return trimmed.slice(0, trimmed.lastIndexOf('/') + 1);
}

// trail is the breadcrumb from the root to path, the last part unlinked.
function trail(dc, path) {
  const parts = path.split('/').filter(Boolean);
  const links = [['Key/Value', href.kv(dc, '')]];
  let at = '';
  parts.forEach((part, i) => {
    at += part + '/';
    links.push([part, i < parts.length - 1 ? href.kv(dc, at) : null]);
  });
  return breadcrumbs(...links);
}

function kvURL(key) {
  return `/v1/kv/${api.keyPath(key)}`;
}

// formError is a form's own error line, announced when it changes.
function formError(id) {
  const el = h('p', { id, class: 'error', role: 'alert', hidden: true });
  return {
    el,
    show(text) { el.textContent = text; el.hidden = !text; },
  };
}

function folderView(ctx, prefix) {
  const { dc } = ctx;
  const list = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const nameInput = h('input', { id: 'kv-new-name', required: true, autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'kv-new-hint' });
  const valueInput = h('textarea', { id: 'kv-new-value', rows: '6', spellcheck: 'false' });
  const createError = formError('kv-create-error');
  const form = h('form', { id: 'kv-create-form', class: 'panel', hidden: true, 'aria-labelledby': 'kv-create-title',
    onsubmit: (ev) => { ev.preventDefault(); create(); } },
  h('h2', { id: 'kv-create-title' }, `Create in ${prefix || 'the root'}`),
  h('label', { for: 'kv-new-name' }, 'Key or folder name'),
  h('div', { class: 'prefixed' }, prefix ? h('span', { class: 'prefix' }, prefix) : null, nameInput),
  h('p', { id: 'kv-new-hint', class: 'hint' }, 'End the name with / to create a folder.'),
  h('label', { for: 'kv-new-value' }, 'Value'),
  valueInput,
  createError.el,
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary', id: 'kv-create-save' }, 'Save'),
    h('button', { type: 'button', onclick: () => toggleForm(false) }, 'Cancel')));
  const createButton = h('button', { type: 'button', class: 'primary', id: 'kv-create',
    'aria-expanded': 'false', 'aria-controls': 'kv-create-form', onclick: () => toggleForm(form.hidden) }, 'Create');

  ctx.main.append(
    prefix ? trail(dc, prefix) : null,
    h('h1', { tabindex: '-1' }, prefix || 'Key/Value'),
    h('div', { class: 'toolbar' }, createButton,
      prefix ? confirmButton('Delete folder', {
        id: 'kv-delete-folder',
        confirmLabel: 'Delete',
        describe: `Delete folder ${prefix} and every key in it`,
        action: deleteFolder,
      }) : null),
    form, list);

  function toggleForm(open) {
    form.hidden = !open;
    createButton.setAttribute('aria-expanded', String(open));
    createError.show('');
    if (open) nameInput.focus();
  }

  async function create() {
    const name = nameInput.value;
    if (!name || name === '/') return createError.show('Enter a name.');
    if (name.startsWith('/')) return createError.show('A name cannot start with /.');
    const key = prefix + name;
    const folder = key.endsWith('/');
    try {
      // cas=0 writes only if the key does not exist yet.
      const ok = await api.put(kvURL(key), folder ? '' : valueInput.value, { params: { cas: 0 } });
      if (!ok) return createError.show(`${key} already exists; it was not overwritten.`);
      ctx.notify(`Created ${key}.`);
      ctx.go(href.kv(dc, key));
    } catch (err) {
      createError.show(err.message);
    }
  }

  async function deleteFolder() {
    try {
      await api.del(kvURL(prefix), { params: { recurse: true } });
      ctx.notify(`Deleted folder ${prefix}.`);
      ctx.go(href.kv(dc, parentOf(prefix)));
    } catch (err) {
      ctx.report(err);
    }
  }

  ctx.watch(kvURL(prefix), { params: { keys: true, separator: '/' }, allow404: true }, (keys) => {
    const items = (keys ?? []).filter((k) => k !== prefix).map((key) => ({
      key, name: key.slice(prefix.length), folder: key.endsWith('/'),
    })).sort((a, b) => (b.folder - a.folder) || a.name.localeCompare(b.name));
    if (!items.length) {
      list.replaceChildren(h('p', { class: 'empty' }, prefix ? 'This folder is empty.' : 'There are no keys yet.'));
      return;
    }
    list.replaceChildren(h('ul', { class: 'kv-list', 'aria-label': `Keys in ${prefix || 'the root'}` },
      items.map((it) => {
        const li = h('li', { class: it.folder ? 'folder' : 'key' },
          h('a', { href: href.kv(dc, it.key) },
            h('span', { class: 'icon', 'aria-hidden': 'true' }, it.folder ? '▸' : '•'),
            it.name,
            h('span', { class: 'visually-hidden' }, it.folder ? ' (folder)' : ' (key)')));
        li.dataset.key = it.key;
        return li;
      })));
  });
}

// decodeValue turns a KV value (base64) into text; a value that is not
// UTF-8 stays base64 and is marked binary.
function decodeValue(b64) {
  if (!b64) return { text: '', binary: false, size: 0 };
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), binary: false, size: bytes.length };
  } catch {
    return { text: b64, binary: true, size: bytes.length };
  }
}

function keyView(ctx, key) {
  const { dc } = ctx;
  let entry = null; // the KV pair on screen, null if missing
  let editing = null; // {index, flags} of the pair the edit started from
  let mode = ''; // 'text' or 'json'; '' until the first value picks one

  const facts = h('div');
  const valueBox = h('div', { class: 'value-box' });
  const modeRadios = ['text', 'json'].map((m) => h('input', {
    type: 'radio', name: 'kv-mode', id: `kv-mode-${m}`, value: m,
    onchange: () => { mode = m; drawValue(); },
  }));
  const modes = h('fieldset', { class: 'segmented' }, h('legend', null, 'Show as'),
    modeRadios[0], h('label', { for: 'kv-mode-text' }, 'Text'),
    modeRadios[1], h('label', { for: 'kv-mode-json' }, 'JSON'));

  const editInput = h('textarea', { id: 'kv-edit-value', rows: '10', spellcheck: 'false' });
  const editHint = h('p', { class: 'hint' });
  const changedNotice = h('p', { class: 'notice', id: 'kv-edit-changed', role: 'status', hidden: true });
  const editError = formError('kv-edit-error');
  const editForm = h('form', { id: 'kv-edit-form', class: 'panel', hidden: true, 'aria-labelledby': 'kv-edit-title',
    onsubmit: (ev) => { ev.preventDefault(); save(); } },
  h('h2', { id: 'kv-edit-title' }, 'Edit value'),
  h('label', { for: 'kv-edit-value' }, 'Value'),
  editInput, editHint, changedNotice, editError.el,
  h('div', { class: 'actions' },
    h('button', { type: 'submit', class: 'primary', id: 'kv-save' }, 'Save'),
    h('button', { type: 'button', id: 'kv-cancel', onclick: stopEditing }, 'Cancel')));
  const editButton = h('button', { type: 'button', class: 'primary', id: 'kv-edit',
    'aria-controls': 'kv-edit-form', onclick: startEditing }, 'Edit');
  const deleteButton = confirmButton('Delete', {
    id: 'kv-delete', confirmLabel: 'Delete', describe: `Delete key ${key}`, action: remove,
  });
  const toolbar = h('div', { class: 'toolbar' }, editButton, deleteButton);
  const valueSection = h('section', { 'aria-labelledby': 'kv-value-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'kv-value-title' }, 'Value'), modes), valueBox);

  ctx.main.append(trail(dc, key), h('h1', { tabindex: '-1' }, key), facts, toolbar, editForm, valueSection);

  function drawValue() {
    if (!entry) return;
    const v = decodeValue(entry.Value);
    modeRadios.forEach((r) => { r.checked = r.value === mode; r.disabled = v.binary; });
    if (v.binary) {
      valueBox.replaceChildren(h('p', { class: 'muted' }, `Binary value (${v.size} bytes), shown as base64:`),
        h('pre', { id: 'kv-value', class: 'value' }, v.text));
      return;
    }
    if (mode === 'json') {
      try {
        const pretty = JSON.stringify(JSON.parse(v.text), null, 2);
        valueBox.replaceChildren(h('pre', { id: 'kv-value', class: 'value json' }, pretty));
        return;
      } catch (err) {
        valueBox.replaceChildren(h('p', { class: 'notice' }, `Not valid JSON (${err.message}); shown as text.`),
          h('pre', { id: 'kv-value', class: 'value' }, v.text));
        return;
      }
    }
    valueBox.replaceChildren(v.text === ''
      ? h('p', { id: 'kv-value', class: 'muted' }, 'Empty value.')
      : h('pre', { id: 'kv-value', class: 'value' }, v.text));
  }

  function startEditing() {
    if (!entry) return;
    const v = decodeValue(entry.Value);
    ctx.notify('');
    editing = { index: entry.ModifyIndex, flags: entry.Flags };
    editInput.value = v.text;
    editHint.textContent = `Saving checks that the key is still at index ${editing.index}: ` +
      'if it was changed elsewhere meanwhile, nothing is overwritten.';
    changedNotice.hidden = true;
    editError.show('');
    editForm.hidden = false;
    editButton.disabled = true;
    editInput.focus();
  }

  function stopEditing() {
    editing = null;
    editForm.hidden = true;
    editButton.disabled = !entry || decodeValue(entry.Value).binary;
    editButton.focus();
  }

  async function save() {
    const from = editing;
    try {
      const ok = await api.put(kvURL(key), editInput.value, { params: { cas: from.index, flags: from.flags } });
      if (ok) {
        ctx.notify(`Saved ${key}.`);
        stopEditing();
        return;
      }
      const now = (await api.get(kvURL(key), { allow404: true }))?.[0];
      editError.show(now
        ? `Not saved: ${key} was changed elsewhere (index ${from.index} → ${now.ModifyIndex}) after you began ` +
          'editing. Your text is still here; cancel to see the current value, then edit again.'
        : `Not saved: ${key} was deleted elsewhere after you began editing.`);
    } catch (err) {
      editError.show(err.message);
    }
  }

  async function remove() {
    if (!entry) return;
    try {
      const ok = await api.del(kvURL(key), { params: { cas: entry.ModifyIndex } });
      if (!ok) {
        ctx.report(new Error(`Not deleted: ${key} was changed elsewhere; check its value and try again.`));
        return;
      }
      ctx.notify(`Deleted ${key}.`);
      ctx.go(href.kv(dc, parentOf(key)));
    } catch (err) {
      ctx.report(err);
    }
  }

  ctx.watch(kvURL(key), { allow404: true }, (pairs) => {
    entry = pairs?.[0] ?? null;
    if (!entry) {
      facts.replaceChildren(h('p', { class: 'empty' }, `The key ${key} does not exist. `,
        h('a', { href: href.kv(dc, parentOf(key)) }, 'Back to its folder'), '.'));
      toolbar.hidden = true;
      valueSection.hidden = true;
      if (editing) {
        changedNotice.textContent = 'This key was deleted elsewhere since you began editing.';
        changedNotice.hidden = false;
      }
      return;
    }
    toolbar.hidden = false;
    valueSection.hidden = false;
    const v = decodeValue(entry.Value);
    if (!mode) mode = looksLikeJSON(v.text) ? 'json' : 'text';
    facts.replaceChildren(h('dl', { class: 'facts' },
      h('dt', null, 'Size'), h('dd', null, `${v.size} bytes`),
      h('dt', null, 'Flags'), h('dd', null, entry.Flags),
      h('dt', null, 'Modify index'), h('dd', { id: 'kv-modify-index' }, entry.ModifyIndex),
      h('dt', null, 'Create index'), h('dd', null, entry.CreateIndex),
      h('dt', null, 'Lock'), h('dd', null, entry.Session
        ? ['held by session ', h('code', null, entry.Session), ` (lock index ${entry.LockIndex})`]
        : h('span', { class: 'muted' }, `not held (lock index ${entry.LockIndex})`))));
    if (!editing) editButton.disabled = v.binary;
    if (editing && entry.ModifyIndex !== editing.index) {
      changedNotice.textContent = `This key was changed elsewhere (now at index ${entry.ModifyIndex}) ` +
        'since you began editing; saving will be refused.';
      changedNotice.hidden = false;
    }
    drawValue();
  });
}

function looksLikeJSON(text) {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return false;
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
}
