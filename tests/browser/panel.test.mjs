// The admin panel in Debian's Chromium, driven by playwright-core.
//
// Run by panel_browser_test.cc (ctest: AdminPanelBrowserTest.*), which
// starts a real `switchboard serve` and a real Mosquitto and passes them in
// SB_* variables. Controls are found by role and accessible name only, as a
// screen reader finds them. The tests run in order and share one logged-in
// page; the last two take storage away, then stop the server.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {chromium} from 'playwright-core';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through ctest (browser_test)`);
  return value;
}

const BASE = required('SB_URL');
const TOKEN = required('SB_ADMIN_TOKEN');
const CONFIG = required('SB_CONFIG');
const TLS_PORT = Number(required('SB_MQTT_TLS_PORT'));
const PLAIN_PORT = Number(required('SB_MQTT_PLAIN_PORT'));
const MQTT_USER = required('SB_MQTT_USER');
const MQTT_PASSWORD = required('SB_MQTT_PASSWORD');
const CA_BUNDLE = required('SB_CA_BUNDLE');
const CHROMIUM = required('SB_CHROMIUM');
const OUTPUT = required('SB_OUTPUT_DIR');
const SERVER_PID = Number(required('SB_SERVER_PID'));
const BACKEND = required('SB_BACKEND');

// How long the panel may take to show what a step waits for. A bound on
// waiting, not an assertion about speed: a miss fails with what was shown.
const WAIT_MS = 20000;
const XSS_BROKER = '<img src=x onerror=alert(1)>';
const XSS_DESCRIPTION = '<script>alert(2)</script>';
const XSS_FLEET = '<img src=x onerror=alert(3)>';
const XSS_DEVICE = '<img src=x onerror=alert(4)>';

// Flags Debian's Chromium needs as root on a machine without a network
// (docs/admin-panel.md).
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser;
let page;
const dialogs = [];
const pageErrors = [];
const cspViolations = [];
const state = {};

async function newPage(viewport = {width: 1280, height: 900}) {
  const context = await browser.newContext({viewport});
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: BASE});
  const p = await context.newPage();
  p.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  p.on('pageerror', (error) => pageErrors.push(String(error)));
  p.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return p;
}

before(async () => {
  await fs.mkdir(OUTPUT, {recursive: true});
  browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS});
  page = await newPage();
});

after(async () => {
  await browser?.close();
});

// --- helpers ---------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The REST API directly (for setting up and for checking what the panel did).
async function api(method, route, body, bearer = TOKEN) {
  const headers = {Authorization: `Bearer ${bearer}`};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${BASE}/api/v1${route}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {status: response.status, data: text ? JSON.parse(text) : null};
}

async function register(key, uuid, deviceName, extra = {}) {
  return api('POST', '/device/register', {uuid, deviceName, deviceType: 'thermostat',
    deviceApiKey: `device-secret-${uuid}`, ...extra}, key);
}

// Waits until the locator's text contains `expected` (string) or matches it
// (RegExp); returns the text.
async function expectText(locator, expected, what = String(expected)) {
  const deadline = Date.now() + WAIT_MS;
  let last = '';
  for (;;) {
    try {
      last = await locator.innerText({timeout: 1000});
    } catch (e) {
      last = `<${e.message.split('\n')[0]}>`;
    }
    const ok = typeof expected === 'string' ? last.includes(expected) : expected.test(last);
    if (ok) return last;
    if (Date.now() > deadline) {
      assert.fail(`waiting for ${what}: the page shows ${JSON.stringify(last.slice(0, 600))}`);
    }
    await sleep(100);
  }
}

async function heading(p, name) {
  await p.getByRole('heading', {level: 1, name, exact: true}).waitFor({timeout: WAIT_MS});
}

async function go(p, section) {
  await p.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: section, exact: true})
      .click();
}

// The whole page, or its top `height` pixels (the pictures in
// docs/admin-panel.md).
async function screenshot(p, name, height = 0) {
  const file = path.join(OUTPUT, `${name}.png`);
  if (!height) return p.screenshot({path: file, fullPage: true});
  const full = await p.evaluate(() => document.documentElement.scrollHeight);
  const {width} = p.viewportSize();
  return p.screenshot({path: file, fullPage: true,
    clip: {x: 0, y: 0, width, height: Math.min(height, full)}});
}

async function login(p) {
  await p.getByLabel('Admin token').fill(TOKEN);
  await p.getByRole('button', {name: 'Log in', exact: true}).click();
  await p.getByRole('navigation', {name: 'Main'}).waitFor({timeout: WAIT_MS});
}

async function stageTexts(p) {
  const list = p.getByRole('list', {name: 'Connection test stages'});
  await list.waitFor({timeout: WAIT_MS});
  return list.getByRole('listitem').allInnerTexts();
}

// --- the flows ---------------------------------------------------------------------

