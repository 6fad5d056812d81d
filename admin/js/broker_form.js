// The broker form: every writable broker field (docs/api.md, "The broker
// object"), validated as the API validates it, so most mistakes are caught
// before a round trip; the API's own 400 is still shown at its field.
//
// When adding a field to the API's broker object, add it to GROUPS here.

import {h, newId, clear, fill, append} from './dom.js';
import {countPem} from './brokers_view.js';

const INT_MAX = 2147483647;

const GROUPS = [
  {
    legend: 'Broker',
    fields: [
      {key: 'name', label: 'Name', kind: 'text', required: true, max: 255, singleLine: true},
      {key: 'description', label: 'Description', kind: 'textarea', nullable: true},
      {key: 'broker_type', label: 'Type', kind: 'select', options: ['local', 'cloud', 'edge', 'test'],
        def: 'local'},
      {key: 'region', label: 'Region', kind: 'text', nullable: true, singleLine: true,
        hint: 'The regional resolver hands this broker to devices of this region.'},
      {key: 'weight', label: 'Weight', kind: 'number', min: 1, max: INT_MAX, def: 100,
        hint: 'Its share among the active brokers of its region.'},
      {key: 'is_active', label: 'Active (resolvers may hand it out)', kind: 'checkbox', def: true},
      {key: 'is_default', label: 'Default broker', kind: 'checkbox', def: false,
        hint: 'At most one broker is the default: choosing this one clears the previous one.'},
    ],
  },
  {
    legend: 'Connection',
    fields: [
      {key: 'protocol', label: 'Protocol', kind: 'select', options: ['mqtt', 'mqtts', 'ws', 'wss'],
        def: 'mqtt'},
      {key: 'host', label: 'Host', kind: 'text', required: true, max: 255, check: checkHost},
      {key: 'port', label: 'Port', kind: 'number', min: 1, max: 65535, def: 1883},
      {key: 'path', label: 'Path (ws and wss only)', kind: 'text', nullable: true, check: checkPath},
    ],
  },
  {
    legend: 'Server-side credentials',
    hint: 'Used by "Test connection" and the health checks; never sent to devices.',
    fields: [
      {key: 'username', label: 'Username', kind: 'text', nullable: true, singleLine: true},
      {key: 'password', label: 'Password', kind: 'secret', has: 'has_password',
        removeLabel: 'Remove the stored password'},
    ],
  },
  {
    legend: 'TLS',
    fields: [
      {key: 'use_tls', label: 'Use TLS', kind: 'checkbox', def: false},
      {key: 'verify_certificate', label: 'Verify the server certificate', kind: 'checkbox',
        def: true},
      {key: 'ca_cert', label: 'CA certificates (PEM)', kind: 'pem', pem: 'CERTIFICATE',
        nullable: true, upload: 'Load CA certificates from a file',
        hint: 'One certificate or a bundle of several; devices get them as caCert.'},
      {key: 'client_cert', label: 'Client certificate (PEM)', kind: 'pem', pem: 'CERTIFICATE',
        nullable: true, upload: 'Load the client certificate from a file'},
      {key: 'client_key', label: 'Client key (PEM)', kind: 'pem', pem: 'PRIVATE KEY',
        secret: true, has: 'has_client_key', upload: 'Load the client key from a file',
        removeLabel: 'Remove the stored client key'},
    ],
  },
  {
    legend: 'Session',
    fields: [
      {key: 'client_id_prefix', label: 'Client id prefix', kind: 'text', nullable: true,
        singleLine: true},
      {key: 'keep_alive', label: 'Keep alive (seconds)', kind: 'number', min: 1, max: INT_MAX,
        def: 60},
      {key: 'clean_session', label: 'Clean session', kind: 'checkbox', def: true},
      {key: 'reconnect_period', label: 'Reconnect period (ms)', kind: 'number', min: 0,
        max: INT_MAX, def: 1000},
      {key: 'connect_timeout', label: 'Connect timeout (ms)', kind: 'number', min: 1,
        max: INT_MAX, def: 30000},
    ],
  },
  {
    legend: 'Advanced',
    fields: [
      {key: 'extra_config', label: 'Extra config (JSON)', kind: 'json', has: 'has_extra_config',
        removeLabel: 'Remove the stored extra config'},
    ],
  },
];

