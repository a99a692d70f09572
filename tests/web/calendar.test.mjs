// Browser test of the calendar, a device's day as a lane, the alert history and the audit log
// (docs/web.md): starts a real bantin-controller (its own Mosquitto, a temporary data
// directory, free 127.0.0.1 ports, the first admin made with the CLI), sets up through the API a
// loudspeaker whose loop of 5-second spots makes over 15,000 plays a day, a 06:00 bulletin, a
// share-of-voice campaign and an exercise alert that is then cancelled, and drives Debian's
// Chromium through playwright-core: the week and month calendars show the bulletin at 06:00 and
// the band with its count, the day lane opens (the time it takes is printed, not asserted),
// zooms, jumps to 06:00 and names the bulletin, the alert history shows who raised and cancelled
// the alert, the audit log filters and pages; at 1366×768 and 390×844 nothing sticks out and no
// English shows in Vietnamese mode. Screenshots go to --output.
//
//   node calendar.test.mjs --controller BIN --web-root DIR --chromium /usr/bin/chromium --output DIR
//
// Exit 77 (ctest: skipped) when Chromium or node_modules is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  useController, outputDirectory, timeZone, root, page, baseUrl, call, login, signIn, overflowInPage, untranslatedInPage,
} from './harness.mjs';

const adminPassword = 'admin-calendar-password-1';
useController({ name: 'calendar', adminPassword });

const state = { tokens: {}, alertId: '', today: '' };
const bulletinName = 'Bản tin sáng Uyên Hưng';
const bulletinMedia = 'ban-tin-sang.opus';

// A sine tone of `seconds` as an Opus file, uploaded as `name`.
async function uploadTone(token, name, seconds) {
  const file = path.join(root, name);
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'libopus', '-y', file]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  return call(token, 'POST', '/media?name=' + encodeURIComponent(name), new Uint8Array(fs.readFileSync(file)));
}

async function approved(editor, approver, campaign) {
  const created = await call(editor, 'POST', '/campaigns', campaign);
  const submitted = await call(editor, 'POST', '/campaigns/' + campaign.id + '/submit', { version: created.version });
  await call(approver, 'POST', '/campaigns/' + campaign.id + '/approve', { version: submitted.version });
}

async function openSection(id) {
  await page.goto(baseUrl + '/#/' + id);
  await page.locator('#section-title').waitFor();
}