test('1. log in: a wrong token is refused, the right one is kept for this tab only', async () => {
  const response = await page.goto(`${BASE}/admin`);
  assert.equal(new URL(page.url()).pathname, '/admin/', 'redirected from /admin');
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /^default-src 'self'/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.equal(headers['cache-control'], 'no-cache');

  await heading(page, 'Log in to the Switchboard admin panel');
  await page.getByLabel('Admin token').fill('not-the-token-0123456789abcdef0123456789');
  await page.getByRole('button', {name: 'Log in', exact: true}).click();
  await expectText(page.getByRole('alert').filter({hasText: 'refused'}),
      'The server refused this token');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
  await screenshot(page, 'login');

  await login(page);
  await heading(page, 'Brokers');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('switchboard.adminToken')), TOKEN);
  assert.deepEqual(await page.context().cookies(), [], 'no cookie');

  await page.getByRole('button', {name: 'Log out'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'logged out'}), 'You are logged out.');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('switchboard.adminToken')), null);
  await login(page);
  await heading(page, 'Brokers');
});

test('2. create a broker with a CA bundle; the form checks the port first', async () => {
  await page.getByRole('link', {name: 'Add broker'}).click();
  await heading(page, 'Add a broker');
  await page.getByRole('textbox', {name: 'Name', exact: true}).fill('tls-broker');
  await page.getByRole('combobox', {name: 'Protocol'}).selectOption('mqtts');
  await page.getByRole('textbox', {name: 'Host', exact: true}).fill('localhost');
  await page.getByRole('spinbutton', {name: 'Port', exact: true}).fill('70000');
  await page.getByRole('checkbox', {name: 'Use TLS'}).check();
  await page.getByRole('textbox', {name: 'Username'}).fill(MQTT_USER);
  await page.getByLabel('Password', {exact: true}).fill(MQTT_PASSWORD);
  await page.getByLabel('Load CA certificates from a file').setInputFiles(CA_BUNDLE);
  await expectText(page.getByText('certificates in this field'), '2 certificates in this field.');

  await page.getByRole('button', {name: 'Create broker'}).click();
  await expectText(page.getByRole('alert').filter({hasText: 'Check'}),
      'Port must be a whole number between 1 and 65535.');
  assert.equal((await api('GET', '/mqtt/brokers')).data.count, 0, 'nothing was sent');

  await page.getByRole('spinbutton', {name: 'Port', exact: true}).fill(String(TLS_PORT));
  await page.getByRole('button', {name: 'Create broker'}).click();
  await heading(page, 'Broker tls-broker');
  await expectText(page.getByRole('status').filter({hasText: 'created'}),
      'Broker tls-broker created.');
  const {data} = await api('GET', '/mqtt/brokers');
  const broker = data.brokers.find((b) => b.name === 'tls-broker');
  assert.ok(broker, JSON.stringify(data));
  assert.equal(broker.ca_cert.split('-----BEGIN CERTIFICATE-----').length - 1, 2);
  assert.equal(broker.has_password, true);
  assert.equal(broker.use_tls, true);
  assert.equal(broker.protocol, 'mqtts');
  assert.equal(broker.port, TLS_PORT);
  state.tlsBroker = broker;
  await expectText(page.getByRole('main'), /CA certificates\s+2\b/);
});

test('3. test the connection against Mosquitto and see each stage', async () => {
  await page.getByRole('button', {name: 'Test connection'}).click();
  await expectText(page.getByRole('region', {name: 'Connection test'}), 'Reachable: CONNACK in');
  const stages = await stageTexts(page);
  assert.deepEqual(stages.map((s) => s.split(':')[0]),
      ['DNS lookup', 'TCP connection', 'TLS handshake', 'MQTT CONNECT / CONNACK']);
  for (const stage of stages) assert.match(stage, /: passed/, stage);
  assert.match(stages[3], /CONNACK 0 \(accepted\)/);
  await screenshot(page, 'broker', 1000);
});

test('4. make it the default; the list marks it and refreshes by itself', async () => {
  await page.getByRole('button', {name: 'Make default'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'default broker'}),
      'tls-broker is now the default broker.');
  assert.equal((await api('GET', `/mqtt/brokers/${state.tlsBroker.id}`)).data.is_default, true);

  const plain = await api('POST', '/mqtt/brokers', {name: 'plain-broker', host: '127.0.0.1',
    port: PLAIN_PORT, username: MQTT_USER, password: MQTT_PASSWORD});
  assert.equal(plain.status, 201, JSON.stringify(plain.data));
  state.plainBroker = plain.data;

  await go(page, 'Brokers');
  await heading(page, 'Brokers');
  await expectText(page.getByRole('row').filter({hasText: 'tls-broker'}), '★ default');
  await expectText(page.getByRole('row').filter({hasText: 'plain-broker'}), 'plain-broker');
  // The list is sorted by name; a click on the header reverses it. (The
  // other links in the rows are the device counts.)
  const links = page.getByRole('table', {name: 'Brokers'})
      .getByRole('link', {name: /^[a-z]+-broker$/});
  assert.deepEqual(await links.allInnerTexts(), ['plain-broker', 'tls-broker']);
  await page.getByRole('button', {name: 'Name', exact: true}).click();
  assert.deepEqual(await links.allInnerTexts(), ['tls-broker', 'plain-broker']);
  // A change made elsewhere shows up without touching the page.
  await api('PUT', `/mqtt/brokers/${state.plainBroker.id}`, {region: 'eu-central'});
  await expectText(page.getByRole('row').filter({hasText: 'plain-broker'}), 'eu-central',
      'the list to refresh itself');
  await screenshot(page, 'brokers', 420);
});

