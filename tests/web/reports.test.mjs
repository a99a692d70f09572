// Browser test of the console's Reports page (docs/web.md, docs/fleet.md "Reports"): starts a
// real bantin-controller (its own Mosquitto, a temporary data directory, free 127.0.0.1 ports,
// the first admin made with the CLI), sets up people, a zone, a device, a picture, a playlist,
// a share-of-voice campaign and an exercise alert through the API, feeds the device's proof of
// play through the broker as a player does (mosquitto_pub with the device's own MQTT account on
// its pop topic), then drives Debian's Chromium through playwright-core: the charts show the
// numbers the API gives, each SVG has a <title>, the tables say the same, the CSV starts with a
// byte order mark, and the page has no horizontal overflow at 390×844 and 1366×768.
//
//   node reports.test.mjs --controller BIN --web-root DIR --chromium /usr/bin/chromium --output DIR
//
// Exit 77 (ctest: skipped) when Chromium, mosquitto_pub or node_modules is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  useController, outputDirectory, mosquittoPub, root, page, brokerPort, baseUrl, controllerLog, call, login, localDay, shownDay,
} from './harness.mjs';

const adminPassword = 'admin-reports-password-1';
useController({ name: 'reports', adminPassword, mosquittoClients: true });

const campaign = 'c-quang-cao';
const now = Date.now();
// Completed plays: 3 a day and more ago, 5 in the last hour; 1 failed; 1 alert play.
const earlier = [now - 26 * 3600000, now - 26 * 3600000 + 60000, now - 26 * 3600000 + 120000];
const recent = [1, 2, 3, 4, 5].map((minutes) => now - (60 - minutes * 5) * 60000);
const expectedPerDay = new Map();
for (const at of [...earlier, ...recent]) expectedPerDay.set(localDay(at), (expectedPerDay.get(localDay(at)) ?? 0) + 1);
const state = { alertId: '', operatorToken: '' };

