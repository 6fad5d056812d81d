// One broker: its health (refreshing), "Test connection" with the probe's
// stages, make default, delete, recent checks, and the edit form. With no
// id: the form to add a broker.

import * as api from '../api.js';
import {h, brokerAddress, statusLine, errorBox, loading, timeCell, confirmDialog, DASH, fill,
  append} from '../dom.js';
import {healthBadge, latencyText, caCertificateCount, caExpiryCell, probeResultView}
  from '../brokers_view.js';
import {brokerForm} from '../broker_form.js';

const REFRESH_MS = 10000;

export async function render(ctx) {
  if (ctx.params.id === null) return renderCreate(ctx);
  return renderBroker(ctx, ctx.params.id);
}

async function renderCreate(ctx) {
  ctx.setTitle('Add a broker');
  append(ctx.root, h('p', {class: 'crumbs'}, h('a', {href: '/admin/brokers'}, '← Brokers')),
      h('h1', null, 'Add a broker'));
  ctx.focusHeading();
  const holder = h('div', null, loading('the form'));
  append(ctx.root, holder);
  const {brokers} = await api.get('/mqtt/brokers');
  if (!ctx.alive()) return;
  fill(holder, brokerForm({
    broker: null,
    brokers,
    submitLabel: 'Create broker',
    onSubmit: async (body) => {
      const created = await api.post('/mqtt/brokers', body);
      ctx.navigate(`/admin/brokers/${created.id}`, {
        replace: true, message: `Broker ${created.name} created.`,
      });
    },
  }));
}

