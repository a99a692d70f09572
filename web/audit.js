// The audit log (admins and approvers): every change a person made, newest first, filtered by
// person, kind of record and days, a page at a time (GET /audit).

import * as api from './api.js';
import { h, clear, dayInput, dayToIso, field, formatTime, messageArea, select, table } from './dom.js';
import { t } from './i18n.js';

const kinds = {
  campaign: ['Chiến dịch', 'Campaign'],
  playlist: ['Danh sách phát', 'Playlist'],
  media: ['Nội dung', 'Media'],
  notice: ['Thông báo văn bản', 'Text notice'],
  stream: ['Luồng phát', 'Stream'],
  alert: ['Cảnh báo', 'Alert'],
  device: ['Thiết bị', 'Device'],
  zone: ['Khu vực', 'Zone'],
  user: ['Người dùng', 'User'],
  live: ['Phát trực tiếp', 'Live broadcast'],
};

const verbs = {
  create: ['tạo', 'created'],
  edit: ['sửa', 'edited'],
  update: ['sửa', 'updated'],
  submit: ['gửi duyệt', 'submitted'],
  approve: ['duyệt', 'approved'],
  reject: ['từ chối', 'rejected'],
  archive: ['lưu trữ', 'archived'],
  delete: ['xoá', 'deleted'],
  upload: ['tải lên', 'uploaded'],
  confirm: ['xác nhận', 'confirmed'],
  cancel: ['huỷ', 'cancelled'],
  replace: ['thay bằng cảnh báo mới', 'replaced by a newer alert'],
  register: ['đăng ký', 'registered'],
  revoke: ['thu hồi', 'revoked'],
  credentials: ['cấp mật khẩu mới', 'new credentials'],
  command: ['gửi lệnh', 'sent a command'],
  open: ['mở', 'opened'],
  close: ['đóng', 'closed'],
  disable: ['khoá', 'disabled'],
  enable: ['mở khoá', 'enabled'],
  'set-role': ['đổi vai trò', 'changed role'],
  'change-password': ['đổi mật khẩu', 'changed password'],
  'create-first-admin': ['tạo quản trị đầu tiên', 'created the first admin'],
  'settings.propose': ['đề xuất đổi thiết lập (chờ người thứ hai)', 'proposed a settings change (awaiting a second person)'],
  'settings.confirm': ['xác nhận đổi thiết lập', 'confirmed a settings change'],
  'settings.cancel': ['rút đề xuất đổi thiết lập', 'withdrew a settings change'],
};

const kindLabel = (kind) => (kinds[kind] ? t(kinds[kind][0], kinds[kind][1]) : kind);

function actionLabel(action) {
  const [kind, ...rest] = String(action).split('.');
  const verb = rest.join('.');
  if (!verbs[verb]) return h('span', { class: 'mono', text: action });
  return kindLabel(kind) + ': ' + t(verbs[verb][0], verbs[verb][1]);
}

// The record's name where its JSON has one.
function recordName(entry) {
  const record = entry.after || entry.before;
  if (!record || typeof record !== 'object') return '';
  return record.name || record.display_name || record.headline || '';
}

// "dd/mm/yyyy" as the instant of local midnight (the browser's time zone), ISO; '' if empty.
function dayStart(text, plusDays = 0) {
  const iso = dayToIso(text);
  if (!iso) return iso;
  const [year, month, day] = iso.split('-').map(Number);
  return new Date(year, month - 1, day + plusDays).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function render(container, context) {
  const message = messageArea();
  const users = context.can('manageUsers') ? await api.listAll('/users').catch(() => []) : [];
  const people = new Map(users.map((user) => [String(user.id), user.display_name || user.name]));
  const person = select('user', [['', t('Mọi người', 'Everyone')], ...people.entries()], '');
  person.id = 'audit-user';
  const kind = select('entity_type', [['', t('Mọi loại', 'Every kind')], ...Object.keys(kinds).map((key) => [key, kindLabel(key)])], '');
  kind.id = 'audit-kind';
  const from = dayInput({ name: 'from', id: 'audit-from' });
  const to = dayInput({ name: 'to', id: 'audit-to' });
  const listing = h('div', { id: 'audit-list' });
  const pager = h('div', { class: 'actions', id: 'audit-pager' });
  const cursors = [null];  // the cursor of each page shown so far
  let page = 0;

  function addPerson(id, name) {
    if (id === null || id === undefined || people.has(String(id))) return;
    people.set(String(id), name);
    person.append(h('option', { value: String(id), text: name }));
  }

  async function load() {
    message.clear();
    if (dayToIso(from.value) === null || dayToIso(to.value) === null) {
      message.error({ code: 'invalid-input', detail: t('ngày phải có dạng dd/mm/yyyy', 'a day is dd/mm/yyyy') });
      return;
    }
    const query = { limit: 25 };
    if (person.value) query.user = person.value;
    if (kind.value) query.entity_type = kind.value;
    if (dayStart(from.value)) query.from = dayStart(from.value);
    if (dayStart(to.value, 1)) query.to = dayStart(to.value, 1);
    if (cursors[page]) query.cursor = cursors[page];
    try {
      const answer = await api.get('/audit', query);
      cursors[page + 1] = answer.next_cursor;
      for (const entry of answer.items) addPerson(entry.user, entry.user_name);
      const rows = answer.items.map((entry) => h('tr', { dataset: { action: entry.action } },
        h('td', { text: formatTime(entry.at) }),
        h('td', { text: entry.user_name || t('(hệ thống)', '(system)') }),
        h('td', {}, actionLabel(entry.action)),
        h('td', {}, recordName(entry) ? h('strong', { class: 'server-text', text: recordName(entry) }) : null, h('div', { class: 'muted mono', text: entry.entity_id })),
        h('td', {}, h('details', {}, h('summary', { text: t('Trước và sau', 'Before and after') }),
          h('pre', { class: 'server-text mono audit-json', lang: 'en', text: JSON.stringify({ before: entry.before, after: entry.after }, null, 1) })))));
      clear(listing, table(t('Nhật ký thay đổi', 'Audit log'), [t('Lúc', 'At'), t('Người', 'Person'), t('Việc', 'What'), t('Đối tượng', 'Record'), t('Chi tiết', 'Detail')],
        rows, t('Không có thay đổi nào khớp bộ lọc.', 'No change matches the filter.')));
      clear(pager,
        h('button', { type: 'button', class: 'secondary', id: 'audit-previous', text: t('‹ Trang trước', '‹ Previous page'), disabled: page === 0, onclick: () => { page -= 1; load(); } }),
        h('span', { class: 'muted', text: t('Trang ' + (page + 1), 'Page ' + (page + 1)) }),
        h('button', { type: 'button', class: 'secondary', id: 'audit-next', text: t('Trang sau ›', 'Next page ›'), disabled: !answer.next_cursor, onclick: () => { page += 1; load(); } }));
    } catch (error) {
      clear(listing);
      message.error(error);
    }
  }

  const form = h('form', { id: 'audit-form', class: 'inline' },
    field(t('Người', 'Person'), person), field(t('Loại', 'Kind'), kind), field(t('Từ ngày', 'From'), from), field(t('Đến ngày', 'To'), to),
    h('div', { class: 'field' }, h('button', { type: 'submit', id: 'audit-filter', text: t('Lọc', 'Filter') })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors.length = 1;
    page = 0;
    load();
  });
  container.append(h('div', { class: 'panel' }, form), message.element, h('div', { class: 'panel' }, listing, pager));
  await load();
}