function checkHost(value) {
  const ipv6 = value.includes(':');
  if (ipv6 ? !/^[0-9A-Fa-f:.]+$/.test(value) : !/^[A-Za-z0-9._-]+$/.test(value)) {
    return ipv6 ? 'Host: write an IPv6 address without brackets or zone id.' :
      "Host may only contain letters, digits, '-', '.' and '_'.";
  }
  return '';
}

function checkPath(value) {
  if (value !== '' && (!value.startsWith('/') || /[ ?#]/.test(value))) {
    return "Path must start with '/' and contain no spaces, '?' or '#'.";
  }
  return '';
}

// PEM blocks of `label` ("CERTIFICATE", or any "… PRIVATE KEY").
export function checkPem(text, field) {
  if (text.trim() === '') return '';
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  const expected = field.pem === 'CERTIFICATE' ? 'CERTIFICATE' : '… PRIVATE KEY';
  if (blocks.length === 0) {
    return `${field.label} must be PEM text (-----BEGIN ${expected}----- … -----END ` +
        `${expected}-----).`;
  }
  for (const [, type] of blocks) {
    const ok = field.pem === 'CERTIFICATE' ? type === 'CERTIFICATE' : type.endsWith('PRIVATE KEY');
    if (!ok) return `${field.label} must hold only ${expected} blocks, not ${type}.`;
  }
  return '';
}

// Builds the form. `broker`: the broker being edited, or null to create.
// `brokers`: every broker (for the backups). `onSubmit(body)` sends the
// request and throws ApiError on refusal.
export function brokerForm({broker, brokers, submitLabel, onSubmit}) {
  const controls = new Map(); // key -> {field, read, error, input, remove}
  const summary = h('div', {class: 'error', role: 'alert', hidden: true});
  const backups = backupsEditor(broker, brokers);
  const form = h('form', {class: 'broker-form', novalidate: true}, summary);

  for (const group of GROUPS) {
    const fieldset = h('fieldset', null, h('legend', null, group.legend),
        group.hint ? h('p', {class: 'hint'}, group.hint) : null);
    for (const field of group.fields) append(fieldset, fieldRow(field, broker, controls));
    append(form, fieldset);
  }
  append(form, backups.element);
  const button = h('button', {type: 'submit', class: 'primary'}, submitLabel);
  append(form, h('div', {class: 'actions'}, button));

  const showErrors = (errors, message) => {
    for (const control of controls.values()) {
      control.error.textContent = '';
      control.error.hidden = true;
      control.input.removeAttribute('aria-invalid');
    }
    if (errors.length === 0) {
      summary.hidden = true;
      return;
    }
    for (const [key, text] of errors) {
      const control = controls.get(key);
      if (!control) continue;
      control.error.textContent = text;
      control.error.hidden = false;
      control.input.setAttribute('aria-invalid', 'true');
    }
    fill(summary, message);
    summary.hidden = false;
    const first = controls.get(errors[0][0]);
    (first ? first.input : summary).focus();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = [];
    for (const [key, control] of controls) {
      const text = validate(control.field, control.read());
      if (text) errors.push([key, text]);
    }
    if (errors.length > 0) {
      showErrors(errors, `Check ${errors.length === 1 ? 'this field' : 'these fields'}: ` +
          errors.map(([, text]) => text).join(' '));
      return;
    }
    showErrors([]);
    const body = broker ? changes(broker, controls, backups) : creation(controls, backups);
    if (broker && Object.keys(body).length === 0) {
      fill(summary, 'Nothing changed: there is nothing to save.');
      summary.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      await onSubmit(body);
    } catch (e) {
      const field = e.field && controls.has(e.field) ? e.field : null;
      const message = `The server refused the change: ${e.message}`;
      if (field) {
        showErrors([[field, e.message]], message);
      } else {
        showErrors([]);
        fill(summary, message);
        summary.hidden = false;
        summary.focus();
      }
    } finally {
      button.disabled = false;
    }
  });
  summary.setAttribute('tabindex', '-1');
  return form;
}

function fieldRow(field, broker, controls) {
  const id = newId(`broker-${field.key}`);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const error = h('p', {id: errorId, class: 'field-error', hidden: true});
  const describedBy = [field.hint || field.has ? hintId : null, errorId].filter(Boolean).join(' ');
  const initial = broker ? broker[field.key] : field.def;
  let input;
  let read;
  let remove = null;
  const extras = [];

  switch (field.kind) {
    case 'checkbox': {
      input = h('input', {id, type: 'checkbox', checked: Boolean(initial ?? field.def),
        'aria-describedby': describedBy});
      read = () => input.checked;
      controls.set(field.key, {field, read, error, input});
      return h('div', {class: 'field checkbox'}, input, h('label', {for: id}, field.label),
          field.hint ? h('p', {id: hintId, class: 'hint'}, field.hint) : null, error);
    }
    case 'select':
      input = h('select', {id, 'aria-describedby': describedBy},
          field.options.map((o) => h('option', {value: o, selected: o === (initial ?? field.def)},
              o)));
      read = () => input.value;
      break;
    case 'number':
      input = h('input', {id, type: 'number', inputmode: 'numeric', step: '1', min: field.min,
        max: field.max, value: initial ?? field.def ?? '', 'aria-describedby': describedBy});
      read = () => input.value.trim();
      break;
    case 'textarea':
    case 'json':
      input = h('textarea', {id, rows: field.kind === 'json' ? 4 : 2, spellcheck: 'false',
        'aria-describedby': describedBy, value: field.kind === 'json' ? '' : (initial ?? '')});
      read = () => input.value;
      break;
    case 'pem': {
      const stored = field.secret ? '' : (initial ?? '');
      input = h('textarea', {id, rows: 4, class: 'pem', spellcheck: 'false', value: stored,
        'aria-describedby': describedBy, placeholder: `-----BEGIN ${field.pem === 'CERTIFICATE' ?
          'CERTIFICATE' : 'PRIVATE KEY'}-----`});
      read = () => input.value;
      const fileId = `${id}-file`;
      const count = h('span', {class: 'hint'});
      const showCount = () => {
        const n = countPem(input.value, 'CERTIFICATE');
        count.textContent = field.pem === 'CERTIFICATE' && n > 0 ?
          `${n} certificate${n === 1 ? '' : 's'} in this field.` : '';
      };
      input.addEventListener('input', showCount);
      const file = h('input', {id: fileId, type: 'file', accept: '.pem,.crt,.cer,.key,text/plain'});
      file.addEventListener('change', async () => {
        const chosen = file.files && file.files[0];
        if (!chosen) return;
        input.value = await chosen.text();
        showCount();
        input.dispatchEvent(new Event('input', {bubbles: true}));
      });
      showCount();
      extras.push(h('div', {class: 'upload'}, h('label', {for: fileId}, field.upload), file),
          count);
      break;
    }
    case 'secret':
      input = h('input', {id, type: 'password', autocomplete: 'new-password',
        'aria-describedby': describedBy});
      read = () => input.value;
      break;
    default:
      input = h('input', {id, type: 'text', value: initial ?? '', spellcheck: 'false',
        'aria-describedby': describedBy});
      read = () => input.value;
  }

  let hint = field.hint ?? '';
  if (field.has) {
    const stored = broker && broker[field.has];
    hint = stored ? 'A value is stored (it is never shown). Leave this empty to keep it.' :
      'Nothing is stored.';
    if (stored) {
      const removeId = `${id}-remove`;
      remove = h('input', {id: removeId, type: 'checkbox'});
      extras.push(h('div', {class: 'field checkbox'}, remove,
          h('label', {for: removeId}, field.removeLabel)));
    }
  }
  controls.set(field.key, {field, read, error, input, remove});
  return h('div', {class: 'field'}, h('label', {for: id}, field.label, field.required ?
    h('span', {class: 'required', 'aria-hidden': 'true'}, ' *') : null),
  input, hint ? h('p', {id: hintId, class: 'hint'}, hint) : null, ...extras, error);
}

function validate(field, value) {
  if (field.kind === 'checkbox' || field.kind === 'select') return '';
  if (field.kind === 'number') {
    if (!/^-?\d+$/.test(value) || Number(value) < field.min || Number(value) > field.max) {
      return `${field.label} must be a whole number between ${field.min} and ${field.max}.`;
    }
    return '';
  }
  if (field.required && value.trim() === '') return `${field.label} is required.`;
  if (field.max && [...value].length > field.max) {
    return `${field.label} must be at most ${field.max} characters long.`;
  }
  if (field.singleLine && /[\u0000-\u001f\u007f]/.test(value)) {
    return `${field.label} must not contain control characters.`;
  }
  if (field.check) return field.check(value);
  if (field.kind === 'pem') return checkPem(value, field);
  if (field.kind === 'json' && value.trim() !== '') {
    try {
      const parsed = JSON.parse(value);
      if (typeof parsed !== 'object' || parsed === null) {
        return 'Extra config must be a JSON object or array.';
      }
    } catch (e) {
      return `Extra config must be valid JSON (${e.message}).`;
    }
  }
  return '';
}

function typed(field, value) {
  return field.kind === 'number' ? Number(value) : value;
}

function isWriteOnly(field) {
  return field.kind === 'secret' || field.kind === 'json' || (field.kind === 'pem' && field.secret);
}

function creation(controls, backups) {
  const body = {};
  for (const [key, {field, read}] of controls) {
    const value = read();
    if (typeof value === 'string' && value === '' && !field.required) continue;
    body[key] = typed(field, value);
  }
  if (backups.supported && backups.ids().length > 0) body.backup_broker_ids = backups.ids();
  return body;
}

function changes(broker, controls, backups) {
  const body = {};
  for (const [key, {field, read, remove}] of controls) {
    const value = read();
    if (isWriteOnly(field)) {
      if (remove && remove.checked) body[key] = null;
      else if (value !== '') body[key] = value;
      continue;
    }
    const before = broker[key];
    if (field.kind === 'checkbox') {
      if (value !== Boolean(before)) body[key] = value;
    } else if (field.kind === 'number') {
      if (Number(value) !== before) body[key] = Number(value);
    } else if (value !== (before ?? '')) {
      body[key] = value === '' && field.nullable ? null : value;
    }
  }
  if (backups.supported) {
    const ids = backups.ids();
    const before = broker.backup_broker_ids ?? [];
    if (ids.length !== before.length || ids.some((id, i) => id !== before[i])) {
      body.backup_broker_ids = ids;
    }
  }
  return body;
}

// The ordered backup list. Supported when the server's broker reads carry
// backup_broker_ids.
function backupsEditor(broker, brokers) {
  const others = brokers.filter((b) => !broker || b.id !== broker.id);
  const supported = broker ? Array.isArray(broker.backup_broker_ids) :
    brokers.some((b) => Array.isArray(b.backup_broker_ids));
  const fieldset = h('fieldset', null, h('legend', null, 'Backups'));
  if (!supported) {
    append(fieldset, h('p', {class: 'hint'}, broker || brokers.length > 0 ?
      'This server does not report backup brokers yet.' :
      'Backups can be chosen once there are other brokers.'));
    return {element: fieldset, supported: false, ids: () => []};
  }
  let ids = [...(broker?.backup_broker_ids ?? [])];
  const nameOf = (id) => brokers.find((b) => b.id === id)?.name ?? `broker ${id}`;
  const list = h('ol', {class: 'backups'});
  const selectId = newId('backup-add');
  const select = h('select', {id: selectId});
  const draw = () => {
    clear(list);
    if (ids.length === 0) append(list, h('li', {class: 'muted'}, 'No backups.'));
    ids.forEach((id, i) => {
      const name = nameOf(id);
      append(list, h('li', null, h('span', null, name), ' ',
          i > 0 ? h('button', {type: 'button', onclick: () => {
            [ids[i - 1], ids[i]] = [ids[i], ids[i - 1]];
            draw();
          }}, `Move ${name} up`) : null, ' ',
          h('button', {type: 'button', onclick: () => {
            ids = ids.filter((x) => x !== id);
            draw();
          }}, `Remove ${name} from backups`)));
    });
    fill(select, others.filter((b) => !ids.includes(b.id))
        .map((b) => h('option', {value: b.id}, b.name)));
    select.disabled = select.options.length === 0;
  };
  draw();
  append(fieldset, 
      h('p', {class: 'hint'}, 'Devices get these, in order, as failover endpoints after this ' +
          'broker.'), list,
      h('div', {class: 'inline'}, h('label', {for: selectId}, 'Backup broker to add'), select,
          h('button', {type: 'button', onclick: () => {
            if (select.value === '') return;
            ids.push(Number(select.value));
            draw();
          }}, 'Add backup')));
  return {element: fieldset, supported: true, ids: () => [...ids]};
}
