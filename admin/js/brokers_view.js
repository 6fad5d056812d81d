// How a broker's health, CA material and connection test are shown. Fields
// the server leaves out (health, when monitoring is off) show as "not
// reported"; nothing is guessed.

import {h, DASH, localTime, relativeTime, milliseconds, timeCell} from './dom.js';

const HEALTH_TEXT = {
  healthy: 'healthy',
  unhealthy: 'unhealthy',
  unknown: 'unknown (not checked yet)',
};
const HEALTH_RANK = {unhealthy: 0, unknown: 1, healthy: 2};

export const CA_WARNING_DAYS = 30;

// The broker's health state, or null when the server reports none.
export function healthState(broker) {
  const state = broker?.health?.state;
  return typeof state === 'string' ? state : null;
}

export function healthRank(broker) {
  const state = healthState(broker);
  return state === null ? 3 : (HEALTH_RANK[state] ?? 1);
}

// A coloured dot and the state in words (the colour is never the only cue).
export function healthBadge(health) {
  const state = typeof health?.state === 'string' ? health.state : null;
  const text = state === null ? 'not reported' : (HEALTH_TEXT[state] ?? state);
  const details = [];
  if (health?.since) details.push(`since ${health.since}`);
  if (health?.lastError) details.push(`last error: ${health.lastError}`);
  return h('span', {
    class: `health health-${state ?? 'none'}`,
    title: details.length ? details.join('; ') : null,
  }, h('span', {class: 'dot', 'aria-hidden': 'true'}), text);
}

export function latencyText(broker) {
  return milliseconds(broker?.health?.latencyMs);
}

export function lastCheckCell(broker) {
  return timeCell(broker?.health?.lastCheckedAt, {relative: true});
}

// Certificates in the CA bundle: the server's count when it sends one, else
// the PEM blocks in ca_cert.
export function caCertificateCount(broker) {
  if (typeof broker.ca_certs === 'number') return broker.ca_certs;
  return countPem(broker.ca_cert ?? '', 'CERTIFICATE');
}

export function countPem(text, label) {
  const begin = `-----BEGIN ${label}-----`;
  return text.split(begin).length - 1;
}

export function caExpiryDays(broker, now = new Date()) {
  if (typeof broker.ca_cert_expires_at !== 'string') return null;
  const date = new Date(broker.ca_cert_expires_at);
  if (Number.isNaN(date.getTime())) return null;
  return (date.getTime() - now.getTime()) / 86400000;
}

export function caExpiryCell(broker) {
  if (!broker.ca_cert) return h('span', {class: 'muted'}, 'no CA');
  const days = caExpiryDays(broker);
  if (days === null) return h('span', {title: 'The server does not report CA expiry yet'}, DASH);
  const date = new Date(broker.ca_cert_expires_at);
  const warn = days < CA_WARNING_DAYS;
  return h('span', {class: warn ? 'warn' : null},
      h('time', {datetime: broker.ca_cert_expires_at, title: broker.ca_cert_expires_at},
          localTime(date).slice(0, 10)),
      ` (${days < 0 ? 'expired ' : ''}${relativeTime(date)})`);
}

const CONNACK = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

// The stages of POST /mqtt/brokers/{id}/test, in the order the probe runs
// them, each passed / failed / not reached / skipped.
export function probeStages(broker, result) {
  const usesTls = broker.use_tls || broker.protocol === 'mqtts' || broker.protocol === 'wss';
  const stages = [
    {key: 'dns', label: 'DNS lookup'},
    {key: 'tcp', label: 'TCP connection'},
    {key: 'tls', label: 'TLS handshake', skipped: !usesTls},
    {key: 'mqtt', label: 'MQTT CONNECT / CONNACK'},
  ];
  if (result.stage === 'protocol') {
    return [{key: 'protocol', label: 'Probe set-up', status: 'failed', detail: result.error},
      ...stages.map((s) => ({...s, status: s.skipped ? 'skipped' : 'not reached'}))];
  }
  const failedAt = result.reachable ? -1 : stages.findIndex((s) => s.key === result.stage);
  return stages.map((s, i) => {
    let status;
    if (s.skipped) status = 'skipped';
    else if (failedAt < 0 || i < failedAt) status = 'passed';
    else if (i === failedAt) status = 'failed';
    else status = 'not reached';
    let detail = '';
    if (i === failedAt) detail = result.error ?? '';
    if (s.key === 'tcp' && status === 'passed' && result.address) detail = result.address;
    if (s.key === 'tls' && s.skipped) detail = 'TLS is off for this broker';
    if (s.key === 'mqtt' && typeof result.connackCode === 'number') {
      const meaning = CONNACK[result.connackCode] ?? 'unknown code';
      detail = `CONNACK ${result.connackCode} (${meaning})` + (detail ? `: ${detail}` : '');
    }
    return {...s, status, detail};
  });
}

export function probeResultView(broker, result) {
  const summary = result.reachable ?
    `Reachable: CONNACK in ${milliseconds(result.latencyMs)}.` :
    `Not reachable (${milliseconds(result.latencyMs)}): ${result.error ?? 'no error given'}`;
  return h('div', {class: 'probe'},
      h('p', {class: result.reachable ? 'ok' : 'error'}, summary),
      h('ol', {class: 'stages', 'aria-label': 'Connection test stages'},
          probeStages(broker, result).map((stage) => h('li', {class: `stage stage-${
            stage.status.replace(' ', '-')}`},
          h('span', {class: 'stage-name'}, stage.label), ': ',
          h('span', {class: 'stage-status'}, stage.status),
          stage.detail ? h('span', {class: 'stage-detail'}, ` — ${stage.detail}`) : null))),
      h('p', {class: 'hint'}, `Time limit ${result.timeoutMs ?? DASH} ms; tested `,
          localTime(new Date()), '.'));
}