test('5. a refusal the form cannot foresee shows the API\'s own message', async () => {
  await page.getByRole('link', {name: 'Add broker'}).click();
  await heading(page, 'Add a broker');
  await page.getByRole('textbox', {name: 'Name', exact: true}).fill('plain-broker');
  await page.getByRole('textbox', {name: 'Host', exact: true}).fill('mqtt.example.org');
  await page.getByRole('button', {name: 'Create broker'}).click();
  await expectText(page.getByRole('alert').filter({hasText: 'refused'}),
      "The server refused the change: a broker named 'plain-broker' already exists");
  await heading(page, 'Add a broker');
  assert.equal((await api('GET', '/mqtt/brokers')).data.count, 2);
});

test('6. register a device over the API', async () => {
  const key = await api('POST', '/provisioning-keys', {fleetId: 'plant-7'});
  assert.equal(key.status, 201);
  state.firstKey = key.data.key;
  state.uuid = crypto.randomUUID();
  const registered = await register(state.firstKey, state.uuid, 'boiler-1', {region: 'eu'});
  assert.equal(registered.status, 200, JSON.stringify(registered.data));
  assert.equal(registered.data.mqtt.broker, `mqtts://localhost:${TLS_PORT}`);
});

test('7. on the device page, assign another broker, see the trace change, clear it', async () => {
  await go(page, 'Devices');
  await heading(page, 'Devices');
  await page.getByRole('searchbox', {name: 'Search by uuid or name'}).fill('boiler');
  await page.getByRole('button', {name: 'Search', exact: true}).click();
  await page.getByRole('link', {name: 'boiler-1'}).click();
  await heading(page, 'Device boiler-1');
  const resolution = page.getByRole('region', {name: 'Resolution'});
  await expectText(resolution, "Resolved by default: default broker 'tls-broker'");

  const assigned = page.getByRole('combobox', {name: 'Assigned broker'});
  await assigned.selectOption(String(state.plainBroker.id));
  await page.getByRole('button', {name: 'Save broker assignment'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'Saved'}),
      'Saved: the device is assigned to plain-broker.');
  await expectText(resolution, 'Resolved by device');
  const steps = resolution.getByRole('list', {name: 'Resolution steps'}).getByRole('listitem');
  assert.match(await steps.first().innerText(), /^device\s+resolved\s+assigned broker 'plain-broker'/);
  assert.match(await steps.first().innerText(), /\d+ µs$/);
  assert.equal((await api('GET', `/devices/${state.uuid}`)).data.mqtt_broker_id,
      state.plainBroker.id);
  await screenshot(page, 'device', 1000);

  await assigned.selectOption('');
  await page.getByRole('button', {name: 'Save broker assignment'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'Saved'}),
      "Saved: the chain decides this device's broker.");
  await expectText(resolution, 'Resolved by default');
  assert.match(await steps.first().innerText(), /^device\s+pass/);
  assert.equal((await api('GET', `/devices/${state.uuid}`)).data.mqtt_broker_id, null);
});

test('8. create a provisioning key, copy it, revoke it', async () => {
  await go(page, 'Provisioning keys');
  await heading(page, 'Provisioning keys');
  await page.getByRole('combobox', {name: 'Fleet id'}).fill('plant-7');
  await page.getByRole('spinbutton', {name: 'Maximum devices (empty: no limit)'}).fill('5');
  await page.getByRole('textbox', {name: 'Key description'}).fill('line 3');
  await page.getByRole('button', {name: 'Create key'}).click();

  const box = page.getByRole('region', {name: 'New provisioning key'});
  await expectText(box, 'Store this key now: you will not see it again.');
  const shown = await box.getByRole('textbox', {name: 'New provisioning key'}).inputValue();
  assert.match(shown, /^[A-Za-z0-9_-]{43}$/);
  await box.getByRole('button', {name: 'Copy key'}).click();
  await expectText(box.getByRole('status'), 'Copied to the clipboard.');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), shown);
  assert.equal((await register(shown, crypto.randomUUID(), 'with-copied-key')).status, 200);
  assert.ok(!(await page.getByRole('region', {name: 'All keys'}).innerText()).includes(shown),
      'the list never shows a key');
  await box.getByRole('button', {name: 'I have stored the key'}).click();
  await box.waitFor({state: 'detached', timeout: WAIT_MS});

  const keys = (await api('GET', '/provisioning-keys?fleetId=plant-7')).data.keys;
  const created = keys.find((k) => k.description === 'line 3');
  await page.getByRole('button', {name: `Revoke key ${created.id}`}).click();
  const dialog = page.getByRole('dialog', {name: `Revoke key ${created.id}?`});
  await dialog.getByRole('button', {name: 'Revoke key', exact: true}).click();
  await dialog.waitFor({state: 'detached', timeout: WAIT_MS});
  await expectText(page.getByRole('row').filter({hasText: 'line 3'}), 'revoked');
  const refused = await register(shown, crypto.randomUUID(), 'after-revoke');
  assert.equal(refused.status, 403);
  assert.equal(refused.data.error.message, 'provisioning key revoked');
  await screenshot(page, 'keys');
});

