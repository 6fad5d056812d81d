// Devices: filter by fleet, region, assigned broker and in-sync state, look
// a device up by uuid, search names, page through the list.
//
// The filters are the server's: GET /api/v1/devices?fleet_id&region&
// mqtt_broker_id&inSync (docs/api.md), paged by its cursor (`after`,
// `next_after`). The page's URL holds the filters and the cursor, so reload,
// back and a copied link show the same page.
//
// The API has no name search. A full uuid is looked up on the server
// (GET /api/v1/devices/{uuid}); any other text is matched here, in the
// browser, against the names and uuids of the devices the server's filters
// return: the page reads forward until it has a page of matches or has read
// SCAN_LIMIT devices, and says how many it read.

import * as api from '../api.js';
import {h, dataTable, timeCell, errorBox, loading, newId, DASH, fill, append} from '../dom.js';

const PAGE_SIZE = 50;
const SCAN_BATCH = 500;
const SCAN_LIMIT = 5000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The URL's parameters that go to the API as they are.
const SERVER_FILTERS = ['fleet_id', 'region', 'mqtt_broker_id', 'inSync'];
// sessionStorage: for each page reached with "Next page", the cursor of the
// page before it, so "Previous page" survives a reload. The API pages
// forward only.
const BACK_KEY = 'switchboard.devicesBack';
const BACK_LIMIT = 200;

let sort = {key: 'id', dir: 'asc'};

export async function render(ctx) {
  ctx.setTitle('Devices');
  const filters = {q: (ctx.query.get('q') ?? '').trim()};
  for (const name of SERVER_FILTERS) filters[name] = ctx.query.get(name) ?? '';
  // Passed to the API as written: it refuses a malformed cursor with a 400
  // naming `after`, which the page shows.
  const after = ctx.query.get('after') ?? '';
  const results = h('div', null, loading('devices'));
  const form = h('form', {role: 'search', class: 'filters', 'aria-label': 'Find devices'});
  append(ctx.root, h('h1', null, 'Devices'),
      h('p', {class: 'hint'}, 'Devices are created when they register; open one to assign ' +
          'its broker and see why it gets the broker it gets.'), form, results);
  ctx.focusHeading();

  const [brokers, fleets] = await Promise.all([
    api.get('/mqtt/brokers').then((d) => d.brokers).catch(() => []),
    api.get('/fleets').then((d) => d.fleets).catch(() => []),
  ]);
  if (!ctx.alive()) return;
  buildForm(ctx, form, filters, brokers, fleets);

  try {
    const page = await loadPage(filters, after);
    if (!ctx.alive()) return;
    showResults(ctx, results, page, filters, after, brokers);
  } catch (e) {
    if (!ctx.alive()) return;
    fill(results, errorBox(`Could not load the devices: ${e.message}`));
  }
}

function buildForm(ctx, form, filters, brokers, fleets) {
  const field = (label, control, hint = '') => {
    control.id = newId('filter');
    const hintNode = hint ? h('p', {class: 'hint', id: `${control.id}-hint`}, hint) : null;
    if (hintNode) control.setAttribute('aria-describedby', hintNode.id);
    return h('div', {class: 'field'}, h('label', {for: control.id}, label), control, hintNode);
  };
  // A value from the URL that the lists lack (a deleted fleet, a typed
  // link) still shows as selected, so the form says what the list shows.
  const extra = (known, value, text) => (value !== '' && !known ?
    h('option', {value, selected: true}, text) : null);
  const q = h('input', {type: 'search', name: 'q', value: filters.q, spellcheck: 'false'});
  const fleet = h('select', {name: 'fleet_id'}, h('option', {value: ''}, 'Any fleet'),
      fleets.map((f) => h('option', {value: f.id, selected: filters.fleet_id === f.id},
          f.name === f.id ? f.id : `${f.name} (${f.id})`)),
      extra(fleets.some((f) => f.id === filters.fleet_id), filters.fleet_id, filters.fleet_id));
  const region = h('input', {type: 'text', name: 'region', value: filters.region,
    spellcheck: 'false'});
  const broker = h('select', {name: 'mqtt_broker_id'}, h('option', {value: ''}, 'Any broker'),
      brokers.map((b) => h('option', {value: String(b.id),
        selected: filters.mqtt_broker_id === String(b.id)}, b.name)),
      extra(brokers.some((b) => String(b.id) === filters.mqtt_broker_id),
          filters.mqtt_broker_id, `broker ${filters.mqtt_broker_id}`));
  const sync = h('select', {name: 'inSync'},
      [['', 'Any'], ['true', 'In sync'], ['false', 'Not in sync (or never reported)']]
          .map(([value, text]) => h('option', {value, selected: filters.inSync === value}, text)),
      extra(['', 'true', 'false'].includes(filters.inSync), filters.inSync, filters.inSync));
  append(form,
      field('Search by uuid or name', q, 'A full uuid is looked up on the server; other text ' +
          'is matched against names and uuids in this browser (the API has no name search).'),
      field('Fleet', fleet), field('Region', region, 'Exact match, case included.'),
      field('Assigned broker', broker, 'The device\'s own assignment, not where the chain ' +
          'sends it.'),
      field('In sync', sync),
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Search'),
          h('button', {type: 'button', onclick: () => ctx.navigate('/admin/devices')},
              'Clear filters')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const control of [q, fleet, region, broker, sync]) {
      const value = control.value.trim();
      if (value !== '') params.set(control.name, value);
    }
    const query = params.toString();
    ctx.navigate(`/admin/devices${query ? `?${query}` : ''}`);
  });
}

