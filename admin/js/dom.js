// DOM building without HTML strings: every piece of data goes in through
// textContent or an attribute, so text from the API (names, descriptions,
// resolver reasons) always renders as text, never as markup.

// Properties set as properties (not attributes) so they reflect the live
// state of form controls.
const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'required',
  'readOnly', 'multiple', 'open']);

// h('button', {type: 'button', onclick: fn}, 'Save') → <button>Save</button>
// Children: nodes, strings (as text), numbers, arrays; null/false skipped.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

// Appends children (nodes, text, arrays; null/undefined/false skipped, unlike
// the DOM's own append, which would print them).
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// Replaces el's children.
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uniqueId = 0;
export function newId(prefix) {
  uniqueId += 1;
  return `${prefix}-${uniqueId}`;
}

// --- Formatting ---------------------------------------------------------------

export const DASH = '—';

// An ISO timestamp as a <time> in local time, with the exact UTC value as
// its title; DASH for null/absent.
export function timeCell(iso, {relative = false} = {}) {
  if (!iso) return DASH;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const text = relative ? relativeTime(date) : localTime(date);
  return h('time', {datetime: iso, title: iso}, text);
}

export function localTime(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
      `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function relativeTime(date, now = new Date()) {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  let text;
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.round(s / 60)} min`;
  else if (s < 86400) text = `${Math.round(s / 3600)} h`;
  else text = `${Math.round(s / 86400)} days`;
  return future ? `in ${text}` : `${text} ago`;
}

export function milliseconds(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DASH;
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

export function brokerAddress(broker) {
  return `${broker.protocol}://${broker.host}:${broker.port}${broker.path ?? ''}`;
}

// --- Status lines ------------------------------------------------------------

// A polite status line (role=status) whose text can be set later.
export function statusLine(text = '') {
  return h('p', {class: 'status', role: 'status'}, text);
}

// An error message (role=alert) or nothing.
export function errorBox(message) {
  if (!message) return null;
  return h('p', {class: 'error', role: 'alert'}, message);
}

export function loading(what) {
  return h('p', {class: 'loading', role: 'status'}, `Loading ${what}…`);
}

// --- Sortable tables ---------------------------------------------------------

// A table whose main columns sort on click. `columns`: [{key, label, value:
// row => sort value, cell: row => node/text, sortable}]; `sort`: {key, dir}
// kept by the caller so it survives a refresh; `onSort(sort)` re-renders.
export function dataTable({caption, columns, rows, sort, onSort, empty = 'Nothing here yet.'}) {
  const sorted = sortRows(rows, columns, sort);
  const head = h('tr', null, columns.map((column) => {
    const active = sort && sort.key === column.key;
    const ariaSort = active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : null;
    if (!column.sortable) return h('th', {scope: 'col'}, column.label);
    const arrow = active ? (sort.dir === 'asc' ? '▲' : '▼') : '↕';
    return h('th', {scope: 'col', class: 'sortable', 'aria-sort': ariaSort},
        h('button', {
          type: 'button', class: 'sort',
          onclick: () => onSort({
            key: column.key,
            dir: active && sort.dir === 'asc' ? 'desc' : 'asc',
          }),
        }, column.label, h('span', {'aria-hidden': 'true', class: 'arrow'}, ` ${arrow}`)));
  }));
  const body = h('tbody', null, sorted.length === 0 ?
    h('tr', null, h('td', {colspan: columns.length, class: 'empty'}, empty)) :
    sorted.map((row) => h('tr', null, columns.map((column) => h('td', {
      'data-label': column.label, class: column.className,
    }, column.cell ? column.cell(row) : cellText(row[column.key]))))));
  return h('div', {class: 'table-wrap'},
      h('table', null, h('caption', null, caption), h('thead', null, head), body));
}

function cellText(value) {
  return value === null || value === undefined || value === '' ? DASH : String(value);
}

function sortRows(rows, columns, sort) {
  if (!sort) return rows;
  const column = columns.find((c) => c.key === sort.key);
  if (!column) return rows;
  const valueOf = column.value ?? ((row) => row[column.key]);
  const factor = sort.dir === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => factor * compare(valueOf(a), valueOf(b)));
}

// Numbers numerically, text naturally; empty values last in either order.
function compare(a, b) {
  const emptyA = a === null || a === undefined || a === '';
  const emptyB = b === null || b === undefined || b === '';
  if (emptyA || emptyB) return emptyA === emptyB ? 0 : (emptyA ? 1 : -1);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, {numeric: true, sensitivity: 'base'});
}

// --- Dialogs -----------------------------------------------------------------

// A modal confirmation. `onConfirm()` may throw an ApiError: its message is
// shown in the dialog, which stays open. Resolves true once confirmed and
// done, false when cancelled.
export function confirmDialog({title, body, confirmLabel, onConfirm}) {
  return new Promise((resolve) => {
    const titleId = newId('dialog-title');
    const error = h('p', {class: 'error', role: 'alert', hidden: true});
    const confirm = h('button', {type: 'button', class: 'danger'}, confirmLabel);
    const cancel = h('button', {type: 'button'}, 'Cancel');
    const dialog = h('dialog', {'aria-labelledby': titleId},
        h('h2', {id: titleId}, title), h('p', null, body), error,
        h('div', {class: 'actions'}, confirm, cancel));
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(false);
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      error.hidden = true;
      try {
        await onConfirm();
        finish(true);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        confirm.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
