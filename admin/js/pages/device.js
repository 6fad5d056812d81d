// One device: its facts, its broker assignment (a broker from the list, or
// "let the chain decide"), the explain trace, the failover list with
// health, and the device's last report.

import * as api from '../api.js';
import {h, errorBox, loading, timeCell, statusLine, newId, brokerAddress, DASH, fill, append}
  from '../dom.js';
import {healthBadge} from '../brokers_view.js';

export async function render(ctx) {
  const {uuid} = ctx.params;
  ctx.setTitle(`Device ${uuid}`);
  const holder = h('div', null, loading('the device'));
  append(ctx.root, h('p', {class: 'crumbs'}, h('a', {href: '/admin/devices'}, '← Devices')),
      holder);
  let device;
  let brokers;
  let fleets;
  try {
    [device, brokers, fleets] = await Promise.all([
      api.get(api.path.device(uuid)),
      api.get('/mqtt/brokers').then((d) => d.brokers),
      api.get('/fleets').then((d) => d.fleets),
    ]);
  } catch (e) {
    if (!ctx.alive()) return;
    fill(holder, h('h1', null, 'Device'), errorBox(e.message));
    ctx.focusHeading();
    return;
  }
  if (!ctx.alive()) return;
  ctx.setTitle(`Device ${device.device_name}`);

  const facts = h('div');
  const report = h('div');
  const explain = h('div', null, loading('the resolution'));
  const drawDevice = () => {
    fill(facts, factsList(device, brokers));
    fill(report, reportView(device));
  };
  drawDevice();

  const refreshExplain = async () => {
    fill(explain, loading('the resolution'));
    try {
      const result = await api.get(`${api.path.device(uuid)}/resolution`);
      if (!ctx.alive()) return;
      fill(explain, explainView(result));
    } catch (e) {
      if (!ctx.alive()) return;
      fill(explain, errorBox(`Could not explain the resolution: ${e.message}`));
    }
  };

  fill(holder, 
      h('h1', null, `Device ${device.device_name}`),
      ctx.flash ? h('p', {class: 'notice', role: 'status'}, ctx.flash) : null,
      facts,
      h('section', {'aria-label': 'Broker assignment'}, h('h2', null, 'Broker assignment'),
          assignmentForm(device, brokers, async (brokerId) => {
            device = await api.put(api.path.device(uuid), {mqtt_broker_id: brokerId});
            if (!ctx.alive()) return;
            drawDevice();
            await refreshExplain();
          })),
      h('section', {'aria-label': 'Resolution'},
          h('div', {class: 'title-row'}, h('h2', null, 'Why this broker'),
              h('button', {type: 'button', onclick: refreshExplain}, 'Explain again')),
          h('p', {class: 'hint'}, 'The chain run for this device now, step by step.'),
          explain),
      h('section', {'aria-label': 'Last report'}, h('h2', null, 'Last report from the device'),
          report),
      h('section', {'aria-label': 'Edit device'}, h('h2', null, 'Edit device'),
          editForm(() => device, fleets, async (body) => {
            device = await api.put(api.path.device(uuid), body);
            if (!ctx.alive()) return;
            drawDevice();
            await refreshExplain();
          })));
  ctx.focusHeading();
  await refreshExplain();
}

function factsList(device, brokers) {
  const assigned = brokers.find((b) => b.id === device.mqtt_broker_id);
  const rows = [
    ['UUID', h('code', null, device.uuid)],
    ['Name', device.device_name],
    ['Type', device.device_type],
    ['Fleet', device.fleet_id ?? DASH],
    ['Region', device.region ?? DASH],
    ['Assigned broker', device.mqtt_broker_id === null ? 'none: the chain decides' :
      (assigned ? assigned.name : `broker ${device.mqtt_broker_id}`)],
    ['MAC address', device.mac_address ?? DASH],
    ['OS version', device.os_version ?? DASH],
    ['Agent version', device.agent_version ?? DASH],
    ['Provisioned by key', device.provisioned_by_key_id ?? DASH],
    ['Registered', timeCell(device.created_at)],
    ['Updated', timeCell(device.updated_at)],
  ];
  return h('dl', {class: 'facts'}, rows.map(([term, value]) => [h('dt', null, term),
    h('dd', null, value)]));
}

