// Small DOM helpers. Text always goes in through textContent / text nodes, never innerHTML,
// so names and texts from the API (Vietnamese or anything else) show exactly as typed. Every
// word of the console's own goes through t(vi, en) (i18n.js).

import { t, formatDateTime, formatNumber, idFromName } from './i18n.js';

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'text') element.textContent = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    // Initial values are also the defaults, so form.reset() goes back to them.
    else if (key === 'value' && tag === 'textarea') element.defaultValue = value;
    else if (key === 'value' && tag === 'input') element.setAttribute('value', value);
    else if (key === 'value') element.value = value;
    else if (key === 'checked') element.defaultChecked = element.checked = Boolean(value);
    else if (key === 'selected') element.defaultSelected = element.selected = Boolean(value);
    else if (key === 'disabled' || key === 'required' || key === 'multiple') element[key] = Boolean(value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let fieldCounter = 0;
export function uniqueId(prefix) {
  fieldCounter += 1;
  return prefix + '-' + fieldCounter;
}

// A labelled form control: <div class="field"><label for>..</label><control><small>hint</small></div>
export function field(labelText, control, hint) {
  if (!control.id) control.id = uniqueId('field');
  const parts = [h('label', { for: control.id, text: labelText }), control];
  if (hint) {
    const hintId = control.id + '-hint';
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('small', { id: hintId, class: 'hint', text: hint }));
  }
  return h('div', { class: 'field' }, parts);
}

export function select(name, options, selected) {
  return h(
    'select',
    { name },
    options.map((option) => {
      const [value, label] = Array.isArray(option) ? option : [option, option];
      return h('option', { value, selected: value === selected, text: label });
    }),
  );
}

// A group of checkboxes in a fieldset; returns { element, values() }.
export function checkboxGroup(legend, name, options, checked = []) {
  const boxes = options.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', name, value, checked: checked.includes(value) });
    return { box, row: h('label', { class: 'check' }, box, ' ', label) };
  });
  const element = h(
    'fieldset',
    { class: 'checks' },
    h('legend', { text: legend }),
    boxes.length ? boxes.map((entry) => entry.row) : h('span', { class: 'muted', text: t('chưa có', 'none yet') }),
  );
  return { element, values: () => boxes.filter((entry) => entry.box.checked).map((entry) => entry.box.value) };
}

// What each of the API's error codes (docs/api.md, "Errors") means to an officer.
const errorMeanings = {
  'bad-request': ['Yêu cầu không hợp lệ', 'the request is malformed'],
  unauthenticated: ['Chưa đăng nhập, phiên đã hết hạn hoặc sai tên đăng nhập/mật khẩu', 'not signed in, the session ended, or a wrong user name or password'],
  'permission-denied': ['Bạn không có quyền làm việc này', 'you may not do this'],
  csrf: ['Phiên làm việc không khớp; hãy tải lại trang', 'the session check failed; reload the page'],
  'not-found': ['Không tìm thấy', 'not found'],
  conflict: ['Xung đột — dữ liệu đã bị người khác thay đổi hoặc không ở trạng thái cho phép', 'conflict — changed by someone else meanwhile, or not in a state that allows this'],
  'already-exists': ['Đã tồn tại (mã này đã được dùng)', 'already exists (this id is taken)'],
  'model-invalid': ['Lịch phát sẽ không hợp lệ', 'the schedule would be invalid'],
  'length-required': ['Thiếu độ dài nội dung', 'the body length is missing'],
  'too-large': ['Quá lớn', 'too large'],
  'uri-too-long': ['Địa chỉ yêu cầu quá dài', 'the request address is too long'],
  'unsupported-media': ['Không phải tệp âm thanh, video hay hình ảnh phát được', 'not a playable audio, video or picture file'],
  'range-not-satisfiable': ['Đoạn tệp yêu cầu nằm ngoài tệp', 'the requested range is outside the file'],
  'invalid-input': ['Dữ liệu nhập không hợp lệ', 'invalid input'],
  'rate-limited': ['Quá nhiều yêu cầu hoặc thử sai quá nhiều lần; hãy đợi rồi thử lại', 'too many requests or failed attempts; wait and try again'],
  internal: ['Lỗi nội bộ của máy chủ', 'internal server error'],
  unavailable: ['Dịch vụ này không có trên máy chủ', 'this service is not available on the server'],
  unsupported: ['Máy chủ không hỗ trợ việc này', 'the server does not support this'],
  io: ['Lỗi đọc/ghi trên máy chủ', 'a read or write failed on the server'],
  timeout: ['Hết thời gian chờ', 'timed out'],
  crypto: ['Lỗi mã hoá trên máy chủ', 'a cryptography error on the server'],
  network: ['Không kết nối được với máy chủ', 'the controller did not answer'],
  'http-error': ['Máy chủ từ chối yêu cầu', 'the server refused the request'],
};

