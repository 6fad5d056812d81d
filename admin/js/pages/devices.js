// Devices: search by uuid or name, filter by fleet, region, broker and
// in-sync state, page through the list.
//
// GET /api/v1/devices pages by cursor (limit, after) and has no filter or
// search parameters, so a search or filter is applied here, in the browser,
// to the devices the list returns: the page scans forward until it has a
// page of matches (at most SCAN_LIMIT devices per page) and says how many it
// looked at. A full uuid is looked up directly.

import * as api from '../api.js';
import {h, dataTable, timeCell, errorBox, loading, newId, DASH, fill, append} from '../dom.js';

const PAGE_SIZE = 50;
const SCAN_BATCH = 200;
const SCAN_LIMIT = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let sort = {key: 'id', dir: 'asc'};
// Cursors of the pages before this one, per filter set (for "Previous page").
const cursorStacks = new Map();

export async function render(ctx) {
  ctx.setTitle('Devices');
  const filters = {
    q: ctx.query.get('q') ?? '',
    fleet: ctx.query.get('fleet') ?? '',
    region: ctx.query.get('region') ?? '',
    broker: ctx.query.get('broker') ?? '',
    sync: ctx.query.get('sync') ?? '',
  };
  const after = Math.max(0, Number.parseInt(ctx.query.get('after') ?? '0', 10) || 0);
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
  const field = (label, control) => {
    control.id = newId('filter');
    return h('div', {class: 'field'}, h('label', {for: control.id}, label), control);
  };
  const q = h('input', {type: 'search', name: 'q', value: filters.q, spellcheck: 'false'});
  const fleet = h('select', {name: 'fleet'}, h('option', {value: ''}, 'Any fleet'),
      h('option', {value: '-', selected: filters.fleet === '-'}, 'No fleet'),
      fleets.map((f) => h('option', {value: f.id, selected: filters.fleet === f.id},
          f.name === f.id ? f.id : `${f.name} (${f.id})`)));
  const region = h('input', {type: 'text', name: 'region', value: filters.region});
  const broker = h('select', {name: 'broker'}, h('option', {value: ''}, 'Any broker'),
      h('option', {value: 'none', selected: filters.broker === 'none'}, 'Let the chain decide'),
      brokers.map((b) => h('option', {value: String(b.id),
        selected: filters.broker === String(b.id)}, b.name)));
  const sync = h('select', {name: 'sync'},
      [['', 'Any'], ['yes', 'In sync'], ['no', 'Not in sync'], ['unreported', 'Not reported']]
          .map(([value, text]) => h('option', {value, selected: filters.sync === value}, text)));
  append(form, 
      field('Search by uuid or name', q), field('Fleet', fleet), field('Region', region),
      field('Assigned broker', broker), field('In sync', sync),
      h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Search'),
          h('button', {type: 'button', onclick: () => ctx.navigate('/admin/devices')},
              'Clear filters')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, control] of [['q', q], ['fleet', fleet], ['region', region],
      ['broker', broker], ['sync', sync]]) {
      const value = control.value.trim();
      if (value !== '') params.set(name, value);
    }
    const query = params.toString();
    ctx.navigate(`/admin/devices${query ? `?${query}` : ''}`);
  });
}

function filtering(filters) {
  return Object.values(filters).some((v) => v !== '');
}

function matches(device, filters) {
  const q = filters.q.toLowerCase();
  if (q && !device.uuid.toLowerCase().includes(q) &&
      !String(device.device_name).toLowerCase().includes(q)) {
    return false;
  }
  if (filters.fleet === '-' ? device.fleet_id !== null :
    (filters.fleet && device.fleet_id !== filters.fleet)) {
    return false;
  }
  if (filters.region && (device.region ?? '').toLowerCase() !== filters.region.toLowerCase()) {
    return false;
  }
  if (filters.broker === 'none' ? device.mqtt_broker_id !== null :
    (filters.broker && String(device.mqtt_broker_id) !== filters.broker)) {
    return false;
  }
  if (filters.sync) {
    const state = syncState(device);
    if (filters.sync !== state) return false;
  }
  return true;
}

