// Fleets: list, create, assign a broker, delete.

import * as api from '../api.js';
import {h, dataTable, timeCell, errorBox, loading, statusLine, newId, confirmDialog, fill, append}
  from '../dom.js';

const FLEET_ID = /^[A-Za-z0-9._-]{1,128}$/;
let sort = {key: 'id', dir: 'asc'};

export async function render(ctx) {
  ctx.setTitle('Fleets');
  const list = h('div', null, loading('fleets'));
  const status = statusLine(ctx.flash);
  const createHolder = h('div', null, loading('the form'));
  append(ctx.root, h('h1', null, 'Fleets'),
      h('p', {class: 'hint'}, 'A fleet groups devices; a provisioning key registers devices ' +
          'into its fleet. A fleet\'s broker is used by the fleet resolver when a device has ' +
          'no broker of its own.'),
      status,
      h('section', {'aria-label': 'Create a fleet'}, h('h2', null, 'Create a fleet'),
          createHolder),
      h('section', {'aria-label': 'All fleets'}, h('h2', null, 'All fleets'), list));
  ctx.focusHeading();

  let brokers = [];
  let fleets = [];
  let formShown = false;
  // The brokers page's answer to a failed load: the error, and "Refresh
  // now" beside it. The form needs the brokers for its list, so until a
  // load succeeds its section says why it is missing and offers the retry.
  const refreshButton = () => h('div', {class: 'actions'},
      h('button', {type: 'button', onclick: (event) => {
        event.currentTarget.disabled = true;
        reload();
      }}, 'Refresh now'));
  const reload = async (message) => {
    try {
      const [b, f] = await Promise.all([api.get('/mqtt/brokers'), api.get('/fleets')]);
      if (!ctx.alive()) return;
      brokers = b.brokers;
      fleets = f.fleets;
      draw();
      if (message !== undefined) status.textContent = message;
    } catch (e) {
      if (!ctx.alive()) return;
      const error = errorBox(`Could not load the fleets: ${e.message}`);
      if (formShown) {
        fill(list, error, refreshButton());
      } else {
        fill(list, error);
        fill(createHolder, h('p', null, 'The form needs the list of brokers, which could not ' +
            `be loaded: ${e.message}`), refreshButton());
      }
    }
  };

  const brokerOptions = (selected) => [h('option', {value: '', selected: selected === null},
      'None (the fleet step passes)'),
  ...brokers.map((b) => h('option', {value: String(b.id), selected: b.id === selected},
      b.name))];

  const draw = () => {
    if (!formShown) {
      formShown = true;
      fill(createHolder, createForm(brokerOptions, async (body) => {
        const fleet = await api.post('/fleets', body);
        await reload(`Fleet ${fleet.id} created.`);
      }));
    }
    fill(list, dataTable({
      caption: 'Fleets',
      rows: fleets,
      sort,
      onSort: (next) => {
        sort = next;
        draw();
      },
      empty: 'No fleets yet.',
      columns: [
        {key: 'id', label: 'Id', sortable: true},
        {key: 'name', label: 'Name', sortable: true},
        {key: 'mqtt_broker_id', label: 'Broker', cell: (f) => assignCell(f)},
        {key: 'device_count', label: 'Devices', sortable: true,
          cell: (f) => h('a', {href: `/admin/devices?fleet_id=${encodeURIComponent(f.id)}`,
            'aria-label': `${f.device_count} device${f.device_count === 1 ? '' : 's'} in fleet ` +
                f.id}, String(f.device_count))},
        {key: 'created_at', label: 'Created', sortable: true, cell: (f) => timeCell(f.created_at)},
        {key: 'actions', label: 'Actions', cell: (f) => h('button', {type: 'button',
          class: 'danger', onclick: () => remove(f)}, `Delete fleet ${f.id}`)},
      ],
    }));
  };

  const assignCell = (fleet) => {
    const id = newId('fleet-broker');
    const select = h('select', {id}, brokerOptions(fleet.mqtt_broker_id));
    const button = h('button', {type: 'submit'}, `Save broker for fleet ${fleet.id}`);
    const form = h('form', {class: 'inline'},
        h('label', {for: id, class: 'visually-hidden'}, `Broker for fleet ${fleet.id}`),
        select, button);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const saved = await api.put(api.path.fleet(fleet.id), {
          mqtt_broker_id: select.value === '' ? null : Number(select.value),
        });
        const name = brokers.find((b) => b.id === saved.mqtt_broker_id)?.name;
        await reload(saved.mqtt_broker_id === null ?
          `Fleet ${saved.id} has no broker now.` : `Fleet ${saved.id} now uses ${name}.`);
      } catch (e) {
        status.textContent = `Fleet ${fleet.id} not saved: ${e.message}`;
        button.disabled = false;
      }
    });
    return form;
  };

  const remove = async (fleet) => {
    const deleted = await confirmDialog({
      title: `Delete fleet ${fleet.id}?`,
      body: 'Its provisioning keys are deleted with it. A fleet that still has devices ' +
          'cannot be deleted.',
      confirmLabel: 'Delete fleet',
      onConfirm: () => api.del(api.path.fleet(fleet.id)),
    });
    if (deleted) await reload(`Fleet ${fleet.id} deleted.`);
  };

  await reload();
}

function createForm(brokerOptions, create) {
  const idId = newId('fleet-id');
  const nameId = newId('fleet-name');
  const brokerId = newId('fleet-new-broker');
  const error = h('p', {class: 'error', role: 'alert', hidden: true});
  const id = h('input', {id: idId, type: 'text', required: true, spellcheck: 'false',
    'aria-describedby': `${idId}-hint`});
  const name = h('input', {id: nameId, type: 'text'});
  const broker = h('select', {id: brokerId}, brokerOptions(null));
  const button = h('button', {type: 'submit', class: 'primary'}, 'Create fleet');
  const form = h('form', {class: 'stacked', novalidate: true},
      h('div', {class: 'field'}, h('label', {for: idId}, 'Fleet id'), id,
          h('p', {id: `${idId}-hint`, class: 'hint'},
              '1 to 128 letters, digits, ".", "_" or "-"; it cannot change later.')),
      h('div', {class: 'field'}, h('label', {for: nameId}, 'Fleet name'), name),
      h('div', {class: 'field'}, h('label', {for: brokerId}, 'Fleet broker'), broker),
      error, h('div', {class: 'actions'}, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const value = id.value.trim();
    if (!FLEET_ID.test(value)) {
      error.textContent = 'The fleet id must be 1 to 128 letters, digits, ".", "_" or "-".';
      error.hidden = false;
      id.setAttribute('aria-invalid', 'true');
      id.focus();
      return;
    }
    const body = {id: value};
    if (name.value.trim() !== '') body.name = name.value.trim();
    if (broker.value !== '') body.mqtt_broker_id = Number(broker.value);
    button.disabled = true;
    try {
      await create(body);
      form.reset();
      id.removeAttribute('aria-invalid');
    } catch (e) {
      error.textContent = `The server refused the fleet: ${e.message}`;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
