// Browser test of the fleet page and a device's page (docs/web.md "Fleet", "Device page"):
// starts a real bantin-controller (its own Mosquitto, a temporary data directory, free 127.0.0.1
// ports, the first admin made with the CLI), registers screens and a loudspeaker through the
// API, makes a device online and playing an alert through the broker as a player does
// (mosquitto_pub with its own MQTT account on its status topic), uploads screenshots through
// the route players use (PUT /api/v1/devices/{id}/screenshot with the device's basic
// credentials), then drives Debian's Chromium through playwright-core: the fleet shows names,
// filters by zone, kind and state, shows each screen's latest screenshot and opens its page; one
// operator proposes quiet hours there, which reach the device only when a second confirms; both
// pages fit 1366×768 and 390×844 and show no English in Vietnamese mode (the checks of
// harness.mjs). Screenshots: web-fleet-<width>.png, web-device-<width>.png.
//
//   node fleet.test.mjs --controller BIN --web-root DIR --chromium /usr/bin/chromium --output DIR
//
// Exit 77 (ctest: skipped) when Chromium, mosquitto_pub or node_modules is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  useController, outputDirectory, mosquittoPub, root, page, brokerPort, baseUrl, controllerLog, call, login,
  signIn, signOut, expectSuccess, overflowInPage, untranslatedInPage,
} from './harness.mjs';

const adminPassword = 'admin-fleet-password-1';
useController({ name: 'fleet', adminPassword, mosquittoClients: true });

const state = { operatorOne: '', operatorTwo: '', alertId: '', passwords: {} };