// The API's { error, detail } as a message people can act on: the code's meaning in the
// current language, then the server's own detail, then status and code, e.g.
// "Chưa đăng nhập…: wrong user name or password (401 unauthenticated)".
export function describeError(error) {
  if (!error) return '';
  if (error.code === undefined) return String(error.message || error);
  const meaning = errorMeanings[error.code];
  const fallback = error.status ? t('Yêu cầu thất bại', 'the request failed') : '';
  const text = meaning ? t(meaning[0], meaning[1]) : fallback;
  const detail = error.detail || (meaning ? '' : error.message || '');
  const status = error.status ? ' (' + error.status + ' ' + error.code + ')' : ' (' + error.code + ')';
  return [text, detail].filter(Boolean).join(': ') + status;
}

// A region that announces errors and successes to screen readers.
export function messageArea() {
  const element = h('div', { class: 'message', role: 'status', 'aria-live': 'polite' });
  return {
    element,
    error(error) {
      element.className = 'message error';
      element.setAttribute('role', 'alert');
      clear(element, h('strong', { text: t('Lỗi: ', 'Error: ') }), describeError(error));
    },
    success(text) {
      element.className = 'message success';
      element.setAttribute('role', 'status');
      clear(element, text);
    },
    clear() {
      element.className = 'message';
      clear(element);
    },
  };
}

// A day typed as dd/mm/yyyy. The browser's own date picker follows the browser's language (often
// mm/dd/yyyy), so days are plain text fields read here. dayToIso: '' for an empty field, null for
// one that is not a real day, else yyyy-mm-dd.
export function dayToIso(text) {
  const trimmed = String(text || '').trim();
  if (!trimmed) return '';
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(trimmed);
  if (!match) return null;
  const [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isoToDay(iso) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || '');
  return match ? `${match[3]}/${match[2]}/${match[1]}` : iso || '';
}

// A text field for a day (dd/mm/yyyy); its validity follows what is typed.
export function dayInput(attributes = {}, iso = '') {
  const input = h('input', {
    type: 'text', inputmode: 'numeric', autocomplete: 'off', placeholder: 'dd/mm/yyyy', size: 12, maxlength: 10, ...attributes,
    value: iso ? isoToDay(iso) : undefined,
  });
  input.addEventListener('input', () => {
    input.setCustomValidity(dayToIso(input.value) === null ? t('Ngày phải có dạng dd/mm/yyyy, ví dụ 05/12/2026.', 'A day is dd/mm/yyyy, e.g. 05/12/2026.') : '');
  });
  return input;
}

// "dd/mm/yyyy HH:MM" in the browser's local time as a Date: undefined when empty, null when not valid.
export function parseDayTime(text) {
  const trimmed = String(text || '').trim();
  if (!trimmed) return undefined;
  const match = /^(\d{1,2}\/\d{1,2}\/\d{4})\s+(\d{1,2}):(\d{2})$/.exec(trimmed);
  const day = match ? dayToIso(match[1]) : null;
  if (!day || Number(match[2]) > 23 || Number(match[3]) > 59) return null;
  const [year, month, date] = day.split('-').map(Number);
  return new Date(year, month - 1, date, Number(match[2]), Number(match[3]));
}

// An API time (ISO 8601) as dd/mm/yyyy HH:MM in `timeZone` (the device's; else Vietnam's).
export function formatTime(iso, timeZone) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatDateTime(date.getTime(), timeZone);
}

export function formatAgo(iso, now = Date.now()) {
  if (!iso) return t('chưa bao giờ', 'never');
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 5) return t('vừa xong', 'just now');
  if (seconds < 90) return t(seconds + ' giây trước', seconds + ' s ago');
  if (seconds < 5400) return t(Math.round(seconds / 60) + ' phút trước', Math.round(seconds / 60) + ' min ago');
  if (seconds < 172800) return t(Math.round(seconds / 3600) + ' giờ trước', Math.round(seconds / 3600) + ' h ago');
  return t(Math.round(seconds / 86400) + ' ngày trước', Math.round(seconds / 86400) + ' days ago');
}

