// Provisioning keys: create (the key is shown once, with a copy button),
// list, revoke.

import * as api from '../api.js';
import {h, clear, dataTable, timeCell, errorBox, loading, statusLine, newId, confirmDialog, DASH,
  fill, append} from '../dom.js';

const FLEET_ID = /^[A-Za-z0-9._-]{1,128}$/;
let sort = {key: 'id', dir: 'desc'};

export async function render(ctx) {
  ctx.setTitle('Provisioning keys');
  const fleetFilter = ctx.query.get('fleet') ?? '';
  const status = statusLine(ctx.flash);
  const created = h('div');
  const createHolder = h('div', null, loading('the form'));
  const filterHolder = h('div');
  const list = h('div', null, loading('keys'));
  append(ctx.root, h('h1', null, 'Provisioning keys'),
      h('p', {class: 'hint'}, 'A device registers with a provisioning key and joins the key\'s ' +
          'fleet. The server keeps only a hash: a key is shown once, when it is created.'),
      status, created,
      h('section', {'aria-label': 'Create a key'}, h('h2', null, 'Create a key'), createHolder),
      h('section', {'aria-label': 'All keys'}, h('h2', null, 'Keys'), filterHolder, list));
  ctx.focusHeading();

  let fleets = [];
  try {
    fleets = (await api.get('/fleets')).fleets;
  } catch (e) {
    status.textContent = `Could not load the fleets: ${e.message}`;
  }
  if (!ctx.alive()) return;

  let keys = [];
  const reload = async () => {
    try {
      const query = fleetFilter ? `?fleetId=${encodeURIComponent(fleetFilter)}` : '';
      keys = (await api.get(`/provisioning-keys${query}`)).keys;
      if (!ctx.alive()) return;
      draw();
    } catch (e) {
      if (!ctx.alive()) return;
      fill(list, errorBox(`Could not load the keys: ${e.message}`));
    }
  };

  const revoke = async (key) => {
    const done = await confirmDialog({
      title: `Revoke key ${key.id}?`,
      body: `Devices can no longer register with it (fleet ${key.fleetId}). Devices already ` +
          'registered keep working.',
      confirmLabel: 'Revoke key',
      onConfirm: () => api.del(api.path.key(key.id)),
    });
    if (done) {
      status.textContent = `Key ${key.id} revoked.`;
      await reload();
    }
  };

  const draw = () => fill(list, dataTable({
    caption: fleetFilter ? `Keys of fleet ${fleetFilter}` : 'Keys of every fleet',
    rows: keys,
    sort,
    onSort: (next) => {
      sort = next;
      draw();
    },
    empty: 'No keys yet.',
    columns: [
      {key: 'id', label: 'Id', sortable: true},
      {key: 'fleetId', label: 'Fleet', sortable: true},
      {key: 'description', label: 'Description', sortable: true},
      {key: 'used', label: 'Devices', sortable: true, value: (k) => k.devicesProvisioned,
        cell: (k) => `${k.devicesProvisioned} of ${k.maxDevices ?? '∞'}`},
      {key: 'expiresAt', label: 'Expires', sortable: true,
        cell: (k) => (k.expiresAt ? timeCell(k.expiresAt) : 'never')},
      {key: 'state', label: 'State', sortable: true, value: keyState, cell: keyState},
      {key: 'createdAt', label: 'Created', sortable: true, cell: (k) => timeCell(k.createdAt)},
      {key: 'lastUsedAt', label: 'Last used', sortable: true,
        cell: (k) => (k.lastUsedAt ? timeCell(k.lastUsedAt) : DASH)},
      {key: 'actions', label: 'Actions', cell: (k) => (k.isActive ?
        h('button', {type: 'button', class: 'danger', onclick: () => revoke(k)},
            `Revoke key ${k.id}`) : '')},
    ],
  }));

  fill(filterHolder, filterForm(ctx, fleets, fleetFilter));
  fill(createHolder, createForm(fleets, async (body) => {
    const key = await api.post('/provisioning-keys', body);
    if (!ctx.alive()) return;
    fill(created, oneTimeKey(key, () => clear(created)));
    status.textContent = `Key ${key.id} created for fleet ${key.fleetId}.`;
    created.querySelector('input').focus();
    await reload();
  }));
  await reload();
}

function keyState(key) {
  if (!key.isActive) return 'revoked';
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= Date.now()) return 'expired';
  if (key.maxDevices !== null && key.devicesProvisioned >= key.maxDevices) return 'used up';
  return 'active';
}