// A PNG of one colour, as a device's screenshot (ffmpeg, as the reports test makes a picture).
function png(colour, name) {
  const file = path.join(root, name);
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=${colour}:s=320x180`, '-frames:v', '1', '-y', file]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  return fs.readFileSync(file);
}

// The device's own upload, as the player's screenshot_upload.cpp sends it.
async function uploadScreenshot(device, bytes) {
  const response = await fetch(baseUrl + '/api/v1/devices/' + device + '/screenshot', {
    method: 'PUT',
    headers: { Authorization: 'Basic ' + Buffer.from(device + ':' + state.passwords[device]).toString('base64'), 'Content-Type': 'image/png' },
    body: bytes,
  });
  const text = await response.text();
  assert.equal(response.status, 201, 'screenshot upload: ' + text);
  return JSON.parse(text);
}

const loaded = (selector) => page.locator(selector).evaluate((image) => image.complete && image.naturalWidth > 0);

test('the office registers screens and a loudspeaker; one screen comes online playing an alert', async () => {
  const admin = await login('admin', adminPassword);
  for (const name of ['van-hanh-mot', 'van-hanh-hai'])
    await call(admin, 'POST', '/users', { name, display_name: name === 'van-hanh-mot' ? 'Nguyễn Văn Một' : 'Trần Thị Hai', role: 'operator', password: 'password-of-' + name });
  state.operatorOne = await login('van-hanh-mot', 'password-of-van-hanh-mot');
  state.operatorTwo = await login('van-hanh-hai', 'password-of-van-hanh-hai');
  await call(state.operatorOne, 'POST', '/zones', { id: 'phuong-1', name: 'Phường 1' });
  await call(state.operatorOne, 'POST', '/zones', { id: 'xa-dong', name: 'Xã Đông' });
  for (const [id, kind, zone, name] of [['screen-1', 'screen', 'phuong-1', 'Cổng chợ'], ['screen-2', 'screen', 'xa-dong', 'Trường tiểu học'],
    ['loa-1', 'speaker', 'phuong-1', 'Loa nhà văn hoá']]) {
    const registered = await call(state.operatorOne, 'POST', '/devices', { id, kind, zone, name });
    state.passwords[id] = registered.provisioning.mqtt.password;
  }
  const alert = await call(state.operatorOne, 'POST', '/alerts', {
    headline: 'Diễn tập báo cháy chợ', text: 'Đây là bài diễn tập.', severity: 'minor', status: 'exercise', zones: ['phuong-1'],
  });
  state.alertId = alert.id;
  const status = {
    v: 1, type: 'status', device: 'screen-1', presence: 'online', reported_at: new Date().toISOString(), install_epoch: 'ie-fleet',
    boot_id: 'boot-fleet', software_version: '0.1.0', uptime_ms: 60000, desired_bundle_version: 1, applied_bundle_version: 1,
    now_playing: { source: 'alert', source_id: alert.id, media: 'a'.repeat(64), started_at: new Date().toISOString() },
    cache_used_bytes: 0, cache_capacity_bytes: 1024,
  };
  const sent = spawnSync(mosquittoPub, [
    '-h', '127.0.0.1', '-p', String(brokerPort), '-u', 'screen-1', '-P', state.passwords['screen-1'], '-i', 'screen-1', '-V', 'mqttv5',
    '-q', '1', '-r', '-t', 'bantin/v1/dev/screen-1/status', '-m', JSON.stringify(status),
  ], { encoding: 'utf8', timeout: 20000 });
  assert.equal(sent.status, 0, 'mosquitto_pub: ' + sent.stdout + sent.stderr);
  const deadline = Date.now() + 20000;
  for (;;) {
    const fleet = await call(state.operatorOne, 'GET', '/fleet/status');
    if (fleet.devices.find((device) => device.id === 'screen-1').online) break;
    assert.ok(Date.now() < deadline, 'screen-1 did not come online:\n' + controllerLog());
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

test('the fleet shows names, filters by zone, kind and state, and a screen\'s screenshot once it uploads one', async () => {
  await signIn('van-hanh-mot', 'password-of-van-hanh-mot');
  const grid = page.locator('#fleet-shots');
  await grid.locator('li[data-device="screen-1"]').waitFor();
  assert.match(await page.locator('#fleet-table tr[data-device="screen-1"]').textContent(), /Cổng chợ.*Phường 1.*trực tuyến.*Diễn tập báo cháy chợ/s);
  assert.match(await page.locator('#fleet-table tr[data-device="screen-2"]').textContent(), /chưa kết nối lần nào/);
  assert.equal(await grid.locator('li[data-device="loa-1"]').count(), 0, 'a loudspeaker has no screenshot tile');
  assert.match(await grid.locator('li[data-device="screen-1"]').textContent(), /Chưa có ảnh màn hình/);

  await page.locator('#fleet-kind').selectOption('speaker');
  assert.deepEqual(await page.locator('#fleet-table tr[data-device]').evaluateAll((rows) => rows.map((row) => row.dataset.device)), ['loa-1']);
  await page.locator('#fleet-kind').selectOption('');
  await page.locator('#fleet-zone').selectOption('xa-dong');
  assert.deepEqual(await page.locator('#fleet-table tr[data-device]').evaluateAll((rows) => rows.map((row) => row.dataset.device)), ['screen-2']);
  await page.locator('#fleet-zone').selectOption('');
  await page.locator('#fleet-state').selectOption('online');
  assert.deepEqual(await page.locator('#fleet-table tr[data-device]').evaluateAll((rows) => rows.map((row) => row.dataset.device)), ['screen-1']);
  await page.locator('#fleet-state').selectOption('never');
  assert.deepEqual(await page.locator('#fleet-table tr[data-device]').evaluateAll((rows) => rows.map((row) => row.dataset.device)).then((ids) => ids.sort()), ['loa-1', 'screen-2']);
  await page.locator('#fleet-state').selectOption('');

  const uploaded = await uploadScreenshot('screen-1', png('green', 'green.png'));
  const picture = grid.locator('li[data-device="screen-1"] img');
  await picture.waitFor({ timeout: 15000 }); // the page refreshes every 5 s
  await page.waitForFunction(() => {
    const image = document.querySelector('#fleet-shots li[data-device="screen-1"] img');
    return image && image.complete && image.naturalWidth > 0;
  });
  assert.ok((await picture.getAttribute('src')).includes(encodeURIComponent(uploaded.received)));
});

test('the fleet and a device page fit 1366 and 390 px and show no English; screenshots of both', async () => {
  const problems = [];
  for (const viewport of [{ width: 1366, height: 768 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await page.goto(baseUrl + '/#/fleet');
    await page.locator('#fleet-shots li[data-device="screen-1"] img').waitFor();
    await page.locator('#fleet-table tr[data-device]').first().waitFor();
    for (const found of await page.evaluate(overflowInPage)) problems.push(`fleet at ${viewport.width} px: ${found}`);
    for (const found of await page.evaluate(untranslatedInPage, '')) problems.push(`fleet at ${viewport.width} px: untranslated ${found}`);
    let file = path.join(outputDirectory, `web-fleet-${viewport.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log('screenshot: ' + file);

    await page.goto(baseUrl + '/#/devices/screen-1');
    await page.locator('#device-shot-image').waitFor();
    await page.locator('#device-history table, #device-history p').first().waitFor();
    await page.locator('#device-gaps table, #device-gaps p').first().waitFor();
    await page.locator('#settings-form').waitFor();
    for (const found of await page.evaluate(overflowInPage)) problems.push(`device at ${viewport.width} px: ${found}`);
    for (const found of await page.evaluate(untranslatedInPage, '')) problems.push(`device at ${viewport.width} px: untranslated ${found}`);
    file = path.join(outputDirectory, `web-device-${viewport.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log('screenshot: ' + file);
  }
  await page.setViewportSize({ width: 1366, height: 768 });
  assert.deepEqual(problems, []);
});

test('a tile opens the device page: its name, zone, what it plays by name, and a screenshot asked for appears', async () => {
  await page.goto(baseUrl + '/#/fleet');
  await page.locator('#fleet-shots li[data-device="screen-1"] a').click();
  await page.locator('#device-title').getByText('Cổng chợ').waitFor();
  assert.match(await page.locator('#device-head').textContent(), /Phường 1/);
  assert.match(await page.locator('#device-playing').textContent(), /Diễn tập báo cháy chợ/);
  assert.ok(await loaded('#device-shot-image'));
  const before = await page.locator('#device-shot-time').textContent();
  const firstSource = await page.locator('#device-shot-image').getAttribute('src');

  await page.locator('#command-screenshot').click();
  await expectSuccess('Đã gửi lệnh chụp màn hình');
  await new Promise((resolve) => setTimeout(resolve, 1100)); // a later receive time than the first
  await uploadScreenshot('screen-1', png('red', 'red.png'));
  await expectSuccess('Đã nhận ảnh màn hình mới');
  await page.waitForFunction((old) => {
    const image = document.querySelector('#device-shot-image');
    return image && image.getAttribute('src') !== old && image.complete && image.naturalWidth > 0;
  }, firstSource);
  assert.ok(typeof before === 'string');
});

test('quiet hours proposed by one operator reach the device only when a second confirms', async () => {
  await page.goto(baseUrl + '/#/devices/screen-1');
  await page.locator('#settings-quiet-hours').fill('22:00-05:00');
  await page.locator('#settings-save').click();
  await expectSuccess('Cần người vận hành thứ hai xác nhận');
  const pending = page.locator('#device-changes tr[data-state="pending"]');
  await pending.waitFor();
  assert.match(await pending.textContent(), /Giờ yên lặng: 22:00-05:00.*chờ xác nhận.*Nguyễn Văn Một.*chờ người vận hành khác xác nhận/s);
  assert.equal(await pending.locator('.confirm-change').count(), 0, 'its author has no confirm button');
  assert.deepEqual((await call(state.operatorOne, 'GET', '/devices/screen-1')).quiet_hours, []);
  // A bad window is refused in Vietnamese with the server's reason, and nothing is proposed.
  await page.locator('#settings-quiet-hours').fill('23:00-23:00');
  await page.locator('#settings-save').click();
  await page.locator('.message.error').getByText('Dữ liệu nhập không hợp lệ').waitFor();
  assert.equal(await page.locator('#device-changes tr[data-change]').count(), 1);
  await signOut();

  await signIn('van-hanh-hai', 'password-of-van-hanh-hai');
  await page.goto(baseUrl + '/#/devices/screen-1');
  const row = page.locator('#device-changes tr[data-state="pending"]');
  await row.waitFor();
  await row.locator('.confirm-change').click();
  await expectSuccess('Đã xác nhận');
  await page.locator('#device-changes tr[data-state="confirmed"]').waitFor();
  assert.match(await page.locator('#device-changes tr[data-state="confirmed"]').textContent(), /đã xác nhận.*Nguyễn Văn Một.*Trần Thị Hai/s);
  assert.deepEqual((await call(state.operatorTwo, 'GET', '/devices/screen-1')).quiet_hours, ['22:00-05:00']);
  assert.equal(await page.locator('#settings-quiet-hours').inputValue(), '22:00-05:00');
  const file = path.join(outputDirectory, 'web-device-confirmed-1366.png');
  await page.screenshot({ path: file, fullPage: true });
  console.log('screenshot: ' + file);
  await signOut();
});