test('9. reload a broken chain: the refusal is shown, the old chain keeps serving', async () => {
  await go(page, 'Chain');
  await heading(page, 'Resolution chain');
  await expectText(page.getByRole('table', {name: 'Chain in force'}), 'device');
  const original = await fs.readFile(CONFIG, 'utf8');
  // The broken chain goes under the generated `resolution:` (its plugin_dirs
  // line), wherever that is in the file.
  const dirs = original.indexOf('  plugin_dirs:');
  assert.ok(dirs >= 0, original);
  const at = original.indexOf('\n', dirs) + 1;
  await fs.writeFile(CONFIG,
      `${original.slice(0, at)}  chain:\n    - plugin: no_such_plugin_anywhere\n${original.slice(at)}`);
  try {
    await page.getByRole('button', {name: 'Reload configuration'}).click();
    const refusal = page.getByRole('alert').filter({hasText: 'Reload refused'});
    await expectText(refusal, 'reload failed, the previous chain keeps serving');
    await expectText(refusal, 'no_such_plugin_anywhere');
    await screenshot(page, 'chain');
  } finally {
    await fs.writeFile(CONFIG, original);
  }
  const chain = (await api('GET', '/admin/chain')).data.chain.map((s) => s.plugin);
  assert.deepEqual(chain, ['device', 'fleet', 'regional', 'default', 'env']);
  await page.getByRole('button', {name: 'Reload configuration'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'Reloaded'}),
      'Reloaded: device → fleet → regional → default → env.');
});

test('10. untrusted text renders as text and nothing runs', async () => {
  const broker = await api('POST', '/mqtt/brokers', {name: XSS_BROKER,
    description: XSS_DESCRIPTION, host: '127.0.0.1', port: 1});
  assert.equal(broker.status, 201, JSON.stringify(broker.data));
  assert.equal((await api('PUT', '/fleets/plant-7', {name: XSS_FLEET})).status, 200);
  const uuid = crypto.randomUUID();
  assert.equal((await register(state.firstKey, uuid, XSS_DEVICE)).status, 200);
  assert.equal((await api('PUT', `/devices/${uuid}`, {mqtt_broker_id: broker.data.id})).status,
      200);

  await go(page, 'Brokers');
  await page.getByRole('link', {name: XSS_BROKER, exact: true}).click();
  await heading(page, `Broker ${XSS_BROKER}`);
  await expectText(page.getByRole('main'), XSS_DESCRIPTION);
  // A broker that is not there: the stages say where it stopped.
  await page.getByRole('button', {name: 'Test connection'}).click();
  await expectText(page.getByRole('region', {name: 'Connection test'}), 'Not reachable');
  const stages = await stageTexts(page);
  assert.match(stages[0], /^DNS lookup: passed/);
  assert.match(stages[1], /^TCP connection: failed/);
  assert.match(stages[2], /^TLS handshake: skipped/);
  assert.match(stages[3], /^MQTT CONNECT \/ CONNACK: not reached/);
  // Deleting a broker a device uses: confirmation, then the API's 409 reason.
  await page.getByRole('button', {name: 'Delete broker'}).click();
  const dialog = page.getByRole('dialog', {name: `Delete broker ${XSS_BROKER}?`});
  await dialog.getByRole('button', {name: 'Delete broker'}).click();
  await expectText(dialog.getByRole('alert'), 'is in use by 1 device');
  await dialog.getByRole('button', {name: 'Cancel'}).click();
  assert.equal((await api('GET', `/mqtt/brokers/${broker.data.id}`)).status, 200);

  await go(page, 'Fleets');
  await page.getByRole('cell', {name: XSS_FLEET, exact: true}).waitFor({timeout: WAIT_MS});
  await screenshot(page, 'fleets');
  await go(page, 'Devices');
  await page.getByRole('link', {name: XSS_DEVICE, exact: true}).click();
  await heading(page, `Device ${XSS_DEVICE}`);
  await expectText(page.getByRole('region', {name: 'Resolution'}),
      `Resolved by device: assigned broker '${XSS_BROKER}'`);

  const dom = await page.evaluate(() => ({
    images: document.getElementsByTagName('img').length,
    scripts: [...document.scripts].map((s) => s.src),
    // Every module and the stylesheet came from the versioned address
    // (docs/admin-panel.md, "Caching"), relative imports included.
    assets: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname)
        .filter((p) => /\.(js|css)$/.test(p)),
  }));
  assert.equal(dom.images, 0, 'no <img> was injected');
  assert.equal(dom.scripts.length, 1, JSON.stringify(dom.scripts));
  assert.match(dom.scripts[0], new RegExp(`^${BASE}/admin/v/[0-9a-f]{12}/js/app\\.js$`));
  assert.ok(dom.assets.some((p) => p.endsWith('/js/pages/device.js')), JSON.stringify(dom.assets));
  for (const asset of dom.assets) assert.match(asset, /^\/admin\/v\/[0-9a-f]{12}\//, asset);
  assert.deepEqual(dialogs, [], 'no dialog opened');
});

// The devices page's table and its status line (what the page says it shows).
function deviceList(p) {
  return {
    table: p.getByRole('table', {name: 'Devices'}),
    note: p.getByRole('main').getByRole('status').filter({hasText: /this page|uuid/}),
  };
}

