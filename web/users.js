// Users (admin): the list, create, change role, disable or enable, set a password.

import * as api from './api.js';
import { h, clear, badge, askText, field, formatTime, idFromNameField, messageArea, select, table } from './dom.js';
import { t } from './i18n.js';
import { roleLabel, roleValues } from './words.js';

const roleOptions = () => roleValues.map((value) => [value, roleLabel(value)]);

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
        const person = user.display_name || user.name;
        const role = select('role', roleOptions(), user.role);
        role.setAttribute('aria-label', t('Vai trò của ', 'Role of ') + person);
        role.addEventListener('change', () => update(user, { role: role.value },
          t(person + ' nay là ' + roleLabel(role.value) + '.', person + ' is now ' + roleLabel(role.value) + '.')));
        const self = user.id === context.user.id;
        return h('tr', { dataset: { user: user.name } },
          h('td', {}, h('strong', { text: person }), h('div', { class: 'muted mono', text: user.name })),
          h('td', {}, role),
          h('td', {}, user.disabled ? badge(t('đã khoá', 'disabled'), 'bad') : badge(t('đang dùng', 'active'), 'ok')),
          h('td', { text: formatTime(user.created) }),
          h('td', {}, h('div', { class: 'actions' },
            self ? null : h('button', {
              type: 'button', class: 'small secondary', text: user.disabled ? t('Mở khoá', 'Enable') : t('Khoá', 'Disable'),
              'aria-label': (user.disabled ? t('Mở khoá ', 'Enable ') : t('Khoá ', 'Disable ')) + person,
              onclick: () => update(user, { disabled: !user.disabled }, user.disabled
                ? t('Đã mở khoá ' + person + '.', person + ' enabled.')
                : t('Đã khoá ' + person + '; các phiên làm việc của người này đã kết thúc.', person + ' disabled; their sessions ended.')),
            }),
            h('button', {
              type: 'button', class: 'small secondary', text: t('Đặt mật khẩu', 'Set password'), 'aria-label': t('Đặt mật khẩu cho ', 'Set password of ') + person,
              onclick: async () => {
                const password = await askText(t('Mật khẩu mới cho ', 'New password for ') + person, t('Ít nhất 10 ký tự', 'At least 10 characters'),
                  { confirmLabel: t('Đặt mật khẩu', 'Set password') });
                if (!password) return;
                try {
                  await api.post('/users/' + user.id + '/password', { new_password: password });
                  message.success(t('Đã đổi mật khẩu của ' + person + '; các phiên làm việc của người này đã kết thúc.', 'Password of ' + person + ' changed; their sessions ended.'));
                } catch (error) {
                  message.error(error);
                }
              },
            }))));
      });
      clear(listing, table(t('Người dùng', 'Users'), [t('Người dùng', 'User'), t('Vai trò', 'Role'), t('Trạng thái', 'State'), t('Tạo lúc', 'Created'), t('Thao tác', 'Actions')], rows));
    } catch (error) {
      message.error(error);
    }
  }

  const name = h('input', { name: 'name', required: true, id: 'user-name', autocomplete: 'off', pattern: '[A-Za-z0-9._\\-]{1,64}', maxlength: 64 });
  const displayName = h('input', { name: 'display_name', id: 'user-display-name', autocomplete: 'off', required: true });
  const role = select('role', roleOptions(), 'editor');
  role.id = 'user-role';
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 10, id: 'user-password', autocomplete: 'new-password' });
  const form = h('form', { id: 'user-form' },
    field(t('Họ và tên', 'Full name'), displayName, t('Ví dụ: "Nguyễn Thị Bình"', 'e.g. "Nguyễn Thị Bình"')),
    idFromNameField(displayName, name, {
      label: t('Tên đăng nhập', 'User name'),
      hint: t('Chữ không dấu, số, dấu . _ -', 'Letters without diacritics, digits, . _ -'),
    }),
    h('div', { class: 'inline' }, field(t('Vai trò', 'Role'), role), field(t('Mật khẩu', 'Password'), password, t('Ít nhất 10 ký tự.', 'At least 10 characters.'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('Tạo người dùng', 'Create user'), id: 'user-create' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), display_name: displayName.value.trim() || name.value.trim(), role: role.value, password: password.value };
    try {
      const created = await api.post('/users', body);
      message.success(t('Đã tạo người dùng "' + created.display_name + '" (' + roleLabel(created.role) + '), tên đăng nhập ' + created.name + '.',
        'User "' + created.display_name + '" (' + roleLabel(created.role) + ') created, signs in as ' + created.name + '.'));
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    }
  });

  container.append(message.element, h('div', { class: 'panel' }, listing), h('div', { class: 'panel' }, h('h3', { text: t('Người dùng mới', 'New user') }), form));
  await refresh();
}
