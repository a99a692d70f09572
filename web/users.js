// Users (admin): the list, create, change role, disable or enable, set a password.

import * as api from './api.js';
import { h, clear, badge, askText, field, formatTime, messageArea, select, table } from './dom.js';

const roleOptions = [['editor', 'editor'], ['approver', 'approver'], ['operator', 'operator'], ['admin', 'admin']];

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'user-list' });

  async function update(user, body, done) {
    try {
      await api.put('/users/' + user.id, body);
      message.success(done);
    } catch (error) {
      message.error(error);
    }
    await refresh();
  }

  async function refresh() {
    try {
      const users = await api.listAll('/users');
      const rows = users.map((user) => {
        const role = select('role', roleOptions, user.role);
        role.setAttribute('aria-label', 'Role of ' + user.name);
        role.addEventListener('change', () => update(user, { role: role.value }, user.name + ' is now ' + role.value + '.'));
        const self = user.id === context.user.id;
        return h('tr', { dataset: { user: user.name } },
          h('td', {}, h('strong', { text: user.display_name || user.name }), h('div', { class: 'muted mono', text: user.name })),
          h('td', {}, role),
          h('td', {}, user.disabled ? badge('disabled', 'bad') : badge('active', 'ok')),
          h('td', { text: formatTime(user.created) }),
          h('td', {}, h('div', { class: 'actions' },
            self ? null : h('button', {
              type: 'button', class: 'small secondary', text: user.disabled ? 'Enable' : 'Disable', 'aria-label': (user.disabled ? 'Enable ' : 'Disable ') + user.name,
              onclick: () => update(user, { disabled: !user.disabled }, user.name + (user.disabled ? ' enabled.' : ' disabled; their sessions ended.')),
            }),
            h('button', {
              type: 'button', class: 'small secondary', text: 'Set password', 'aria-label': 'Set password of ' + user.name,
              onclick: async () => {
                const password = await askText('New password for ' + user.name, 'At least 10 characters', { confirmLabel: 'Set password' });
                if (!password) return;
                try {
                  await api.post('/users/' + user.id + '/password', { new_password: password });
                  message.success('Password of ' + user.name + ' changed; their sessions ended.');
                } catch (error) {
                  message.error(error);
                }
              },
            }))));
      });
      clear(listing, table('Users', ['User', 'Role', 'State', 'Created', 'Actions'], rows));
    } catch (error) {
      message.error(error);
    }
  }

  const name = h('input', { name: 'name', required: true, id: 'user-name', autocomplete: 'off' });
  const displayName = h('input', { name: 'display_name', id: 'user-display-name', autocomplete: 'off' });
  const role = select('role', roleOptions, 'editor');
  role.id = 'user-role';
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 10, id: 'user-password', autocomplete: 'new-password' });
  const form = h('form', { id: 'user-form' },
    h('div', { class: 'inline' }, field('User name', name), field('Display name', displayName, 'e.g. "Nguyễn Thị Bình"')),
    h('div', { class: 'inline' }, field('Role', role), field('Password', password, 'At least 10 characters.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Create user', id: 'user-create' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), display_name: displayName.value.trim() || name.value.trim(), role: role.value, password: password.value };
    try {
      const created = await api.post('/users', body);
      message.success('User "' + created.display_name + '" (' + created.role + ') created.');
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    }
  });

  container.append(message.element, h('div', { class: 'panel' }, listing), h('div', { class: 'panel' }, h('h3', { text: 'New user' }), form));
  await refresh();
}
