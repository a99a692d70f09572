// Small DOM helpers. Text always goes in through textContent / text nodes, never innerHTML,
// so names and texts from the API (Vietnamese or anything else) show exactly as typed.

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
    boxes.length ? boxes.map((entry) => entry.row) : h('span', { class: 'muted', text: 'none yet' }),
  );
  return { element, values: () => boxes.filter((entry) => entry.box.checked).map((entry) => entry.box.value) };
}

// The API's { error, detail } as a message people can act on.
export function describeError(error) {
  if (!error) return '';
  if (error.code === undefined) return String(error.message || error);
  const status = error.status ? ' (' + error.status + ' ' + error.code + ')' : ' (' + error.code + ')';
  return (error.detail || error.message || 'request failed') + status;
}

// A region that announces errors and successes to screen readers.
export function messageArea() {
  const element = h('div', { class: 'message', role: 'status', 'aria-live': 'polite' });
  return {
    element,
    error(error) {
      element.className = 'message error';
      element.setAttribute('role', 'alert');
      clear(element, h('strong', { text: 'Error: ' }), describeError(error));
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

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date);
}

export function formatAgo(iso, now = Date.now()) {
  if (!iso) return 'never';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return iso;
  if (seconds < 5) return 'just now';
  if (seconds < 90) return seconds + ' s ago';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min ago';
  if (seconds < 172800) return Math.round(seconds / 3600) + ' h ago';
  return Math.round(seconds / 86400) + ' days ago';
}

export function formatDuration(milliseconds) {
  if (milliseconds === null || milliseconds === undefined) return '—';
  const seconds = Math.round(milliseconds / 100) / 10;
  if (seconds < 60) return seconds + ' s';
  const minutes = Math.floor(seconds / 60);
  return minutes + ' min ' + Math.round(seconds - minutes * 60) + ' s';
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1024) return bytes + ' B';
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + ' KiB';
  return (bytes / 1024 / 1024).toFixed(1) + ' MiB';
}

export function badge(text, kind) {
  return h('span', { class: 'badge badge-' + kind, text });
}

// A table with a caption, header row and body rows (arrays of cells).
export function table(caption, headers, rows, emptyText = 'Nothing yet.') {
  if (!rows.length) return h('p', { class: 'muted', text: emptyText });
  return h(
    'table',
    {},
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col', text: header })))),
    h('tbody', {}, rows.map((row) => (row instanceof Node ? row : h('tr', {}, row.map((cell) => h('td', {}, cell)))))),
  );
}

// A modal dialog asking for one line of text; resolves to the text or null when cancelled.
export function askText(title, label, { required = true, confirmLabel = 'OK' } = {}) {
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
        h('button', { type: 'submit', value: 'ok', text: confirmLabel }),
        h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: () => dialog.close('cancel') }),
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
        h('button', { type: 'submit', value: 'no', class: 'secondary', text: 'Cancel' }),
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