// Waits for the devices page to say `note`; returns the device names it
// lists, sorted.
async function listedDevices(p, note) {
  const list = deviceList(p);
  await expectText(list.note, note);
  return (await list.table.getByRole('link').allInnerTexts()).sort();
}

async function searchDevices(p, {q = '', fleet = '', region = '', broker = '', inSync = ''} = {}) {
  await p.getByRole('button', {name: 'Clear filters'}).click();
  await heading(p, 'Devices');
  const form = p.getByRole('search', {name: 'Find devices'});
  await form.getByRole('combobox', {name: 'Fleet', exact: true}).waitFor({timeout: WAIT_MS});
  if (q) await form.getByRole('searchbox', {name: 'Search by uuid or name'}).fill(q);
  if (fleet) await form.getByRole('combobox', {name: 'Fleet', exact: true}).selectOption(fleet);
  if (region) await form.getByRole('textbox', {name: 'Region', exact: true}).fill(region);
  if (broker) {
    await form.getByRole('combobox', {name: 'Assigned broker'}).selectOption({label: broker});
  }
  if (inSync) await form.getByRole('combobox', {name: 'In sync'}).selectOption({label: inSync});
  await form.getByRole('button', {name: 'Search', exact: true}).click();
}

const sensorName = (i) => `sensor-${String(i).padStart(2, '0')}`;
const range = (from, to) => Array.from({length: to - from}, (_, i) => from + i);

test('11. the devices list: server filters narrow it, the URL keeps them, paging', async () => {
  // 52 devices in fleet plant-9, alternately in us-east and ap-south;
  // valve-1 in plant-7 and us-east. sensor-03, sensor-04 and valve-1 are
  // assigned to plain-broker.
  const key = await api('POST', '/provisioning-keys', {fleetId: 'plant-9'});
  assert.equal(key.status, 201, JSON.stringify(key.data));
  state.sensors = [];
  for (const i of range(0, 52)) {
    const uuid = crypto.randomUUID();
    const registered = await register(key.data.key, uuid, sensorName(i),
        {region: i % 2 === 0 ? 'us-east' : 'ap-south'});
    assert.equal(registered.status, 200, JSON.stringify(registered.data));
    state.sensors.push(uuid);
  }
  const valve = crypto.randomUUID();
  assert.equal((await register(state.firstKey, valve, 'valve-1', {region: 'us-east'})).status,
      200);
  for (const uuid of [state.sensors[3], state.sensors[4], valve]) {
    const assigned = await api('PUT', `/devices/${uuid}`, {mqtt_broker_id: state.plainBroker.id});
    assert.equal(assigned.status, 200, JSON.stringify(assigned.data));
  }

  await go(page, 'Devices');
  await heading(page, 'Devices');
  await searchDevices(page, {fleet: 'plant-9', region: 'us-east'});
  const evens = range(0, 52).filter((i) => i % 2 === 0).map(sensorName);
  assert.deepEqual(await listedDevices(page, '26 devices on this page matching the filters.'),
      evens);
  const query = new URL(page.url()).searchParams;
  assert.equal(query.get('fleet_id'), 'plant-9');
  assert.equal(query.get('region'), 'us-east');
  // A reload shows the same list, and the form the same filters.
  await page.reload();
  await heading(page, 'Devices');
  assert.deepEqual(await listedDevices(page, '26 devices on this page matching the filters.'),
      evens);
  assert.equal(await page.getByRole('combobox', {name: 'Fleet', exact: true}).inputValue(),
      'plant-9');
  assert.equal(await page.getByRole('textbox', {name: 'Region', exact: true}).inputValue(),
      'us-east');
  // The region matches exactly, as the API does.
  await searchDevices(page, {fleet: 'plant-9', region: 'US-EAST'});
  assert.deepEqual(await listedDevices(page, '0 devices on this page matching the filters.'), []);
  await expectText(deviceList(page).table, 'No device matches.');

  await searchDevices(page, {broker: 'plain-broker'});
  assert.deepEqual(await listedDevices(page, '3 devices on this page matching the filters.'),
      ['sensor-03', 'sensor-04', 'valve-1']);
  await searchDevices(page, {broker: 'plain-broker', fleet: 'plant-9', region: 'ap-south'});
  assert.deepEqual(await listedDevices(page, '1 device on this page matching the filters.'),
      ['sensor-03']);

  // A name search runs in the browser over what the server's filters return.
  await searchDevices(page, {q: 'SENSOR-1', region: 'ap-south'});
  assert.deepEqual(await listedDevices(page, /5 devices whose name or uuid contains/),
      ['sensor-11', 'sensor-13', 'sensor-15', 'sensor-17', 'sensor-19']);
  await expectText(deviceList(page).note, 'The API has no name search');
  // A full uuid is looked up on the server.
  await searchDevices(page, {q: state.sensors[7].toUpperCase()});
  assert.deepEqual(await listedDevices(page, 'The device with this uuid.'), ['sensor-07']);
  await searchDevices(page, {q: state.sensors[7], region: 'us-east'});
  assert.deepEqual(
      await listedDevices(page, 'A device has this uuid, but it does not match the filters.'), []);

  // Paging: 52 devices in plant-9, 50 a page.
  await searchDevices(page, {fleet: 'plant-9'});
  assert.deepEqual(await listedDevices(page, '50 devices on this page matching the filters.'),
      range(0, 50).map(sensorName));
  const previous = page.getByRole('button', {name: 'Previous page'});
  assert.equal(await previous.isDisabled(), true, 'the first page has no previous page');
  await page.getByRole('button', {name: 'Next page'}).click();
  assert.deepEqual(await listedDevices(page, '2 devices on this page matching the filters.'),
      ['sensor-50', 'sensor-51']);
  assert.equal(await page.getByRole('button', {name: 'Next page'}).isDisabled(), true);
  assert.ok(new URL(page.url()).searchParams.get('after'), page.url());
  assert.equal(new URL(page.url()).searchParams.get('fleet_id'), 'plant-9');
  await page.reload();
  assert.deepEqual(await listedDevices(page, '2 devices on this page matching the filters.'),
      ['sensor-50', 'sensor-51']);
  await page.getByRole('button', {name: 'Previous page'}).click();
  assert.deepEqual(await listedDevices(page, '50 devices on this page matching the filters.'),
      range(0, 50).map(sensorName));
  await page.goBack();
  assert.deepEqual(await listedDevices(page, '2 devices on this page matching the filters.'),
      ['sensor-50', 'sensor-51']);

  // A filter the URL gets wrong: the API's own message, not a blank page.
  await page.goto(`${BASE}/admin/devices?inSync=maybe`);
  await expectText(page.getByRole('alert').filter({hasText: 'Could not load'}),
      'Could not load the devices: inSync must be true or false');
  await page.goto(`${BASE}/admin/devices?mqtt_broker_id=two`);
  await expectText(page.getByRole('alert').filter({hasText: 'Could not load'}),
      'Could not load the devices: mqtt_broker_id must be an integer');
});