async function checkPage(name) {
  const problems = [];
  for (const viewport of [{ width: 1366, height: 768 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(150);
    for (const found of await page.evaluate(overflowInPage)) problems.push(`${name} at ${viewport.width} px: ${found}`);
    for (const found of await page.evaluate(untranslatedInPage, '')) problems.push(`${name} at ${viewport.width} px: untranslated ${found}`);
    await page.screenshot({ path: path.join(outputDirectory, `web-${name}-${viewport.width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 768 });
  assert.deepEqual(problems, []);
}

test('the office sets up a loudspeaker, a bulletin, a loop, share of voice and a cancelled alert through the API', async () => {
  const admin = await login('admin', adminPassword);
  const people = [['bien', 'editor'], ['duyen', 'approver'], ['khoa', 'operator']];
  for (const [name, role] of people)
    await call(admin, 'POST', '/users', { name, display_name: name === 'khoa' ? 'Lê Minh Khoa' : name, role, password: 'password-of-' + name });
  const [editor, approver, operator] = await Promise.all(people.map(([name]) => login(name, 'password-of-' + name)));
  state.tokens = { admin, editor, approver, operator };
  await call(operator, 'POST', '/zones', { id: 'uyen-hung', name: 'Uyên Hưng' });
  // More changes than one page of the audit log holds.
  for (let index = 1; index <= 12; index += 1) await call(operator, 'POST', '/zones', { id: 'to-' + index, name: 'Tổ ' + index });
  await call(operator, 'POST', '/devices', { id: 'loa-1', kind: 'speaker', zone: 'uyen-hung', name: 'Loa chợ Uyên Hưng' });

  const spot = await uploadTone(editor, 'tieng-chuong.opus', 5);
  const bulletin = await uploadTone(editor, bulletinMedia, 300);
  const advert = await uploadTone(editor, 'quang-cao.opus', 20);
  await call(editor, 'POST', '/playlists', { id: 'pl-chuong', name: 'Chuông', items: [{ media: spot.sha256 }] });
  await call(editor, 'POST', '/playlists', { id: 'pl-ban-tin', name: 'Bản tin', items: [{ media: bulletin.sha256 }] });
  await call(editor, 'POST', '/playlists', { id: 'pl-quang-cao', name: 'Quảng cáo', items: [{ media: advert.sha256 }] });
  const targets = { zones: ['uyen-hung'] };
  await approved(editor, approver, { id: 'c-chuong', name: 'Chuông cả ngày', playlist: 'pl-chuong', targets, mode: 'loop' });
  await approved(editor, approver, { id: 'c-ban-tin', name: bulletinName, playlist: 'pl-ban-tin', targets, mode: 'fixed_time', fixed_times: ['06:00', '17:30'] });
  await approved(editor, approver, {
    id: 'c-quang-cao', name: 'Quảng cáo chợ', playlist: 'pl-quang-cao', targets, mode: 'share_of_voice', plays_per_hour: 12, windows: ['08:00-10:00'],
  });
  const alert = await call(operator, 'POST', '/alerts', {
    headline: 'Lũ quét — di chuyển lên vùng cao', text: 'Đây là bài diễn tập.', severity: 'severe', status: 'exercise', zones: ['uyen-hung'],
  });
  state.alertId = alert.id;
  await call(operator, 'POST', '/alerts/' + alert.id + '/cancel', {});
  state.today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

  // The day has over 15,000 entries; the calendar sums them on the server.
  const day = await call(approver, 'GET', '/devices/loa-1/timeline?day=' + state.today);
  assert.ok(day.entries.length > 15000, 'entries: ' + day.entries.length);
  const calendar = await call(approver, 'GET', `/calendar?device=loa-1&from=${state.today}&to=${state.today}`);
  const items = calendar.days[0].items;
  assert.deepEqual(items.find((item) => item.campaign === 'c-ban-tin').events.map((event) => event.at), ['06:00', '17:30']);
  console.log(`calendar: loa-1 one day, ${day.entries.length} timeline entries; GET /calendar summed ${calendar.figures.entries} in ${calendar.figures.ms} ms; `
    + `timeline answer ${JSON.stringify(day).length} bytes, calendar answer ${JSON.stringify(calendar).length} bytes`);
  const month = await call(approver, 'GET', `/calendar?device=loa-1&from=${state.today.slice(0, 8)}01&to=${state.today.slice(0, 8)}28`);
  console.log(`calendar: loa-1 28 days: ${month.figures.entries} entries summed in ${month.figures.ms} ms`);
});

test('the calendar shows the bulletin at 06:00 and the share of voice as a band with its count, by week and by month', async () => {
  await signIn('duyen', 'password-of-duyen');
  await openSection('calendar');
  await page.locator('#calendar-target').selectOption('loa-1');
  await page.locator('#calendar-show').click();
  await page.locator('.cal-week').waitFor();
  const dayColumn = page.locator(`.cal-day[data-day="${state.today}"]`);
  const event = dayColumn.locator('.cal-event[data-campaign="c-ban-tin"]').first();
  assert.match(await event.textContent(), new RegExp('06:00 ' + bulletinName));
  const band = dayColumn.locator('.cal-band[data-campaign="c-quang-cao"]');
  assert.match(await band.getAttribute('title'), /08:00–10:00 · 24 lần phát/);
  assert.match(await dayColumn.locator('.cal-band[data-campaign="c-chuong"]').first().getAttribute('title'), /Chuông cả ngày/);
  const alertSpan = dayColumn.locator(`.cal-alert[data-alert="${state.alertId}"]`);
  assert.match(await alertSpan.textContent(), /Cảnh báo: DIỄN TẬP: Lũ quét/);
  await checkPage('calendar-week');

  await page.locator('#calendar-view').selectOption('month');
  await page.locator('.cal-month').waitFor();
  const cell = page.locator(`.cal-cell[data-day="${state.today}"]`);
  assert.match(await cell.textContent(), new RegExp('06:00 ' + bulletinName));
  assert.match(await cell.textContent(), /08:00–10:00 Quảng cáo chợ \(24\)/);
  assert.equal(await page.locator('.cal-cell:not(.empty)').count(), Number(new Date(Date.UTC(Number(state.today.slice(0, 4)), Number(state.today.slice(5, 7)), 0)).getUTCDate()));
  await checkPage('calendar-month');
});

test('a device\'s day opens as a lane, zooms, jumps to 06:00 and names the bulletin', async () => {
  await openSection('campaigns');
  await page.locator('#preview-device').selectOption('loa-1');
  const clicked = Date.now();
  await page.locator('#preview-form button[type="submit"]').click();
  await page.locator('#day-lane .lane-block').first().waitFor();
  await page.waitForFunction(() => document.querySelector('#preview-output').dataset.openedMs);
  const opened = Date.now() - clicked;
  const inPage = await page.locator('#preview-output').getAttribute('data-opened-ms');
  const answered = await page.locator('#preview-output').getAttribute('data-answered-ms');
  const blocks = await page.locator('#day-lane .lane-block').count();
  console.log(`day lane: loa-1, ${await page.locator('#preview-output p').first().textContent()} opened in ${inPage} ms (request to drawn lane, in the page; the answer took ${answered} ms of it), ${opened} ms seen by the test; ${blocks} blocks drawn`);
  assert.ok(blocks < 2000, 'only what is in view is drawn: ' + blocks);

  await page.getByRole('button', { name: '1 giờ' }).click();
  await page.locator('#lane-hour').selectOption('6');
  await page.locator('#lane-jump').click();
  const bulletin = page.locator('#day-lane .lane-block[data-source="c-ban-tin"]').first();
  await bulletin.waitFor();
  assert.match(await bulletin.textContent(), new RegExp(bulletinMedia.replace('.', '\\.') + ' · ' + bulletinName));
  assert.match(await bulletin.getAttribute('title'), /^06:00:00–06:05:\d\d · /);
  assert.match(await page.locator('#day-lane .lane-status').textContent(), /^06:00–07:00: /);
  await checkPage('day-lane');
});

test('the alert history keeps the cancelled alert with who raised and cancelled it, and its devices', async () => {
  await openSection('alerts');
  const row = page.locator(`#alert-history tr[data-alert="${state.alertId}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-outcome'), 'cancelled');
  assert.match(await row.textContent(), /đã huỷ/);
  assert.match(await row.locator('.alert-raised').textContent(), /Lê Minh Khoa/);
  assert.match(await row.locator('.alert-cancelled').textContent(), /Lê Minh Khoa/);
  await row.getByRole('button', { name: /Thiết bị/ }).click();
  const device = page.locator('#alert-history-devices tr[data-device="loa-1"]');
  await device.waitFor();
  assert.match(await device.textContent(), /chưa báo đã phát/);
  await checkPage('alert-history');
});

test('the audit log filters by kind, person and day and pages', async () => {
  await openSection('audit');
  const rows = page.locator('#audit-list tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 25);
  assert.equal(await page.locator('#audit-next').isEnabled(), true);
  await page.locator('#audit-next').click();
  await page.locator('#audit-pager').getByText('Trang 2').waitFor();
  assert.ok((await rows.count()) > 0);
  await checkPage('audit');

  await page.locator('#audit-kind').selectOption('alert');
  await page.locator('#audit-from').fill(state.today.split('-').reverse().join('/'));
  await page.locator('#audit-to').fill(state.today.split('-').reverse().join('/'));
  await page.locator('#audit-filter').click();
  await page.locator('#audit-pager').getByText('Trang 1').waitFor();
  await page.locator('#audit-list tbody tr[data-action="alert.cancel"]').waitFor();
  const actions = await rows.evaluateAll((list) => list.map((row) => row.dataset.action));
  assert.deepEqual(actions, ['alert.cancel', 'alert.create']);
  assert.match(await rows.first().textContent(), /Cảnh báo: huỷ/);
  await page.locator('#audit-user').selectOption({ label: 'khoa' });
  await page.locator('#audit-filter').click();
  await page.locator('#audit-list tbody tr[data-action="alert.cancel"]').waitFor();
  // The day before today holds none of it.
  const yesterday = new Date(Date.parse(state.today + 'T12:00:00Z') - 86400000).toISOString().slice(0, 10).split('-').reverse().join('/');
  await page.locator('#audit-from').fill(yesterday);
  await page.locator('#audit-to').fill(yesterday);
  await page.locator('#audit-filter').click();
  await page.locator('#audit-list').getByText('Không có thay đổi nào khớp bộ lọc.').waitFor();
});