async function renderBroker(ctx, id) {
  ctx.setTitle(`Broker ${id}`);
  const holder = h('div', null, loading('the broker'));
  append(ctx.root, h('p', {class: 'crumbs'}, h('a', {href: '/admin/brokers'}, '← Brokers')),
      holder);
  let broker;
  let brokers;
  try {
    [broker, {brokers}] = await Promise.all([api.get(api.path.broker(id)),
      api.get('/mqtt/brokers')]);
  } catch (e) {
    if (!ctx.alive()) return;
    fill(holder, h('h1', null, `Broker ${id}`), errorBox(e.message));
    ctx.focusHeading();
    return;
  }
  if (!ctx.alive()) return;
  ctx.setTitle(`Broker ${broker.name}`);

  const heading = h('h1', null, `Broker ${broker.name}`);
  const overview = h('div');
  const actionStatus = statusLine();
  const testResult = h('div', {role: 'status', 'aria-live': 'polite'});
  const checks = h('div', null, loading('recent checks'));

  const testButton = h('button', {type: 'button', class: 'primary'}, 'Test connection');
  testButton.addEventListener('click', async () => {
    testButton.disabled = true;
    fill(testResult, h('p', null, `Testing ${brokerAddress(broker)}…`));
    try {
      const result = await api.post(`${api.path.broker(id)}/test`);
      if (!ctx.alive()) return;
      fill(testResult, probeResultView(broker, result));
    } catch (e) {
      if (!ctx.alive()) return;
      fill(testResult, errorBox(`The test could not run: ${e.message}`));
    } finally {
      testButton.disabled = false;
    }
  });

  const defaultButton = h('button', {type: 'button'}, 'Make default');
  defaultButton.addEventListener('click', async () => {
    defaultButton.disabled = true;
    try {
      await api.put(api.path.broker(id), {is_default: true});
      ctx.navigate(`/admin/brokers/${id}`, {
        replace: true, message: `${broker.name} is now the default broker.`,
      });
    } catch (e) {
      actionStatus.textContent = `Could not make it the default: ${e.message}`;
      defaultButton.disabled = false;
    }
  });

  const deleteButton = h('button', {type: 'button', class: 'danger'}, 'Delete broker');
  deleteButton.addEventListener('click', async () => {
    const deleted = await confirmDialog({
      title: `Delete broker ${broker.name}?`,
      body: 'Devices and fleets assigned to it must be moved to another broker first. ' +
          'This cannot be undone.',
      confirmLabel: 'Delete broker',
      onConfirm: () => api.del(api.path.broker(id)),
    });
    if (deleted) {
      ctx.navigate('/admin/brokers', {replace: true, message: `Broker ${broker.name} deleted.`});
    }
  });

  const drawOverview = () => fill(overview, overviewList(broker));
  drawOverview();
  fill(holder, 
      heading,
      ctx.flash ? h('p', {class: 'notice', role: 'status'}, ctx.flash) : null,
      overview,
      h('div', {class: 'actions'}, testButton,
          broker.is_default ? h('span', {class: 'badge default'}, '★ default broker') :
            defaultButton, deleteButton),
      actionStatus,
      h('section', {'aria-label': 'Connection test'}, h('h2', null, 'Connection test'),
          h('p', {class: 'hint'}, 'One real attempt with the saved settings and the ' +
              'server-side credentials: DNS, TCP, TLS when used, then MQTT CONNECT.'),
          testResult),
      h('section', {'aria-label': 'Recent checks'}, h('h2', null, 'Recent health checks'),
          checks),
      h('section', {'aria-label': 'Settings'}, h('h2', null, 'Settings'),
          brokerForm({
            broker,
            brokers,
            submitLabel: 'Save changes',
            onSubmit: async (body) => {
              const saved = await api.put(api.path.broker(id), body);
              ctx.navigate(`/admin/brokers/${id}`, {
                replace: true, message: `Saved the changes to ${saved.name}.`,
              });
            },
          })));
  ctx.focusHeading();
  loadChecks(ctx, id, checks);

  // Health refreshes by itself; the form is left alone.
  const timer = setInterval(async () => {
    if (document.hidden) return;
    try {
      const fresh = await api.get(api.path.broker(id));
      if (!ctx.alive()) return;
      broker = {...broker, health: fresh.health, last_connected_at: fresh.last_connected_at,
        ca_cert_expires_at: fresh.ca_cert_expires_at};
      drawOverview();
    } catch {
      // The banner reports an unreachable server; the last values stay.
    }
  }, REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
}

function overviewList(broker) {
  const health = broker.health;
  const certificates = broker.ca_cert ? caCertificateCount(broker) : 0;
  const rows = [
    ['Health', healthBadge(health)],
    ['In this state since', timeCell(health?.since)],
    ['Last check', timeCell(health?.lastCheckedAt, {relative: true})],
    ['Latency', latencyText(broker)],
    ['Last check error', health?.lastError || DASH],
    ['Address', brokerAddress(broker)],
    ['Description', broker.description || DASH],
    ['Region', broker.region || DASH],
    ['Active', broker.is_active ? 'yes' : 'no (resolvers skip it)'],
    ['CA certificates', certificates === 0 ? 'none' : String(certificates)],
    ['CA expiry', caExpiryCell(broker)],
    ['Last device connection', timeCell(broker.last_connected_at)],
    ['Updated', timeCell(broker.updated_at)],
  ];
  return h('dl', {class: 'facts'}, rows.map(([term, value]) => [h('dt', null, term),
    h('dd', null, value)]));
}

// GET /mqtt/brokers/{id}/health: the recent checks, when the server has
// that route.
async function loadChecks(ctx, id, holder) {
  try {
    const data = await api.get(`${api.path.broker(id)}/health`);
    if (!ctx.alive()) return;
    const list = Array.isArray(data?.checks) ? data.checks : null;
    if (!list) {
      fill(holder, h('p', {class: 'muted'}, 'Not reported by the server.'));
      return;
    }
    if (list.length === 0) {
      fill(holder, h('p', {class: 'muted'}, 'No checks yet.'));
      return;
    }
    // Each check as the server sends it, member by member.
    fill(holder, h('ol', {class: 'checks'}, list.map((check) => h('li', null,
        Object.entries(check ?? {}).map(([key, value]) =>
          `${key}: ${value === null || value === undefined ? DASH : value}`).join(' · ')))));
  } catch (e) {
    if (!ctx.alive()) return;
    fill(holder, h('p', {class: 'muted'}, e.status === 404 ?
      'Not reported by the server.' : `Could not load the checks: ${e.message}`));
  }
}
