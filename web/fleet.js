// Fleet view: every device, online or not, when last seen, what it plays, which bundle it
// should have and which it applied, and its last error. Refreshes every 5 seconds.

import * as api from './api.js';
import { h, clear, badge, formatAgo, formatTime, messageArea, table } from './dom.js';

const refreshMilliseconds = 5000;

function deliveryBadge(device) {
  const kinds = { applied: 'ok', pending: 'warn', downloading: 'info', failed: 'bad', none: 'neutral' };
  return badge(device.delivery || 'none', kinds[device.delivery] || 'neutral');
}

function bundleCell(device) {
  const desired = device.desired_version ?? '—';
  const applied = device.applied_version ?? '—';
  const behind = device.desired_version != null && device.applied_version !== device.desired_version;
  return h(
    'span',
    {},
    h('span', { class: 'mono', text: 'desired ' + desired + ' / applied ' + applied }),
    behind ? [' ', badge('behind', 'warn')] : null,
  );
}

function nowPlaying(device) {
  if (!device.now_playing) return h('span', { class: 'muted', text: 'nothing' });
  return h(
    'span',
    {},
    device.now_playing.source || '—',
    device.now_playing.media ? h('span', { class: 'muted mono', text: ' ' + device.now_playing.media.slice(0, 10) + '…' }) : null,
  );
}

// Proof of play as the controller holds it: a stall alarm (online and playing, no proof
// committed for ingest.stall_alarm_s) first, then missing rows, then how many arrived in order.
function proofCell(device) {
  if (device.proof_stalled_since) {
    return h('span', { title: formatTime(device.proof_stalled_since) },
      badge('proof stalled since ' + formatAgo(device.proof_stalled_since), 'bad'));
  }
  const proof = device.proof || {};
  const gaps = (proof.gaps || []).length;
  if (gaps > 0) return badge(gaps + (gaps === 1 ? ' gap' : ' gaps') + ' in proof', 'warn');
  if (!proof.highest) return h('span', { class: 'muted', text: 'no proof yet' });
  return h('span', { class: 'mono', text: proof.contiguous + ' rows in order' });
}

function statusCell(device) {
  if (device.revoked) return badge('revoked', 'bad');
  return device.online ? badge('online', 'ok') : badge('offline', 'bad');
}

export async function render(container) {
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const updated = h('p', { class: 'muted', id: 'fleet-updated' });
  const listing = h('div', { id: 'fleet-table' });
  const message = messageArea();
  container.append(summary, message.element, listing, updated);

  async function refresh() {
    try {
      const status = await api.get('/fleet/status');
      message.clear();
      const delivery = Object.entries(status.delivery || {}).map(([key, count]) => key + ' ' + count).join(', ');
      clear(
        summary,
        h('div', {}, h('strong', { text: String(status.online) }), 'online'),
        h('div', {}, h('strong', { text: String(status.offline) }), 'offline'),
        h('div', {}, h('strong', { text: String(status.revoked) }), 'revoked'),
        h('div', {}, h('strong', { text: String(status.devices.length) }), 'devices', delivery ? h('div', { class: 'muted', text: delivery }) : null),
      );
      const rows = status.devices.map((device) =>
        h(
          'tr',
          { dataset: { device: device.id }, class: device.last_error || device.proof_stalled_since ? 'flagged' : undefined },
          h('td', {}, h('strong', { text: device.name || device.id }), h('div', { class: 'muted mono', text: device.id })),
          h('td', { text: device.kind }),
          h('td', { text: device.zone }),
          h('td', {}, statusCell(device)),
          h('td', { title: formatTime(device.last_seen), text: formatAgo(device.last_seen) }),
          h('td', {}, nowPlaying(device)),
          h('td', {}, bundleCell(device), ' ', deliveryBadge(device)),
          h('td', { class: 'proof' }, proofCell(device)),
          h('td', {}, device.last_error ? h('span', { class: 'badge badge-bad', text: device.last_error }) : h('span', { class: 'muted', text: 'none' })),
        ),
      );
      clear(
        listing,
        table('Devices', ['Device', 'Kind', 'Zone', 'Status', 'Last seen', 'Now playing', 'Bundle', 'Proof', 'Last error'], rows,
          'No devices registered yet. Register one under Devices.'),
      );
      updated.textContent = 'Updated ' + formatTime(new Date().toISOString()) + '; refreshes every 5 s.';
    } catch (error) {
      message.error(error);
    }
  }

  await refresh();
  const timer = setInterval(refresh, refreshMilliseconds);
  return () => clearInterval(timer);
}
