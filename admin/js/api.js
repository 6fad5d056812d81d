// The panel's only way to the server: the public REST API under /api/v1,
// with the admin token from sessionStorage (never a cookie). Every call asks
// the server afresh (cache: 'no-store').

const TOKEN_KEY = 'switchboard.adminToken';

export class ApiError extends Error {
  // status 0: the server could not be reached.
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// Hooks the app sets: onUnauthorized(error) when the stored token is
// refused; onConnectivity({reachable, unavailable, message}) after each call.
export const hooks = {
  onUnauthorized: () => {},
  onConnectivity: () => {},
};

// Sends one request; resolves with the parsed JSON body (null for 204),
// rejects with an ApiError whose message is the API's own.
export async function call(method, path, body, {adminToken} = {}) {
  const headers = {Accept: 'application/json'};
  const bearer = adminToken ?? token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = {method, headers, cache: 'no-store', credentials: 'omit'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch (e) {
    const message = `Cannot reach the Switchboard server (${e.message}).`;
    hooks.onConnectivity({reachable: false, message});
    throw new ApiError(0, 'unreachable', message);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  hooks.onConnectivity({
    reachable: true,
    unavailable: response.status === 503,
    message: response.status === 503 ? errorMessage(response, data, text) : '',
  });
  if (response.ok) return response.status === 204 ? null : data;
  const error = data && typeof data.error === 'object' && data.error !== null ? data.error : {};
  const failure = new ApiError(response.status, typeof error.code === 'string' ? error.code : '',
      errorMessage(response, data, text), typeof error.field === 'string' ? error.field : null);
  if (response.status === 401 && adminToken === undefined) hooks.onUnauthorized(failure);
  throw failure;
}

// The API's message; else the start of a non-JSON body; else the status.
function errorMessage(response, data, text) {
  const message = data?.error?.message;
  if (typeof message === 'string' && message !== '') return message;
  if (text && data === null) return `${response.status}: ${text.trim().slice(0, 200)}`;
  return `The server answered ${response.status} ${response.statusText}`.trim();
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
export const put = (path, body) => call('PUT', path, body);
export const del = (path) => call('DELETE', path);

// GET /readyz (no authentication): {ready, writable, reason}; throws
// ApiError(0) when the server is unreachable. `ready` is the status (200);
// `writable` is false while storage answers reads but refuses writes (200
// with status "degraded", docs/api.md).
export async function readiness() {
  let response;
  try {
    response = await fetch('/readyz', {cache: 'no-store', credentials: 'omit'});
  } catch (e) {
    throw new ApiError(0, 'unreachable', `Cannot reach the Switchboard server (${e.message}).`);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return {ready: response.ok, writable: data?.writable !== false,
    reason: typeof data?.reason === 'string' ? data.reason : ''};
}

export const path = {
  broker: (id) => `/mqtt/brokers/${encodeURIComponent(id)}`,
  device: (uuid) => `/devices/${encodeURIComponent(uuid)}`,
  fleet: (id) => `/fleets/${encodeURIComponent(id)}`,
  key: (id) => `/provisioning-keys/${encodeURIComponent(id)}`,
};