function serverFiltering(filters) {
  return SERVER_FILTERS.some((name) => filters[name] !== '');
}

function listPath(filters, limit, after) {
  const params = new URLSearchParams({limit: String(limit)});
  if (after !== '') params.set('after', String(after));
  for (const name of SERVER_FILTERS) {
    if (filters[name] !== '') params.set(name, filters[name]);
  }
  return `/devices?${params}`;
}

function nameMatches(device, q) {
  const needle = q.toLowerCase();
  return device.uuid.toLowerCase().includes(needle) ||
      String(device.device_name).toLowerCase().includes(needle);
}

// The server's filters, applied to one device read by uuid, with the
// list's meaning (exact matches; never reported counts as not in sync).
function serverFiltersMatch(device, filters) {
  if (filters.fleet_id !== '' && device.fleet_id !== filters.fleet_id) return false;
  if (filters.region !== '' && device.region !== filters.region) return false;
  if (filters.mqtt_broker_id !== '' &&
      String(device.mqtt_broker_id) !== filters.mqtt_broker_id) {
    return false;
  }
  if (filters.inSync !== '' && String(device.reported?.inSync === true) !== filters.inSync) {
    return false;
  }
  return true;
}

// {devices, next (cursor or null), how: 'uuid' | 'list' | 'scan', scanned,
// excluded (uuid lookup: found but filtered out)}.
async function loadPage(filters, after) {
  if (UUID.test(filters.q)) {
    try {
      const device = await api.get(api.path.device(filters.q));
      const keep = serverFiltersMatch(device, filters);
      return {devices: keep ? [device] : [], next: null, how: 'uuid', excluded: !keep};
    } catch (e) {
      if (e.status === 404) return {devices: [], next: null, how: 'uuid', excluded: false};
      throw e;
    }
  }
  if (filters.q === '') {
    const data = await api.get(listPath(filters, PAGE_SIZE, after));
    return {devices: data.devices, next: data.next_after, how: 'list'};
  }
  // Name search: read forward through the server's filtered list.
  const found = [];
  let cursor = after;
  let scanned = 0;
  for (;;) {
    const data = await api.get(listPath(filters, SCAN_BATCH, cursor));
    const devices = data.devices;
    let used = 0;
    while (used < devices.length && found.length < PAGE_SIZE) {
      const device = devices[used++];
      if (nameMatches(device, filters.q)) found.push(device);
    }
    scanned += used;
    const page = {devices: found, how: 'scan', scanned};
    // A full page before the end of this batch: go on after its last match.
    if (used < devices.length) return {...page, next: devices[used - 1].id};
    if (data.next_after === null) return {...page, next: null};
    cursor = data.next_after;
    if (found.length >= PAGE_SIZE || scanned >= SCAN_LIMIT) return {...page, next: cursor};
  }
}

