// Chain: the resolver chain in force, and a reload from the configuration
// file (a broken file is refused and the chain in force keeps serving).

import * as api from '../api.js';
import {h, errorBox, loading, fill, append} from '../dom.js';

export async function render(ctx) {
  ctx.setTitle('Resolution chain');
  const table = h('div', null, loading('the chain'));
  const outcome = h('div', {'aria-live': 'polite'});
  const reload = h('button', {type: 'button', class: 'primary'}, 'Reload configuration');
  append(ctx.root, h('h1', null, 'Resolution chain'),
      h('p', {class: 'hint'}, 'The resolvers each device goes through, in order: the first ' +
          'that resolves decides. Reloading re-reads the configuration file the server was ' +
          'started with (as SIGHUP does).'),
      table, h('div', {class: 'actions'}, reload), outcome);
  ctx.focusHeading();

  const show = (data) => fill(table, chainTable(data.chain ?? []));
  reload.addEventListener('click', async () => {
    reload.disabled = true;
    fill(outcome, h('p', {role: 'status'}, 'Reloading…'));
    try {
      const data = await api.post('/admin/reload');
      if (!ctx.alive()) return;
      show(data);
      fill(outcome, h('p', {class: 'ok', role: 'status'},
          `Reloaded: ${(data.chain ?? []).map((s) => s.plugin).join(' → ')}.`));
    } catch (e) {
      if (!ctx.alive()) return;
      fill(outcome, h('div', {class: 'error', role: 'alert'},
          h('p', null, h('strong', null, 'Reload refused.'),
              ' The chain shown above keeps serving.'),
          h('pre', {class: 'message'}, e.message)));
    } finally {
      reload.disabled = false;
    }
  });

  try {
    const data = await api.get('/admin/chain');
    if (!ctx.alive()) return;
    show(data);
  } catch (e) {
    if (!ctx.alive()) return;
    fill(table, errorBox(`Could not load the chain: ${e.message}`));
  }
}

function chainTable(chain) {
  return h('div', {class: 'table-wrap'}, h('table', null,
      h('caption', null, 'Chain in force'),
      h('thead', null, h('tr', null, ['Position', 'Resolver', 'Library', 'On error'].map((label) =>
        h('th', {scope: 'col'}, label)))),
      h('tbody', null, chain.map((step) => h('tr', null,
          h('td', {'data-label': 'Position'}, String(step.position)),
          h('td', {'data-label': 'Resolver'}, step.plugin),
          h('td', {'data-label': 'Library'}, h('code', null, step.file)),
          h('td', {'data-label': 'On error'}, step.on_error))))));
}