function filterForm(ctx, fleets, selected) {
  const id = newId('keys-fleet');
  const select = h('select', {id}, h('option', {value: ''}, 'All fleets'),
      fleets.map((f) => h('option', {value: f.id, selected: f.id === selected}, f.id)));
  const form = h('form', {class: 'inline'}, h('label', {for: id}, 'Show keys of'), select,
      h('button', {type: 'submit'}, 'Show keys'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(select.value ? `/admin/keys?fleet=${encodeURIComponent(select.value)}` :
      '/admin/keys');
  });
  return form;
}

function createForm(fleets, create) {
  const ids = {
    fleet: newId('key-fleet'), fleets: newId('key-fleets'), max: newId('key-max'),
    days: newId('key-days'), description: newId('key-description'),
  };
  const error = h('p', {class: 'error', role: 'alert', hidden: true});
  const fleet = h('input', {id: ids.fleet, type: 'text', list: ids.fleets, required: true,
    spellcheck: 'false', 'aria-describedby': `${ids.fleet}-hint`});
  const max = h('input', {id: ids.max, type: 'number', min: 1, step: 1, inputmode: 'numeric'});
  const days = h('input', {id: ids.days, type: 'number', min: 1, max: 36500, step: 1,
    inputmode: 'numeric'});
  const description = h('input', {id: ids.description, type: 'text'});
  const button = h('button', {type: 'submit', class: 'primary'}, 'Create key');
  const form = h('form', {class: 'stacked', novalidate: true},
      h('div', {class: 'field'}, h('label', {for: ids.fleet}, 'Fleet id'), fleet,
          h('datalist', {id: ids.fleets}, fleets.map((f) => h('option', {value: f.id}))),
          h('p', {id: `${ids.fleet}-hint`, class: 'hint'},
              'A new fleet id creates that fleet.')),
      h('div', {class: 'field'}, h('label', {for: ids.max}, 'Maximum devices (empty: no limit)'),
          max),
      h('div', {class: 'field'}, h('label', {for: ids.days}, 'Expires in days (empty: never)'),
          days),
      h('div', {class: 'field'}, h('label', {for: ids.description}, 'Key description'),
          description),
      error, h('div', {class: 'actions'}, button));
  const fail = (text, input) => {
    error.textContent = text;
    error.hidden = false;
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    }
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    for (const input of [fleet, max, days]) input.removeAttribute('aria-invalid');
    const body = {fleetId: fleet.value.trim()};
    if (!FLEET_ID.test(body.fleetId)) {
      return fail('The fleet id must be 1 to 128 letters, digits, ".", "_" or "-".', fleet);
    }
    if (max.value.trim() !== '') {
      const n = Number(max.value);
      if (!Number.isInteger(n) || n < 1 || n > 2147483647) {
        return fail('Maximum devices must be a whole number between 1 and 2147483647.', max);
      }
      body.maxDevices = n;
    }
    if (days.value.trim() !== '') {
      const n = Number(days.value);
      if (!Number.isInteger(n) || n < 1 || n > 36500) {
        return fail('Expires in days must be a whole number between 1 and 36500.', days);
      }
      body.expiresInDays = n;
    }
    if (description.value.trim() !== '') body.description = description.value.trim();
    button.disabled = true;
    try {
      await create(body);
      form.reset();
    } catch (e) {
      fail(`The server refused the key: ${e.message}`,
          {fleetId: fleet, maxDevices: max, expiresInDays: days}[e.field] ?? null);
    } finally {
      button.disabled = false;
    }
    return undefined;
  });
  return form;
}

// The new key, shown this once, with a copy button.
function oneTimeKey(key, dismiss) {
  const id = newId('new-key');
  const input = h('input', {id, type: 'text', readOnly: true, value: key.key, class: 'secret',
    spellcheck: 'false', autocomplete: 'off'});
  const copied = statusLine();
  const copy = h('button', {type: 'button', class: 'primary'}, 'Copy key');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(key.key);
      copied.textContent = 'Copied to the clipboard.';
    } catch {
      // Without a secure context there is no clipboard API: select the key
      // so that Ctrl+C copies it.
      input.select();
      copied.textContent = document.execCommand && document.execCommand('copy') ?
        'Copied to the clipboard.' : 'Selected: press Ctrl+C (or ⌘C) to copy it.';
    }
  });
  return h('section', {class: 'one-time', 'aria-label': 'New provisioning key'},
      h('h2', null, `New key for fleet ${key.fleetId}`),
      h('p', {class: 'warning'}, h('strong', null,
          'Store this key now: you will not see it again.'),
      ' The server keeps only its hash.'),
      h('div', {class: 'inline'}, h('label', {for: id}, 'New provisioning key'), input, copy),
      copied,
      h('p', {class: 'hint'}, `Key ${key.id}: ${key.maxDevices ?? 'unlimited'} devices, ` +
          `${key.expiresAt ? `expires ${key.expiresAt}` : 'never expires'}.`),
      h('button', {type: 'button', onclick: dismiss}, 'I have stored the key'));
}