function readBack() {
  try {
    const value = JSON.parse(sessionStorage.getItem(BACK_KEY) ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

function rememberBack(key, previous) {
  const back = readBack();
  delete back[key];
  back[key] = previous;
  const keys = Object.keys(back);
  for (const old of keys.slice(0, Math.max(0, keys.length - BACK_LIMIT))) delete back[old];
  sessionStorage.setItem(BACK_KEY, JSON.stringify(back));
}

// "yes" | "no" | "never reported" from the row's `reported` (list rows and
// a uuid lookup carry it). Without it (a server from before list rows
// carried it), what the in-sync filter the server applied says, else "".
function syncState(device, filters) {
  if (device.reported === null) return 'never reported';
  if (device.reported !== undefined) return device.reported.inSync === true ? 'yes' : 'no';
  if (filters.inSync === 'true') return 'yes';
  if (filters.inSync === 'false') return 'no';
  return '';
}

// Sorted ascending: in sync first, then not in sync, then never reported;
// unknown last either way (dataTable sorts empty values last).
const SYNC_ORDER = {'yes': 0, 'no': 1, 'never reported': 2};

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function showResults(ctx, holder, page, filters, after, brokers) {
  const brokerName = new Map(brokers.map((b) => [b.id, b.name]));
  // The cursor identity of this page: the filters and where it starts.
  const pageKey = (cursor) => JSON.stringify([filters, String(cursor)]);
  const go = (cursor) => {
    const params = new URLSearchParams(ctx.query);
    if (cursor !== '' && cursor !== null) params.set('after', String(cursor));
    else params.delete('after');
    const query = params.toString();
    ctx.navigate(`/admin/devices${query ? `?${query}` : ''}`);
  };
  const notes = [];
  if (page.how === 'uuid') {
    let note = 'No device has this uuid.';
    if (page.devices.length) note = 'The device with this uuid.';
    else if (page.excluded) note = 'A device has this uuid, but it does not match the filters.';
    notes.push(note);
  } else if (page.how === 'scan') {
    notes.push(`${plural(page.devices.length, 'device')} whose name or uuid contains ` +
        `“${filters.q}”, among ${plural(page.scanned, 'device')} read on this page` +
        `${serverFiltering(filters) ? ' that match the filters' : ''}. The API has no name ` +
        'search: this match ran in the browser.');
  } else {
    notes.push(`${plural(page.devices.length, 'device')} on this page` +
        `${serverFiltering(filters) ? ' matching the filters' : ''}.`);
  }
  const draw = () => {
    fill(holder,
        h('p', {role: 'status'}, notes.join(' ')),
        dataTable({
          caption: 'Devices',
          rows: page.devices,
          sort,
          onSort: (next) => {
            sort = next;
            draw();
          },
          empty: page.next !== null ? 'No device matches on this page: Next page reads on.' :
            (serverFiltering(filters) || filters.q !== '' ? 'No device matches.' :
              'No devices yet: they appear here when they register.'),
          columns: [
            {key: 'id', label: 'Id', sortable: true},
            {key: 'device_name', label: 'Name', sortable: true,
              cell: (d) => h('a', {href: `/admin/devices/${encodeURIComponent(d.uuid)}`},
                  d.device_name)},
            {key: 'uuid', label: 'UUID', cell: (d) => h('code', null, d.uuid)},
            {key: 'device_type', label: 'Type', sortable: true},
            {key: 'fleet_id', label: 'Fleet', sortable: true},
            {key: 'region', label: 'Region', sortable: true},
            {key: 'broker', label: 'Assigned broker', sortable: true,
              value: (d) => (d.mqtt_broker_id === null ? '' :
                brokerName.get(d.mqtt_broker_id) ?? String(d.mqtt_broker_id)),
              cell: (d) => (d.mqtt_broker_id === null ?
                h('span', {class: 'muted'}, 'chain decides') :
                brokerName.get(d.mqtt_broker_id) ?? `broker ${d.mqtt_broker_id}`)},
            {key: 'sync', label: 'In sync', sortable: true,
              value: (d) => SYNC_ORDER[syncState(d, filters)] ?? null,
              cell: (d) => {
                const state = syncState(d, filters);
                if (state === 'never reported') return h('span', {class: 'muted'}, state);
                return state === '' ? DASH : state;
              }},
            {key: 'created_at', label: 'Registered', sortable: true,
              cell: (d) => timeCell(d.created_at)},
          ],
        }),
        page.how === 'uuid' ? null : h('nav', {class: 'pager', 'aria-label': 'Pages'},
            h('button', {type: 'button', disabled: after === '' || after === '0',
              onclick: () => go(readBack()[pageKey(after)] ?? '')}, 'Previous page'),
            h('button', {type: 'button', disabled: page.next === null, onclick: () => {
              rememberBack(pageKey(page.next), after);
              go(page.next);
            }}, 'Next page')));
  };
  draw();
}