// "yes" | "no" | "unreported", from the device's last report when the
// server sends one.
function syncState(device) {
  const inSync = device.reported?.inSync;
  if (inSync === true) return 'yes';
  if (inSync === false) return 'no';
  return 'unreported';
}

async function loadPage(filters, after) {
  if (UUID.test(filters.q.trim())) {
    try {
      const device = await api.get(api.path.device(filters.q.trim()));
      return {devices: matches(device, {...filters, q: ''}) ? [device] : [], scanned: 1,
        next: null, direct: true, sawReported: 'reported' in device};
    } catch (e) {
      if (e.status === 404) return {devices: [], scanned: 0, next: null, direct: true};
      throw e;
    }
  }
  if (!filtering(filters)) {
    const data = await api.get(`/devices?limit=${PAGE_SIZE}&after=${after}`);
    return {devices: data.devices, scanned: data.devices.length, next: data.next_after,
      sawReported: data.devices.some((d) => 'reported' in d)};
  }
  const found = [];
  let cursor = after;
  let scanned = 0;
  let more = true;
  let sawReported = false;
  while (found.length < PAGE_SIZE && more && scanned < SCAN_LIMIT) {
    const data = await api.get(`/devices?limit=${SCAN_BATCH}&after=${cursor}`);
    let stoppedEarly = false;
    for (let i = 0; i < data.devices.length; i++) {
      const device = data.devices[i];
      cursor = device.id;
      scanned += 1;
      if ('reported' in device) sawReported = true;
      if (matches(device, filters)) {
        found.push(device);
        if (found.length === PAGE_SIZE) {
          stoppedEarly = i < data.devices.length - 1;
          break;
        }
      }
    }
    more = stoppedEarly || data.next_after !== null;
  }
  return {devices: found, scanned, next: more ? cursor : null, sawReported};
}

function showResults(ctx, holder, page, filters, after, brokers) {
  const brokerName = new Map(brokers.map((b) => [b.id, b.name]));
  const key = JSON.stringify(filters);
  const previous = cursorStacks.get(key) ?? [];
  const go = (cursor) => {
    const params = new URLSearchParams(ctx.query);
    if (cursor > 0) params.set('after', String(cursor));
    else params.delete('after');
    const query = params.toString();
    ctx.navigate(`/admin/devices${query ? `?${query}` : ''}`);
  };
  const draw = () => {
    const notes = [];
    if (page.direct) {
      notes.push(page.devices.length ? 'The device with this uuid.' : 'No device has this uuid.');
    } else if (filtering(filters)) {
      notes.push(`${page.devices.length} matching device${page.devices.length === 1 ? '' : 's'}` +
          ` among ${page.scanned} looked at on this page (the search runs in this browser ` +
          'over the devices list).');
    } else {
      notes.push(`${page.devices.length} device${page.devices.length === 1 ? '' : 's'} on this ` +
          'page.');
    }
    if (filters.sync && !page.sawReported) {
      notes.push('The server does not report device state yet: every device counts as not ' +
          'reported.');
    }
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
          empty: filtering(filters) ? 'No device matches on this page.' :
            'No devices yet: they appear here when they register.',
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
            {key: 'sync', label: 'In sync', sortable: true, value: syncState,
              cell: (d) => ({yes: 'yes', no: 'no', unreported: DASH})[syncState(d)]},
            {key: 'created_at', label: 'Registered', sortable: true,
              cell: (d) => timeCell(d.created_at)},
          ],
        }),
        h('nav', {class: 'pager', 'aria-label': 'Pages'},
            h('button', {type: 'button', disabled: after === 0, onclick: () => {
              const stack = [...previous];
              const back = stack.pop() ?? 0;
              cursorStacks.set(key, stack);
              go(back);
            }}, 'Previous page'),
            h('button', {type: 'button', disabled: page.next === null, onclick: () => {
              cursorStacks.set(key, [...previous, after]);
              go(page.next);
            }}, 'Next page')));
  };
  draw();
}