test('12. a device that reported: in sync in the list, on its page, connected on its broker',
    async () => {
      // sensor-06 fetches its configuration and reports it runs it, connected.
      const uuid = state.sensors[6];
      const deviceKey = `device-secret-${uuid}`;
      const fetched = await api('GET', `/device/${uuid}/mqtt`, undefined, deviceKey);
      assert.equal(fetched.status, 200, JSON.stringify(fetched.data));
      assert.equal(fetched.data.broker, `mqtts://localhost:${TLS_PORT}`);
      const reported = await api('PUT', `/device/${uuid}/state`, {
        configVersion: fetched.data.configVersion, connected: true, broker: fetched.data.broker,
        agentVersion: 'browser-test/1',
      }, deviceKey);
      assert.equal(reported.status, 204, JSON.stringify(reported.data));
      // sensor-07 says it is connected there too, but runs a version the
      // server never issued: connected, not in sync.
      const stale = state.sensors[7];
      assert.equal((await api('PUT', `/device/${stale}/state`, {
        configVersion: 'never-issued', connected: true, broker: fetched.data.broker,
      }, `device-secret-${stale}`)).status, 204);

      await go(page, 'Devices');
      await heading(page, 'Devices');
      // Unfiltered, every row says whether it is in sync, from the list.
      await searchDevices(page, {fleet: 'plant-9'});
      await listedDevices(page, '50 devices on this page matching the filters.');
      const list = deviceList(page).table;
      const columns = await list.getByRole('columnheader').allInnerTexts();
      const syncColumn = columns.findIndex((text) => text.startsWith('In sync'));
      assert.ok(syncColumn >= 0, JSON.stringify(columns));
      const syncOf = (name) => list.getByRole('row').filter({hasText: name}).getByRole('cell')
          .nth(syncColumn);
      await expectText(syncOf('sensor-06'), /^yes$/);
      await expectText(syncOf('sensor-07'), /^no$/);
      await expectText(syncOf('sensor-08'), /^never reported$/);
      // It sorts: in sync, not in sync, never reported; again, the reverse.
      const sortBySync = list.getByRole('button', {name: 'In sync', exact: true});
      await sortBySync.click();
      assert.deepEqual((await list.getByRole('link').allInnerTexts()).slice(0, 3),
          ['sensor-06', 'sensor-07', 'sensor-00']);
      await sortBySync.click();
      assert.deepEqual((await list.getByRole('link').allInnerTexts()).slice(-3),
          ['sensor-49', 'sensor-07', 'sensor-06']);
      await list.getByRole('button', {name: 'Id', exact: true}).click();
      await searchDevices(page, {fleet: 'plant-9', inSync: 'In sync'});
      assert.deepEqual(await listedDevices(page, '1 device on this page matching the filters.'),
          ['sensor-06']);
      await expectText(deviceList(page).table.getByRole('row').filter({hasText: 'sensor-06'}),
          /\byes\b/);
      await searchDevices(page, {fleet: 'plant-9', inSync: 'Not in sync (or never reported)'});
      assert.deepEqual(await listedDevices(page, /^50 devices on this page matching the filters/),
          range(0, 51).filter((i) => i !== 6).map(sensorName));
      await page.getByRole('button', {name: 'Next page'}).click();
      assert.deepEqual(await listedDevices(page, /devices? on this page matching the filters/),
          ['sensor-51']);

      await searchDevices(page, {q: uuid});
      await page.getByRole('link', {name: 'sensor-06', exact: true}).click();
      await heading(page, 'Device sensor-06');
      const report = page.getByRole('region', {name: 'Last report'});
      await expectText(report, /In sync\s+yes/);
      await expectText(report, /Connected\s+yes/);
      await expectText(report, 'browser-test/1');

      // The brokers page counts it as connected to tls-broker; plain-broker's
      // device count leads to its devices.
      await go(page, 'Brokers');
      await heading(page, 'Brokers');
      const table = page.getByRole('table', {name: 'Brokers'});
      await table.waitFor({timeout: WAIT_MS});
      const headers = await table.getByRole('columnheader').allInnerTexts();
      const connected = headers.findIndex((text) => text.startsWith('Connected'));
      assert.ok(connected >= 0, JSON.stringify(headers));
      const cell = (broker) => table.getByRole('row').filter({hasText: broker}).getByRole('cell')
          .nth(connected);
      // Connected, and of those in sync, beside the device count.
      assert.ok(connected === headers.findIndex((text) => text.startsWith('Devices')) + 1,
          JSON.stringify(headers));
      await expectText(cell('tls-broker'), /^2 \(1 in sync\)$/);
      await expectText(cell('plain-broker'), /^0 \(0 in sync\)$/);
      await table.getByLabel('2 devices connected to tls-broker, 1 in sync', {exact: true})
          .waitFor({timeout: WAIT_MS});
      const summary = (await api('GET', '/mqtt/brokers/summary')).data.brokers
          .find((b) => b.id === state.tlsBroker.id);
      assert.equal(summary.connected_count, 2, JSON.stringify(summary));
      assert.equal(summary.in_sync_count, 1, JSON.stringify(summary));
      await page.getByRole('link', {name: '3 devices assigned to plain-broker'}).click();
      await heading(page, 'Devices');
      assert.deepEqual(await listedDevices(page, '3 devices on this page matching the filters.'),
          ['sensor-03', 'sensor-04', 'valve-1']);
      assert.equal(await page.getByRole('combobox', {name: 'Assigned broker'}).inputValue(),
          String(state.plainBroker.id));
      await screenshot(page, 'devices', 700);
    });

