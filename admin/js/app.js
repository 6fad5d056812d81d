// The admin panel's entry point: login, navigation, the connectivity
// banner, and the page router. Pages live in pages/*.js; each exports
// `render(ctx)` and builds its DOM inside `ctx.root` only.

import * as api from './api.js';
import {h, clear, fill, append} from './dom.js';
import {renderLogin} from './pages/login.js';
import * as brokers from './pages/brokers.js';
import * as broker from './pages/broker.js';
import * as devices from './pages/devices.js';
import * as device from './pages/device.js';
import * as fleets from './pages/fleets.js';
import * as keys from './pages/keys.js';
import * as chain from './pages/chain.js';

const BASE = '/admin';
const READINESS_INTERVAL_MS = 10000;

// [pattern, page module, nav section]; the first match wins.
const ROUTES = [
  [/^\/brokers\/new$/, broker, 'brokers', () => ({id: null})],
  [/^\/brokers\/(\d+)$/, broker, 'brokers', (m) => ({id: Number(m[1])})],
  [/^\/brokers$/, brokers, 'brokers', () => ({})],
  [/^\/devices\/([^/]+)$/, device, 'devices', (m) => ({uuid: decodeURIComponent(m[1])})],
  [/^\/devices$/, devices, 'devices', () => ({})],
  [/^\/fleets$/, fleets, 'fleets', () => ({})],
  [/^\/keys$/, keys, 'keys', () => ({})],
  [/^\/chain$/, chain, 'chain', () => ({})],
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logout = document.getElementById('logout');
const banner = document.getElementById('banner');

let current = null; // {cleanups: []} of the page on screen
let flash = ''; // a message for the next page ("Broker created")

// --- Connectivity banner -------------------------------------------------------

const problems = {unreachable: '', unavailable: ''};

function showBanner() {
  const text = problems.unreachable || problems.unavailable;
  banner.textContent = text;
  banner.hidden = text === '';
}

// After each API call. A 503 raises the "unavailable" banner; only a ready
// and writable /readyz lowers it (another route may answer while storage is
// down, and reads go on while it cannot write).
api.hooks.onConnectivity = ({reachable, unavailable, message}) => {
  problems.unreachable = reachable ? '' :
    `${message} The panel keeps what it last showed and checks again every 10 s.`;
  if (unavailable) {
    problems.unavailable = `Switchboard is unavailable: ${message}. Changes fail until it is back.`;
  }
  showBanner();
};

async function checkReadiness() {
  try {
    const {ready, writable, reason} = await api.readiness();
    problems.unreachable = '';
    if (!ready) {
      problems.unavailable =
        `Switchboard is not ready: ${reason || 'unknown reason'}. Changes fail until it is back.`;
    } else if (!writable) {
      problems.unavailable = `Switchboard cannot save changes: ${reason || 'storage cannot write'}. ` +
          'Pages still show what is stored; changes fail until it is back.';
    } else {
      problems.unavailable = '';
    }
  } catch (e) {
    problems.unreachable = `${e.message} The panel keeps what it last showed and checks again ` +
        'every 10 s.';
  }
  showBanner();
}

// --- Navigation ---------------------------------------------------------------

export function navigate(to, {replace = false, message = ''} = {}) {
  flash = message;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  route();
}

function localPath() {
  let path = location.pathname;
  if (path.startsWith(BASE)) path = path.slice(BASE.length);
  path = path.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

function leavePage() {
  if (!current) return;
  for (const cleanup of current.cleanups) cleanup();
  current = null;
}

function route() {
  leavePage();
  document.querySelectorAll('dialog').forEach((d) => d.remove());
  if (!api.token()) {
    showLoggedIn(false);
    renderLogin(clear(main), {message: flash, onSuccess: () => route()});
    flash = '';
    return;
  }
  showLoggedIn(true);
  const path = localPath();
  if (path === '/') {
    navigate(`${BASE}/brokers`, {replace: true, message: flash});
    return;
  }
  let match = null;
  let entry = null;
  for (const candidate of ROUTES) {
    match = candidate[0].exec(path);
    if (match) {
      entry = candidate;
      break;
    }
  }
  for (const link of nav.querySelectorAll('a')) {
    if (entry && link.dataset.section === entry[2]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const root = h('div', {class: 'page'});
  fill(main, root);
  const page = {cleanups: []};
  current = page;
  const message = flash;
  flash = '';
  if (!entry) {
    setTitle('Page not found');
    append(root, h('h1', {tabindex: '-1'}, 'Page not found'),
        h('p', null, 'The panel has no page at this address. ',
            h('a', {href: `${BASE}/brokers`}, 'Go to the brokers')));
    focusHeading(root);
    return;
  }
  const ctx = {
    root,
    params: entry[3](match),
    query: new URLSearchParams(location.search),
    flash: message,
    navigate,
    setTitle,
    // Runs when the page is left (timers, listeners).
    onLeave: (fn) => page.cleanups.push(fn),
    // False once another page replaced this one: late answers are dropped.
    alive: () => current === page,
    focusHeading: () => focusHeading(root),
  };
  Promise.resolve(entry[1].render(ctx)).catch((e) => {
    if (current !== page) return;
    append(root, h('p', {class: 'error', role: 'alert'}, e.message || String(e)));
  });
}

function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({preventScroll: true});
  }
}

function setTitle(title) {
  document.title = `${title} · Switchboard admin`;
}

function showLoggedIn(loggedIn) {
  nav.hidden = !loggedIn;
  logout.hidden = !loggedIn;
}

// Internal links change the page without a reload.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
      event.shiftKey || event.altKey) {
    return;
  }
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => route());

logout.addEventListener('click', () => {
  api.clearToken();
  navigate(`${BASE}/`, {message: 'You are logged out.'});
});

api.hooks.onUnauthorized = (error) => {
  api.clearToken();
  flash = `The server refused the admin token: ${error.message}. Log in again.`;
  route();
};

checkReadiness();
setInterval(checkReadiness, READINESS_INTERVAL_MS);
route();
