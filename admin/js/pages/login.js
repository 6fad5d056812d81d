// Login: the admin token, checked against the server before it is kept
// (sessionStorage: this tab only, gone when the tab closes).

import * as api from '../api.js';
import {h, append} from '../dom.js';

export function renderLogin(root, {message, onSuccess}) {
  document.title = 'Log in · Switchboard admin';
  const input = h('input', {
    id: 'admin-token', name: 'token', type: 'password', autocomplete: 'off', required: true,
    spellcheck: 'false', 'aria-describedby': 'admin-token-hint',
  });
  const error = h('p', {class: 'error', role: 'alert', hidden: true});
  const button = h('button', {type: 'submit', class: 'primary'}, 'Log in');
  const form = h('form', {class: 'login', novalidate: true},
      h('label', {for: 'admin-token'}, 'Admin token'), input,
      h('p', {id: 'admin-token-hint', class: 'hint'},
          'The token the server was started with: ', h('code', null, 'scripts/run'),
          ' keeps it in ',
          h('code', null, 'var/admin-token'), '; otherwise it is in the file named by ',
          h('code', null, 'server.admin_token_file'), ' or in ',
          h('code', null, 'SWITCHBOARD_ADMIN_TOKEN'), '.'),
      error, button);
  const fail = (text) => {
    error.textContent = text;
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (value === '') {
      fail('Enter the admin token.');
      return;
    }
    button.disabled = true;
    button.textContent = 'Checking…';
    try {
      await api.call('GET', '/admin/chain', undefined, {adminToken: value});
      api.setToken(value);
      onSuccess();
    } catch (e) {
      fail(e.status === 401 ? `The server refused this token: ${e.message}.` : e.message);
      button.disabled = false;
      button.textContent = 'Log in';
    }
  });
  append(root, h('div', {class: 'page narrow'},
      h('h1', null, 'Log in to the Switchboard admin panel'),
      message ? h('p', {class: 'notice', role: 'status'}, message) : null, form));
  input.focus();
}