test('13. fleets: the form checks the id, creates a fleet, assigns its broker', async () => {
  const fleetsBefore = (await api('GET', '/fleets')).data.fleets.length;
  await go(page, 'Fleets');
  await heading(page, 'Fleets');
  const create = page.getByRole('region', {name: 'Create a fleet'});
  await create.getByRole('textbox', {name: 'Fleet id'}).fill('plant 11!');
  await create.getByRole('button', {name: 'Create fleet'}).click();
  await expectText(create.getByRole('alert'),
      'The fleet id must be 1 to 128 letters, digits, ".", "_" or "-".');
  assert.equal((await api('GET', '/fleets')).data.fleets.length, fleetsBefore, 'nothing was sent');
  await create.getByRole('textbox', {name: 'Fleet id'}).fill('plant-11');
  await create.getByRole('textbox', {name: 'Fleet name'}).fill('Plant eleven');
  await create.getByRole('button', {name: 'Create fleet'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'created'}),
      'Fleet plant-11 created.');
  assert.equal((await api('GET', '/fleets/plant-11')).data.name, 'Plant eleven');

  await page.getByRole('combobox', {name: 'Broker for fleet plant-11'})
      .selectOption({label: 'plain-broker'});
  await page.getByRole('button', {name: 'Save broker for fleet plant-11'}).click();
  await expectText(page.getByRole('status').filter({hasText: 'now uses'}),
      'Fleet plant-11 now uses plain-broker.');
  assert.equal((await api('GET', '/fleets/plant-11')).data.mqtt_broker_id, state.plainBroker.id);

  // A fleet's device count leads to its devices.
  await page.getByRole('link', {name: '52 devices in fleet plant-9'}).click();
  await heading(page, 'Devices');
  assert.deepEqual(await listedDevices(page, '50 devices on this page matching the filters.'),
      range(0, 50).map(sensorName));
  assert.equal(new URL(page.url()).searchParams.get('fleet_id'), 'plant-9');
});

test('14. keyboard only: log in and assign a broker', async () => {
  const kb = await newPage();
  await kb.goto(`${BASE}/admin/devices/${state.uuid}`);
  await heading(kb, 'Log in to the Switchboard admin panel');
  await kb.keyboard.type(TOKEN);
  await kb.keyboard.press('Enter');
  await heading(kb, 'Device boiler-1');
  const select = kb.getByRole('combobox', {name: 'Assigned broker'});
  await expectText(kb.getByRole('region', {name: 'Resolution'}), 'Resolved by');
  const target = await select.getAttribute('id');
  let presses = 0;
  while (await kb.evaluate(() => document.activeElement?.id ?? '') !== target) {
    assert.ok(presses < 60, 'Tab never reached the broker list');
    await kb.keyboard.press('Tab');
    presses += 1;
  }
  for (let i = 0; i < 10 && await select.inputValue() !== String(state.plainBroker.id); i++) {
    await kb.keyboard.press('ArrowDown');
  }
  assert.equal(await select.inputValue(), String(state.plainBroker.id));
  await kb.keyboard.press('Tab');
  assert.equal(await kb.evaluate(() => document.activeElement?.textContent),
      'Save broker assignment');
  await kb.keyboard.press('Enter');
  await expectText(kb.getByRole('status').filter({hasText: 'Saved'}),
      'Saved: the device is assigned to plain-broker.');
  assert.equal((await api('GET', `/devices/${state.uuid}`)).data.mqtt_broker_id,
      state.plainBroker.id);
  await kb.context().close();
});