function assignmentForm(device, brokers, save) {
  const id = newId('assign');
  const status = statusLine();
  const select = h('select', {id},
      h('option', {value: '', selected: device.mqtt_broker_id === null},
          'Let the chain decide'),
      brokers.map((b) => h('option', {value: String(b.id), selected: b.id === device.mqtt_broker_id},
          `${b.name} (${brokerAddress(b)})${b.is_default ? ', default' : ''}` +
          `${b.is_active ? '' : ', inactive'}`)));
  const button = h('button', {type: 'submit', class: 'primary'}, 'Save broker assignment');
  const form = h('form', {class: 'inline'},
      h('label', {for: id}, 'Assigned broker'), select, button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    const brokerId = select.value === '' ? null : Number(select.value);
    status.textContent = 'Saving…';
    try {
      await save(brokerId);
      const name = brokers.find((b) => b.id === brokerId)?.name;
      status.textContent = brokerId === null ? 'Saved: the chain decides this device\'s broker.' :
        `Saved: the device is assigned to ${name}.`;
    } catch (e) {
      status.textContent = `Not saved: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

const DECISION_TEXT = {
  resolved: 'Resolved',
  rejected: 'Rejected',
  failed: 'Failed',
  no_broker: 'No broker',
};

function explainView(result) {
  const decided = result.resolvedBy ?
    `${DECISION_TEXT[result.decision] ?? result.decision} by ${result.resolvedBy}` :
    (DECISION_TEXT[result.decision] ?? result.decision ?? 'Not resolved');
  const trace = Array.isArray(result.trace) ? result.trace : [];
  return h('div', {class: 'explain'},
      h('p', {class: 'decision'}, h('strong', null, decided), result.reason ?
        `: ${result.reason}` : ''),
      h('p', null, 'Broker handed out: ', result.broker ? h('code', null, result.broker) :
        'none'),
      h('ol', {class: 'trace', 'aria-label': 'Resolution steps'}, trace.map((step) =>
        h('li', {class: `step outcome-${step.outcome}`},
            h('span', {class: 'plugin'}, step.plugin), ' ',
            h('span', {class: 'outcome'}, step.outcome), ' ',
            h('span', {class: 'reason'}, step.reason), ' ',
            h('span', {class: 'micros'}, `${step.micros} µs`)))),
      h('h3', null, 'Endpoints'),
      endpointsView(result.endpoints));
}

// The endpoint list explain sends (`endpoints`): what the device is handed
// first, then its failover endpoints in order, each with its health.
function endpointsView(endpoints) {
  if (!Array.isArray(endpoints)) {
    return h('p', {class: 'muted'}, 'Not reported by the server.');
  }
  if (endpoints.length === 0) return h('p', {class: 'muted'}, 'None: nothing was resolved.');
  return h('ol', {class: 'failover', 'aria-label': 'Failover endpoints'},
      endpoints.map((endpoint) => h('li', null, h('code', null, endpoint.broker ?? DASH),
          endpoint.name ? ` (${endpoint.name})` : '', ' ',
          typeof endpoint.health === 'string' ? healthBadge({state: endpoint.health}) :
            h('span', {class: 'muted'}, 'health not reported'))));
}

const REPORT_LABELS = {
  inSync: 'In sync',
  connected: 'Connected',
  broker: 'Broker',
  configVersion: 'Config version',
  lastError: 'Last error',
  agentVersion: 'Agent version',
  reportedAt: 'Reported',
};

// The device's last state report (`reported`), every member the server
// sends, in words.
function reportView(device) {
  if (!('reported' in device)) return h('p', {class: 'muted'}, 'Not reported by the server.');
  if (device.reported === null) {
    return h('p', {class: 'muted'}, 'The device has not reported its state yet.');
  }
  const entries = Object.entries(device.reported);
  entries.sort(([a], [b]) => (a === 'inSync' ? -1 : b === 'inSync' ? 1 : 0));
  return h('dl', {class: 'facts'}, entries.map(([key, value]) => [
    h('dt', null, REPORT_LABELS[key] ?? key),
    h('dd', null, typeof value === 'boolean' ? (value ? 'yes' : 'no') :
      (value === null || value === '' ? DASH :
        (/At$/.test(key) ? timeCell(String(value)) : String(value)))),
  ]));
}

function editForm(current, fleets, save) {
  const device = current();
  const nameId = newId('device-name');
  const regionId = newId('device-region');
  const fleetId = newId('device-fleet');
  const status = statusLine();
  const name = h('input', {id: nameId, type: 'text', value: device.device_name, required: true});
  const region = h('input', {id: regionId, type: 'text', value: device.region ?? ''});
  const fleet = h('select', {id: fleetId},
      h('option', {value: '', selected: device.fleet_id === null}, 'No fleet'),
      fleets.map((f) => h('option', {value: f.id, selected: f.id === device.fleet_id}, f.id)));
  const button = h('button', {type: 'submit'}, 'Save device');
  const form = h('form', {class: 'stacked', novalidate: true},
      h('div', {class: 'field'}, h('label', {for: nameId}, 'Device name'), name),
      h('div', {class: 'field'}, h('label', {for: regionId}, 'Device region'), region),
      h('div', {class: 'field'}, h('label', {for: fleetId}, 'Device fleet'), fleet),
      h('div', {class: 'actions'}, button), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {};
    const before = current();
    const newName = name.value.trim();
    if (newName === '' || [...newName].length > 255) {
      status.textContent = 'Not saved: the device name must be 1 to 255 characters long.';
      name.focus();
      return;
    }
    if (newName !== before.device_name) body.device_name = newName;
    if (region.value.trim() !== (before.region ?? '')) {
      body.region = region.value.trim() === '' ? null : region.value.trim();
    }
    if (fleet.value !== (before.fleet_id ?? '')) body.fleet_id = fleet.value || null;
    if (Object.keys(body).length === 0) {
      status.textContent = 'Nothing changed.';
      return;
    }
    button.disabled = true;
    try {
      await save(body);
      status.textContent = 'Saved.';
    } catch (e) {
      status.textContent = `Not saved: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
