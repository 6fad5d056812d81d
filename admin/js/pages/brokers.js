// Brokers: every broker with its health, latency, last check, devices
// assigned, connected and in sync (GET /api/v1/mqtt/brokers/summary),
// default marker and CA expiry. Refreshes itself while open.

import * as api from '../api.js';
import {h, clear, dataTable, brokerAddress, statusLine, errorBox, loading, localTime, DASH, fill,
  append} from '../dom.js';
import {healthBadge, healthRank, latencyText, lastCheckCell, caExpiryCell, caExpiryDays}
  from '../brokers_view.js';

const REFRESH_MS = 10000;
let sort = {key: 'name', dir: 'asc'};

export async function render(ctx) {
  ctx.setTitle('Brokers');
  const updated = statusLine();
  const content = h('div', null, loading('brokers'));
  const error = h('div');
  append(ctx.root, 
      h('div', {class: 'title-row'},
          h('h1', null, 'Brokers'),
          h('a', {class: 'button primary', href: '/admin/brokers/new'}, 'Add broker')),
      ctx.flash ? h('p', {class: 'notice', role: 'status'}, ctx.flash) : null,
      h('p', {class: 'hint'}, 'The MQTT brokers devices are sent to. Health refreshes every ',
          `${REFRESH_MS / 1000} s while this page is open.`),
      error, content,
      h('div', {class: 'actions'},
          h('button', {type: 'button', onclick: () => refresh()}, 'Refresh now'), updated));
  ctx.focusHeading();

  let rows = [];
  const draw = () => {
    fill(content, dataTable({
      caption: 'Brokers',
      columns: columns(),
      rows,
      sort,
      onSort: (next) => {
        sort = next;
        draw();
      },
      empty: 'No brokers yet. Add one to start handing them out.',
    }));
  };

  let running = false;
  const refresh = async () => {
    if (running) return;
    running = true;
    try {
      const [list, summary] = await Promise.all([
        api.get('/mqtt/brokers'),
        api.get('/mqtt/brokers/summary').catch(() => null),
      ]);
      if (!ctx.alive()) return;
      const counts = new Map((summary?.brokers ?? []).map((b) => [b.id, b]));
      rows = list.brokers.map((b) => ({...b, summary: counts.get(b.id) ?? null}));
      clear(error);
      draw();
      updated.textContent = `Updated ${localTime(new Date())}.`;
    } catch (e) {
      if (!ctx.alive()) return;
      fill(error, errorBox(`Could not load the brokers: ${e.message}`));
      if (rows.length === 0) clear(content);
    } finally {
      running = false;
    }
  };
  await refresh();
  const timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
}

function columns() {
  return [
    {
      key: 'health', label: 'Health', sortable: true, value: healthRank,
      cell: (b) => healthBadge(b.health),
    },
    {
      key: 'name', label: 'Name', sortable: true, className: 'name',
      cell: (b) => h('span', null,
          h('a', {href: `/admin/brokers/${b.id}`}, b.name),
          b.is_active ? null : h('span', {class: 'badge muted'}, 'inactive')),
    },
    {key: 'address', label: 'Address', value: brokerAddress, cell: brokerAddress},
    {key: 'region', label: 'Region', sortable: true},
    {
      key: 'latency', label: 'Latency', sortable: true,
      value: (b) => b.health?.latencyMs ?? null, cell: latencyText,
    },
    {
      key: 'lastCheck', label: 'Last check', sortable: true,
      value: (b) => b.health?.lastCheckedAt ?? null, cell: lastCheckCell,
    },
    {
      key: 'devices', label: 'Devices', sortable: true,
      value: (b) => b.summary?.device_count ?? null,
      cell: (b) => devicesCell(b),
    },
    {
      key: 'connected', label: 'Connected', sortable: true,
      value: (b) => b.summary?.connected_count ?? null,
      cell: (b) => connectedCell(b),
    },
    {
      key: 'default', label: 'Default', sortable: true, value: (b) => (b.is_default ? 0 : 1),
      cell: (b) => (b.is_default ? h('span', {class: 'badge default'}, '★ default') : ''),
    },
    {
      key: 'ca', label: 'CA expiry', sortable: true, value: (b) => caExpiryDays(b),
      cell: caExpiryCell,
    },
  ];
}

// Devices assigned to the broker (devices.mqtt_broker_id), linked to the
// devices list filtered on it, and fleets.
function devicesCell(broker) {
  const summary = broker.summary;
  if (!summary || typeof summary.device_count !== 'number') return DASH;
  const fleets = typeof summary.fleet_count === 'number' && summary.fleet_count > 0 ?
    ` (+${summary.fleet_count} fleet${summary.fleet_count === 1 ? '' : 's'})` : '';
  const count = summary.device_count;
  return h('span', null,
      h('a', {href: `/admin/devices?mqtt_broker_id=${encodeURIComponent(broker.id)}`,
        'aria-label': `${count} device${count === 1 ? '' : 's'} assigned to ${broker.name}`},
      String(count)), fleets);
}

// Devices whose last state report says they are connected to this broker,
// and how many of them run the configuration the server last handed them
// (in the same cell: a column of its own pushes the table past a laptop's
// width). Without in_sync_count from the server, the count alone.
function connectedCell(broker) {
  const summary = broker.summary;
  if (!summary || typeof summary.connected_count !== 'number') return DASH;
  const connected = summary.connected_count;
  if (typeof summary.in_sync_count !== 'number') return String(connected);
  const inSync = summary.in_sync_count;
  const label = `${connected} device${connected === 1 ? '' : 's'} connected to ${broker.name}, ` +
      `${inSync} in sync`;
  return h('span', {'aria-label': label},
      String(connected), h('span', {class: 'muted'}, ` (${inSync} in sync)`));
}