test('the office sets up a campaign and an alert through the API, and the device sends its proof through the broker', async () => {
  const admin = await login('admin', adminPassword);
  const people = [['bien', 'editor'], ['duyen', 'approver'], ['khoa', 'operator']];
  for (const [name, role] of people)
    await call(admin, 'POST', '/users', { name, display_name: name, role, password: 'password-of-' + name });
  const [editor, approver, operator] = await Promise.all(people.map(([name]) => login(name, 'password-of-' + name)));
  state.operatorToken = operator;
  await call(operator, 'POST', '/zones', { id: 'phuong-1', name: 'Phường 1' });
  const registered = await call(operator, 'POST', '/devices', { id: 'screen-1', kind: 'screen', zone: 'phuong-1', name: 'Cổng chợ' });
  const devicePassword = registered.provisioning.mqtt.password;

  const picture = path.join(root, 'cho-dem.png');
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=64x48', '-frames:v', '1', '-y', picture]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  const media = await call(editor, 'POST', '/media?name=cho-dem.png', new Uint8Array(fs.readFileSync(picture)));
  await call(editor, 'POST', '/playlists', { id: 'pl-cho', name: 'Chợ', items: [{ media: media.sha256, duration_ms: 10000, weight: 1 }] });
  const created = await call(editor, 'POST', '/campaigns', {
    id: campaign, name: 'Quảng cáo chợ', playlist: 'pl-cho', targets: { zones: ['phuong-1'] }, mode: 'share_of_voice', plays_per_hour: 60,
  });
  const submitted = await call(editor, 'POST', '/campaigns/' + campaign + '/submit', { version: created.version });
  await call(approver, 'POST', '/campaigns/' + campaign + '/approve', { version: submitted.version });
  const alert = await call(operator, 'POST', '/alerts', {
    headline: 'Lũ quét — di chuyển lên vùng cao', text: 'Đây là bài diễn tập.', severity: 'severe', status: 'exercise', zones: ['phuong-1'],
  });
  state.alertId = alert.id;

  // The pop batch a player sends (docs/protocol.md "pop"), on its own topic with its own account.
  const row = (seq, at, outcome, source = 'campaign', sourceId = campaign) => ({
    seq, source, source_id: sourceId, item_index: 0, media: media.sha256, started_at_ms: at, ended_at_ms: at + 10000,
    duration_ms: outcome === 'completed' ? 10000 : 0, outcome, bundle_version: 1,
  });
  const rows = [...earlier, ...recent].map((at, index) => row(index + 1, at, 'completed'));
  rows.push(row(rows.length + 1, now - 120000, 'failed'));
  rows.push(row(rows.length + 1, now - 60000, 'completed', 'alert', state.alertId));
  const batch = { v: 1, type: 'pop', device: 'screen-1', install_epoch: 'ie-reports', rows };
  const sent = spawnSync(mosquittoPub, [
    '-h', '127.0.0.1', '-p', String(brokerPort), '-u', 'screen-1', '-P', devicePassword, '-i', 'screen-1', '-V', 'mqttv5',
    '-q', '1', '-t', 'bantin/v1/dev/screen-1/pop', '-m', JSON.stringify(batch),
  ], { encoding: 'utf8', timeout: 20000 });
  assert.equal(sent.status, 0, 'mosquitto_pub: ' + sent.stdout + sent.stderr);

  // The controller stores them once its ingest has committed.
  const range = new URLSearchParams({ from: new Date(now - 8 * 86400000).toISOString(), to: new Date(now + 86400000).toISOString() });
  const deadline = Date.now() + 20000;
  for (;;) {
    const plays = await call(operator, 'GET', '/reports/plays?' + range);
    const completed = plays.items.reduce((sum, item) => sum + item.completed, 0);
    if (completed === earlier.length + recent.length) break;
    assert.ok(Date.now() < deadline, 'the proof was not stored: ' + JSON.stringify(plays) + '\n' + controllerLog());
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

// The bars of a chart as { label: value } for one series (or the only one).
async function bars(chart, series) {
  return page.locator(`svg[data-chart="${chart}"] rect[data-value]`).evaluateAll((rects, wanted) => {
    const values = {};
    for (const rect of rects) if (!wanted || rect.dataset.series === wanted) values[rect.dataset.label] = Number(rect.dataset.value);
    return values;
  }, series);
}

test('the reports page draws plays per day, planned vs delivered and uptime with the API\'s numbers', async () => {
  await page.goto(baseUrl + '/');
  await page.locator('#login-name').fill('khoa');
  await page.locator('#login-password').fill('password-of-khoa');
  await page.locator('#login-form button[type="submit"]').click();
  await page.locator('#signed-in-user').waitFor();
  await page.goto(baseUrl + '/#/reports');
  await page.locator('svg[data-chart="plays-per-day"]').waitFor();

  // Plays per day: every day of the range, the devices' local days.
  const perDay = await bars('plays-per-day');
  assert.equal(Object.keys(perDay).length, 8, 'the last 7 days and today: ' + JSON.stringify(perDay));
  for (const [day, value] of Object.entries(perDay)) {
    const expected = [...expectedPerDay].find(([local]) => shownDay(local) === day);
    assert.equal(value, expected ? expected[1] : 0, day);
  }

  // Planned vs delivered: the chart and the table say what the API says.
  const range = await page.evaluate(() => {
    const link = document.querySelector('#report-output a.csv-link');
    const url = new URL(link.href);
    return { from: url.searchParams.get('from'), to: url.searchParams.get('to') };
  });
  const delivery = await call(state.operatorToken, 'GET', '/reports/delivery?' + new URLSearchParams(range));
  const row = delivery.items.find((item) => item.campaign === campaign);
  assert.equal(row.delivered, earlier.length + recent.length);
  assert.ok(row.planned <= 61, 'planned counts only the hour since approval, not the week: ' + row.planned);
  const legend = await page.locator('svg[data-chart="delivery"] rect[data-series]').evaluateAll((rects) => [...new Set(rects.map((rect) => rect.dataset.series))]);
  assert.equal(legend.length, 2);
  const planned = await bars('delivery', legend[0]);
  const delivered = await bars('delivery', legend[1]);
  // Named as the office named them, not by their ids.
  assert.deepEqual({ planned: planned['Quảng cáo chợ'], delivered: delivered['Quảng cáo chợ'] }, { planned: row.planned, delivered: row.delivered });
  const cells = await page.locator(`#report-output tr[data-campaign="${campaign}"] td`).allTextContents();
  assert.equal(cells[0], 'Quảng cáo chợ');
  assert.equal(cells[1], String(row.planned));
  assert.equal(cells[2], String(row.delivered));

  // Uptime: one bar per device, its share as the API gives it.
  const uptime = await call(state.operatorToken, 'GET', '/reports/uptime?' + new URLSearchParams(range));
  const uptimeBars = await bars('uptime');
  assert.deepEqual(Object.keys(uptimeBars), ['Cổng chợ']);
  assert.equal(uptimeBars['Cổng chợ'], uptime.items[0].uptime);

  // Alerts: the exercise, played once by one device.
  const alertCells = await page.locator(`#report-output tr[data-alert="${state.alertId}"] td`).allTextContents();
  assert.match(alertCells[0], /Lũ quét — di chuyển lên vùng cao/);
  assert.deepEqual(alertCells.slice(3, 7), ['1', '1', '0', '0']);

  // Every chart is an image with a title, and its numbers are in a table too.
  const titles = await page.locator('#report-output svg').evaluateAll((svgs) => svgs.map((svg) => ({
    role: svg.getAttribute('role'), title: svg.querySelector(':scope > title')?.textContent ?? '',
  })));
  assert.equal(titles.length, 3);
  for (const chart of titles) {
    assert.equal(chart.role, 'img');
    assert.ok(chart.title.length > 5, 'a chart without a title');
  }
  assert.ok((await page.locator('#report-output table').count()) >= 4);

  // The CSV behind the first link starts with a byte order mark and Vietnamese headers.
  const csv = await page.evaluate(async () => {
    const response = await fetch(document.querySelector('#report-output a.csv-link').href);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { type: response.headers.get('Content-Type'), head: [...bytes.slice(0, 3)], text: new TextDecoder().decode(bytes) };
  });
  assert.match(csv.type, /text\/csv/);
  assert.deepEqual(csv.head, [0xef, 0xbb, 0xbf]);
  assert.match(csv.text, /^Chiến dịch \/ campaign,Kế hoạch \/ planned,/);
});

test('planned vs delivered by zone draws the zone\'s bars', async () => {
  await page.locator('#report-group').selectOption('zone');
  await page.locator('#report-output tr[data-zone="phuong-1"]').waitFor();
  const legend = await page.locator('svg[data-chart="delivery"] rect[data-series]').evaluateAll((rects) => [...new Set(rects.map((rect) => rect.dataset.series))]);
  const delivered = await bars('delivery', legend[1]);
  assert.deepEqual(delivered, { 'Phường 1': earlier.length + recent.length });
  const href = await page.locator('#report-output a.csv-link').first().getAttribute('href');
  assert.match(href, /group=zone/);
});

test('the reports page fits a phone and a desktop without sideways scrolling', async () => {
  for (const viewport of [{ width: 390, height: 844 }, { width: 1366, height: 768 }]) {
    // Opened on this screen, as a phone or a desktop would (the charts size their text to it).
    await page.setViewportSize(viewport);
    await page.reload();
    await page.locator('svg[data-chart="plays-per-day"]').waitFor();
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
    assert.ok(widths.page <= widths.view, `the reports page is ${widths.page} px wide in a ${widths.view} px window`);
    const chart = await page.locator('svg[data-chart="delivery"]').evaluate((svg) => ({
      width: svg.getBoundingClientRect().width,
      font: Number(svg.getAttribute('font-size')) * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width,
    }));
    assert.ok(chart.width > 0 && chart.width <= viewport.width, 'the chart scales to the window: ' + chart.width);
    assert.ok(chart.font >= 10 && chart.font <= 16, 'its text is readable, not tiny or huge: ' + chart.font + ' px');
    const file = path.join(outputDirectory, `web-reports-${viewport.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log('screenshot: ' + file);
  }
});