test('15. a phone-sized window: no sideways scrolling, every page reachable', async () => {
  const phone = await newPage({width: 390, height: 844});
  await phone.goto(`${BASE}/admin/brokers`);
  await login(phone);
  await heading(phone, 'Brokers');
  await expectText(phone.getByRole('main'), 'tls-broker');
  for (const section of ['Brokers', 'Devices', 'Fleets', 'Provisioning keys', 'Chain']) {
    await go(phone, section);
    await phone.getByRole('heading', {level: 1}).waitFor({timeout: WAIT_MS});
    await sleep(300);
    const overflow = await phone.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${section}: the page is ${overflow} px wider than the window`);
  }
  await go(phone, 'Brokers');
  await expectText(phone.getByRole('main'), 'tls-broker');
  await screenshot(phone, 'brokers-phone');
  await phone.context().close();
});

test('16. no CSP violation and no script error on any page', () => {
  assert.deepEqual(cspViolations, []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(dialogs, []);
});

// Storage faults the server really meets (docs/reliability.md). SQLite: the
// server's file-size limit at 0 (prlimit(2)), so every write fails while
// reads go on. PostgreSQL: the test's own database refuses connections and
// the server's are ended, so storage is unreachable. Returns the undo.
function storageFault() {
  if (BACKEND === 'sqlite') {
    const soft = execFileSync('prlimit', ['--pid', String(SERVER_PID), '--fsize', '--raw',
      '--noheadings', '--output=SOFT']).toString().trim();
    execFileSync('prlimit', ['--pid', String(SERVER_PID), '--fsize=0:']);
    return () => execFileSync('prlimit', ['--pid', String(SERVER_PID), `--fsize=${soft}:`]);
  }
  const admin = required('SB_PG_ADMIN');
  const database = required('SB_PG_DATABASE');
  const psql = (sql) => execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', admin,
    '-c', sql]);
  psql(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
  psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}'`);
  return () => psql(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
}

test('17. storage down: a banner, not a blank page', async () => {
  await go(page, 'Fleets');
  await heading(page, 'Fleets');
  const banner = page.getByRole('alert').filter({hasText: 'Switchboard'});
  const create = page.getByRole('region', {name: 'Create a fleet'});
  let retry = null;
  const restore = storageFault();
  try {
    // A change fails with the server's 503, and the banner says so.
    await create.getByRole('textbox', {name: 'Fleet id'}).fill('plant-12');
    await create.getByRole('textbox', {name: 'Fleet name'}).fill('Plant twelve');
    await create.getByRole('button', {name: 'Create fleet'}).click();
    await expectText(banner, /^Switchboard is unavailable: .+\. Changes fail until it is back\.$/);
    // A fresh load asks /readyz, which tells the two faults apart.
    await page.reload();
    await heading(page, 'Fleets');
    if (BACKEND === 'sqlite') {
      await expectText(banner, /^Switchboard cannot save changes: .*storage cannot write/);
      // Reads go on: the page still lists what is stored.
      await expectText(page.getByRole('main'), 'Plant eleven');
    } else {
      await expectText(banner, /^Switchboard is not ready: storage unavailable\./);
      // Nothing loads: the list's error, and the form's section says why it
      // is missing and offers the retry.
      await expectText(page.getByRole('region', {name: 'All fleets'}).getByRole('alert'),
          'Could not load the fleets: ');
      await expectText(create, /The form needs the list of brokers, which could not be loaded: ./);
      retry = create.getByRole('button', {name: 'Refresh now'});
      await retry.waitFor({timeout: WAIT_MS});
    }
    await screenshot(page, 'storage-down');
  } finally {
    restore();
  }
  if (retry) {
    // Storage back: the retry brings the form and the list.
    await retry.click();
    await create.getByRole('textbox', {name: 'Fleet id'}).waitFor({timeout: WAIT_MS});
    await expectText(page.getByRole('region', {name: 'All fleets'}), 'Plant eleven');
  }
  // Back: the next readiness check lowers the banner, and the refused
  // change was not stored.
  await page.reload();
  await page.locator('#banner').waitFor({state: 'hidden', timeout: WAIT_MS});
  await expectText(page.getByRole('main'), 'Plant eleven');
  assert.equal((await api('GET', '/fleets/plant-12')).status, 404);
});

test('18. the server going away: a banner, not a blank page', async () => {
  await go(page, 'Brokers');
  await heading(page, 'Brokers');
  process.kill(SERVER_PID, 'SIGTERM');
  await page.getByRole('button', {name: 'Refresh now'}).click();
  await expectText(page.getByRole('alert').filter({hasText: 'checks again every 10 s'}),
      'Cannot reach the Switchboard server');
  await heading(page, 'Brokers');
  await expectText(page.getByRole('table', {name: 'Brokers'}), 'tls-broker');
  await screenshot(page, 'server-gone');
});