export function formatDuration(milliseconds) {
  if (milliseconds === null || milliseconds === undefined) return '—';
  const seconds = Math.round(milliseconds / 100) / 10;
  if (seconds < 60) return t(formatNumber(seconds, seconds % 1 ? 1 : 0) + ' giây', formatNumber(seconds, seconds % 1 ? 1 : 0) + ' s');
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return t(minutes + ' phút ' + rest + ' giây', minutes + ' min ' + rest + ' s');
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return formatNumber(bytes) + ' B';
  if (bytes < 1024 * 1024) return formatNumber(bytes / 1024, 1) + ' KB';
  return formatNumber(bytes / 1024 / 1024, 1) + ' MB';
}

export function badge(text, kind) {
  return h('span', { class: 'badge badge-' + kind, text });
}

// A table with a caption, header row and body rows (arrays of cells).
// It sits in a container that scrolls sideways on a narrow screen (the page itself never does).
export function table(caption, headers, rows, emptyText) {
  if (!rows.length) return h('p', { class: 'muted', text: emptyText || t('Chưa có gì.', 'Nothing yet.') });
  return scrollBox(h(
    'table',
    {},
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col', text: header })))),
    h('tbody', {}, rows.map((row) => (row instanceof Node ? row : h('tr', {}, row.map((cell) => h('td', {}, cell)))))),
  ));
}

// A wide element (a table) inside a box that scrolls sideways, reachable by keyboard.
export function scrollBox(child, label) {
  const caption = label || (child.querySelector && child.querySelector('caption') ? child.querySelector('caption').textContent : '');
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption || t('Bảng', 'Table') }, child);
}

// The id field of a form whose id the officer need not type: the id follows the name (diacritics
// folded, idFromName) and shows as a line "Mã: ban-tin-sang"; "Sửa mã" opens the field to edit
// it, after which it no longer follows the name. Returns the element to put under the name.
export function idFromNameField(nameInput, idInput, { label, hint } = {}) {
  let edited = false;
  const labelText = label || t('Mã', 'Id');
  const shown = h('code', { class: 'mono generated-id' });
  const editor = h('div', { class: 'id-editor', hidden: true },
    field(labelText, idInput, hint || t('Chữ không dấu, số, dấu . _ -; tối đa 64 ký tự.', 'Letters without diacritics, digits, . _ -; at most 64 characters.')));
  const open = () => {
    editor.hidden = false;
    line.hidden = true;
  };
  const button = h('button', { type: 'button', class: 'small secondary', text: t('Sửa mã', 'Edit id'), onclick: () => {
    open();
    idInput.focus();
  } });
  const line = h('div', { class: 'id-line' }, h('span', { class: 'muted', text: labelText + ': ' }), shown, ' ', button);
  const follow = () => {
    if (edited) return;
    idInput.value = idFromName(nameInput.value);
    shown.textContent = idInput.value || '—';
  };
  nameInput.addEventListener('input', follow);
  idInput.addEventListener('input', () => {
    edited = true;
  });
  // A name that folds to nothing (only symbols) leaves the id empty: the form then opens it.
  idInput.addEventListener('invalid', open);
  const reset = () => {
    edited = false;
    editor.hidden = true;
    line.hidden = false;
    setTimeout(follow, 0);
  };
  const wrapper = h('div', { class: 'id-from-name' }, line, editor);
  wrapper.resetId = reset;
  queueMicrotask(() => {
    if (idInput.form) idInput.form.addEventListener('reset', reset);
  });
  follow();
  return wrapper;
}

// A modal dialog asking for one line of text; resolves to the text or null when cancelled.
export function askText(title, label, { required = true, confirmLabel } = {}) {
  return new Promise((resolve) => {
    const input = h('input', { type: 'text', required, autocomplete: 'off' });
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { text: title }),
      field(label, input),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', value: 'ok', text: confirmLabel || t('Đồng ý', 'OK') }),
        h('button', { type: 'button', class: 'secondary', text: t('Huỷ', 'Cancel'), onclick: () => dialog.close('cancel') }),
      ),
    );
    const dialog = h('dialog', { 'aria-label': title }, form);
    dialog.addEventListener('close', () => {
      const value = dialog.returnValue === 'ok' ? input.value.trim() : null;
      dialog.remove();
      resolve(value);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

// A modal yes/no question; resolves true or false.
export function confirmAction(title, text, confirmLabel) {
  return new Promise((resolve) => {
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { text: title }),
      h('p', { text }),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', value: 'yes', class: 'danger', text: confirmLabel }),
        h('button', { type: 'submit', value: 'no', class: 'secondary', text: t('Huỷ', 'Cancel') }),
      ),
    );
    const dialog = h('dialog', { 'aria-label': title }, form);
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// "a, b ,c" -> ["a", "b", "c"]
export function splitList(text) {
  return text.split(',').map((part) => part.trim()).filter(Boolean);
}

// A File or Blob offered for download under `name`.
export function downloadBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
