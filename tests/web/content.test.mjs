// Browser test of the console's content pages (docs/web.md, "Content: previews, editing,
// versions"): the start-up of harness.mjs (a real bantin-controller with its Mosquitto, a
// temporary data directory, free 127.0.0.1 ports, Debian's Chromium through playwright-core),
// then an editor uploads pictures and sees their thumbnails, builds a playlist and reorders it by
// dragging and with the keyboard buttons, makes a campaign and submits it; an approver sees its
// pictures and hears its notice before approving; the editor edits the approved campaign and the
// approver sees what changed; each page at 1366x768 and 390x844 without overflow or English.
//
//   node content.test.mjs --controller BIN --web-root DIR --chromium /usr/bin/chromium --output DIR
//
// Exit 77 (ctest: skipped) when Chromium or node_modules is missing; 0 when every step passed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  useController, outputDirectory, sectionTitles, root, page, signIn, signOut, expectSuccess, overflowInPage, untranslatedInPage,
} from './harness.mjs';

const adminPassword = 'admin-web-password-1';
useController({ name: 'content', adminPassword, viewport: { width: 1366, height: 900 }, acceptDownloads: true });

const people = {
  editor: { name: 'bien', display: 'Trần Văn Biên', role: 'editor', password: 'editor-content-password' },
  approver: { name: 'duyen', display: 'Lê Thị Duyên', role: 'approver', password: 'approver-content-password' },
};

const noticeText = 'Thông báo: phiên chợ sáng chủ nhật dời sang 6 giờ, bà con lưu ý.';

async function openSection(title) {
  await page.locator('#nav').getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
}

// In the page: calls the API as the signed-in person (the console's own module, with its CSRF token).
function apiCall(method, apiPath, json) {
  return page.evaluate(async ([verb, where, body]) => {
    const api = await import('/api.js');
    return api.request(verb, where, body === null ? {} : { json: body });
  }, [method, apiPath, json === undefined ? null : json]);
}

function makePicture(name, source) {
  const file = path.join(root, name);
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-y', file]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  return file;
}

async function upload(file) {
  await page.locator('#media-file').setInputFiles(file);
  await page.getByRole('button', { name: 'Tải lên' }).click();
  await expectSuccess('Đã lưu "' + path.basename(file) + '"', 30000);
}

// The width a loaded <img> has of its own (0 while it has not loaded or failed).
async function loadedWidth(image) {
  await image.waitFor();
  await page.waitForFunction((element) => element.complete, await image.elementHandle());
  return image.evaluate((element) => element.naturalWidth);
}

// The seconds of sound an <audio> or <video> element can play (it loads its metadata first).
function playableSeconds(player) {
  return player.evaluate((element) => new Promise((resolve) => {
    const done = () => resolve(Number.isFinite(element.duration) ? element.duration : 0);
    if (element.readyState >= 1) return done();
    element.addEventListener('loadedmetadata', done, { once: true });
    element.addEventListener('error', () => resolve(-1), { once: true });
    element.preload = 'metadata';
    element.load();
  }));
}

const sha = {};
const layoutProblems = [];

async function checkLayout(id, prepare) {
  for (const viewport of [{ width: 1366, height: 768 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    if (prepare) await prepare();
    await page.waitForTimeout(300); // pictures settle (no assertion depends on it)
    for (const found of await page.evaluate(overflowInPage)) layoutProblems.push(`${id} at ${viewport.width} px: ${found}`);
    for (const found of await page.evaluate(untranslatedInPage, '')) layoutProblems.push(`${id} at ${viewport.width} px: untranslated ${found}`);
    const file = path.join(outputDirectory, `content-${id}-${viewport.width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log('screenshot: ' + file);
  }
  await page.setViewportSize({ width: 1366, height: 900 });
}

test('the admin makes an editor and an approver', async () => {
  await signIn('admin', adminPassword);
  for (const person of Object.values(people))
    await apiCall('POST', '/users', { name: person.name, display_name: person.display, role: person.role, password: person.password });
  await signOut();
});

test('the editor uploads pictures and sees their thumbnails; a notice shows as a slide and its speech plays', async () => {
  await signIn(people.editor.name, people.editor.password);
  await openSection(sectionTitles.media);
  await upload(makePicture('cảnh-chợ.png', 'testsrc=size=640x360'));
  await upload(makePicture('bến-đò.png', 'color=c=green:s=200x100'));
  const market = page.locator('#media-list tr', { hasText: 'cảnh-chợ.png' });
  // The thumbnail is the controller's 320 px JPEG, not the 640 px upload.
  assert.equal(await loadedWidth(market.locator('img.thumb')), 320);
  assert.equal(await loadedWidth(page.locator('#media-list tr', { hasText: 'bến-đò.png' }).locator('img.thumb')), 200);
  const media = (await apiCall('GET', '/media', undefined)).items;
  sha.market = media.find((item) => item.name === 'cảnh-chợ.png').sha256;
  sha.ferry = media.find((item) => item.name === 'bến-đò.png').sha256;

  const notice = await apiCall('POST', '/notices', { text: noticeText, name: 'phiên chợ' });
  sha.notice = notice.sha256;
  await openSection(sectionTitles.playlists);
  await openSection(sectionTitles.media);
  const noticeRow = page.locator(`#media-list tr[data-media="${sha.notice}"]`);
  assert.equal(await noticeRow.locator('.slide').textContent(), noticeText);
  await noticeRow.getByRole('button', { name: 'Xem trước phiên chợ' }).click();
  const preview = page.locator('#media-preview');
  assert.equal(await preview.locator('.slide.full').textContent(), noticeText);
  // The slide is the player's own drawing (POST /notices/preview), full HD by default.
  assert.equal(await loadedWidth(preview.locator('.slide.full img.notice-page')), 1920);
  assert.ok((await playableSeconds(preview.locator('audio'))) > 1, 'the notice\'s speech plays in the page');
  await market.getByRole('button', { name: 'Xem trước cảnh-chợ.png' }).click();
  assert.equal(await loadedWidth(preview.locator('img.player')), 640);

  // Unused media can be deleted; the refusal for used media comes later, when a playlist uses it.
  await upload(makePicture('thừa.png', 'color=c=gray:s=32x32'));
  await page.locator('#media-list').getByRole('button', { name: 'Xoá thừa.png' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Xoá' }).click();
  await expectSuccess('Đã xoá "thừa.png"');
  await page.locator('#media-list').getByText('thừa.png').waitFor({ state: 'detached' });
  await checkLayout('media');
  // The editor sees a new notice on a portrait screen before storing it; a character the
  // screen font lacks is named, Vietnamese first.
  await page.locator('#notice-text').fill(noticeText);
  await page.locator('#notice-preview-size').selectOption('portrait');
  await page.locator('#notice-preview-button').click();
  assert.equal(await loadedWidth(page.locator('#notice-preview img.notice-page').first()), 1080);
  await page.locator('#notice-text').fill('Chúc mừng 😀');
  await page.locator('#notice-preview-button').click();
  await page.locator('.message.error', { hasText: 'phông chữ của màn hình không có ký tự' }).waitFor();
  await page.locator('#notice-text').fill('');
});

test('the editor builds a playlist and reorders it by dragging and with the keyboard buttons', async () => {
  await openSection(sectionTitles.playlists);
  await page.locator('#playlist-name').fill('Chợ phiên');
  const rows = page.locator('#playlist-items tr');
  await page.getByLabel('Nội dung của mục 1').selectOption(sha.market);
  await page.getByLabel('Số giây của mục 1').fill('5');
  await page.getByRole('button', { name: 'Thêm mục' }).click();
  await page.getByLabel('Nội dung của mục 2').selectOption(sha.ferry);
  await page.getByLabel('Số giây của mục 2').fill('7');
  await page.getByRole('button', { name: 'Thêm mục' }).click();
  await page.getByLabel('Nội dung của mục 3').selectOption(sha.notice);
  // Each row shows the picture of what it plays.
  assert.equal(await loadedWidth(rows.nth(0).locator('img.thumb')), 320);
  assert.equal(await rows.nth(2).locator('.slide').textContent(), noticeText);

  const order = () => rows.evaluateAll((all) => all.map((row) => row.querySelector('select').value));
  // Dragged by its handle: the notice onto the top half of the first row goes first.
  await rows.nth(2).locator('.drag-handle').dragTo(rows.nth(0), { targetPosition: { x: 20, y: 3 } });
  assert.deepEqual(await order(), [sha.notice, sha.market, sha.ferry]);
  assert.equal(await page.getByLabel('Số giây của mục 2').inputValue(), '5');
  // The keyboard way: item 2 down.
  await page.getByRole('button', { name: 'Đưa mục 2 xuống' }).click();
  assert.deepEqual(await order(), [sha.notice, sha.ferry, sha.market]);
  assert.equal(await page.getByRole('button', { name: 'Đưa mục 1 lên' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Tạo danh sách phát' }).click();
  await expectSuccess('Chợ phiên');
  const stored = await apiCall('GET', '/playlists/cho-phien', undefined);
  assert.deepEqual(stored.items.map((item) => item.media), [sha.notice, sha.ferry, sha.market]);
  assert.deepEqual(stored.items.map((item) => item.duration_ms ?? null), [null, 7000, 5000]);
  // The list shows the playlist as its pictures in play order.
  const strip = page.locator('#playlist-list tr[data-playlist="cho-phien"] li.strip-item');
  await strip.nth(2).waitFor(); // the list is refreshed after the success message
  assert.deepEqual(await strip.evaluateAll((all) => all.map((item) => item.dataset.media)), [sha.notice, sha.ferry, sha.market]);
  assert.match(await strip.nth(1).textContent(), /7 giây/);

  // Used media cannot be deleted: the refusal names the playlist, in Vietnamese first.
  await openSection(sectionTitles.media);
  await page.locator('#media-list').getByRole('button', { name: 'Xoá cảnh-chợ.png' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Xoá' }).click();
  const refusal = page.locator('.message.error');
  await refusal.getByText('409 conflict').waitFor();
  assert.match(await refusal.textContent(), /đang được dùng trong danh sách phát "Chợ phiên"/);

  await openSection(sectionTitles.playlists);
  await checkLayout('playlists');
});

test('the editor makes a campaign and submits it; the approver sees its pictures and hears it before approving', async () => {
  await openSection(sectionTitles.campaigns);
  await page.locator('#campaign-name').fill('Chợ phiên sáng');
  await page.locator('#campaign-playlist').selectOption('cho-phien');
  await page.locator('#campaign-windows').fill('06:00-08:00');
  await page.getByRole('button', { name: 'Tạo bản nháp' }).click();
  await expectSuccess('Chợ phiên sáng');
  const row = page.locator('#campaign-list tr[data-campaign="cho-phien-sang"]');
  await row.getByRole('button', { name: 'Gửi duyệt Chợ phiên sáng' }).click();
  await row.getByText('Chờ duyệt', { exact: true }).waitFor();
  await signOut();

  await signIn(people.approver.name, people.approver.password);
  await openSection(sectionTitles.campaigns);
  // No approving from the list: the decision is in the view.
  assert.equal(await row.getByRole('button', { name: 'Duyệt Chợ phiên sáng', exact: true }).count(), 0);
  await row.getByRole('button', { name: 'Xem và duyệt Chợ phiên sáng' }).click();
  const view = page.locator('#campaign-view');
  const items = view.locator('li.strip-item');
  await items.nth(2).waitFor(); // the view fetches the playlist first
  assert.equal(await items.count(), 3);
  assert.equal(await items.nth(0).locator('.slide').textContent(), noticeText);
  assert.equal(await loadedWidth(items.nth(0).locator('img.notice-page')), 1920);
  assert.ok((await playableSeconds(items.nth(0).locator('audio'))) > 1, 'the notice\'s speech plays in the view');
  assert.equal(await loadedWidth(items.nth(1).locator('img.thumb')), 200);
  assert.equal(await loadedWidth(items.nth(2).locator('img.thumb')), 320);
  assert.match(await items.nth(2).textContent(), /5 giây/);
  await view.locator('#campaign-changes').getByText('đây là lần duyệt đầu tiên').waitFor();
  await checkLayout('campaign-view');
  await view.getByRole('button', { name: 'Duyệt Chợ phiên sáng' }).click();
  await expectSuccess('Đã duyệt');
  await signOut();
});

test('the editor edits the approved campaign: a new version, the approved one still plays; the approver sees what changed', async () => {
  await signIn(people.editor.name, people.editor.password);
  // A changed copy of the playlist: the approved playlist itself is not changed in place.
  await openSection(sectionTitles.playlists);
  await page.getByRole('button', { name: 'Sao chép Chợ phiên' }).click();
  assert.equal(await page.locator('#playlist-name').inputValue(), 'Chợ phiên (bản sao)');
  await page.getByRole('button', { name: 'Bỏ mục 1' }).click();
  await page.getByLabel('Số giây của mục 1').fill('9');
  await page.getByRole('button', { name: 'Tạo danh sách phát' }).click();
  await expectSuccess('Chợ phiên (bản sao)');

  await openSection(sectionTitles.campaigns);
  const row = page.locator('#campaign-list tr[data-campaign="cho-phien-sang"]');
  await row.getByRole('button', { name: 'Sửa Chợ phiên sáng' }).click();
  assert.equal(await page.locator('#campaign-name').inputValue(), 'Chợ phiên sáng');
  assert.equal(await page.locator('#campaign-windows').inputValue(), '06:00-08:00');
  await page.locator('#campaign-name').fill('Chợ phiên sáng (mới)');
  await page.locator('#campaign-playlist').selectOption('cho-phien-ban-sao');
  await page.locator('#campaign-rank').fill('3');
  await page.getByRole('button', { name: 'Lưu phiên bản mới (cần duyệt lại)' }).click();
  await expectSuccess('phiên bản 4');
  await row.getByText('Phiên bản đã duyệt 3 vẫn đang phát').waitFor();
  await row.getByText('Nháp', { exact: true }).waitFor();
  // What devices play is still the approved version 3.
  const approved = (await apiCall('GET', '/campaigns?approval=approved', undefined)).items;
  assert.deepEqual(approved.map((campaign) => [campaign.name, campaign.version, campaign.playlist]), [['Chợ phiên sáng', 3, 'cho-phien']]);
  await row.getByRole('button', { name: 'Gửi duyệt Chợ phiên sáng (mới)' }).click();
  await row.getByText('Chờ duyệt', { exact: true }).waitFor();
  await signOut();

  await signIn(people.approver.name, people.approver.password);
  await openSection(sectionTitles.campaigns);
  await row.getByRole('button', { name: 'Xem và duyệt Chợ phiên sáng (mới)' }).click();
  const changes = page.locator('#campaign-changes li');
  await changes.first().waitFor(); // the view fetches both playlists first
  const lines = await changes.allTextContents();
  assert.deepEqual(lines, [
    'Tên: "Chợ phiên sáng" → "Chợ phiên sáng (mới)"',
    'Danh sách phát: "Chợ phiên" → "Chợ phiên (bản sao)"',
    'Thứ tự ưu tiên: 0 → 3',
    'Mục 1: "phiên chợ" ' + lines[3].split('"phiên chợ" ')[1].split(' → ')[0] + ' → "bến-đò.png" 9 giây',
    'Mục 2: "bến-đò.png" 7 giây → "cảnh-chợ.png" 5 giây',
    'Mục 3: bỏ "cảnh-chợ.png" 5 giây',
  ]);
  await checkLayout('campaign-changes');
  await page.locator('#campaign-view').getByRole('button', { name: 'Duyệt Chợ phiên sáng (mới)' }).click();
  await expectSuccess('Đã duyệt');
  const now = (await apiCall('GET', '/campaigns?approval=approved', undefined)).items;
  assert.deepEqual(now.map((campaign) => [campaign.name, campaign.version, campaign.playlist, campaign.approved]), [['Chợ phiên sáng (mới)', 6, 'cho-phien-ban-sao', null]]);
  await signOut();
});

test('the content pages fit a phone and a laptop and show no English in Vietnamese mode', async () => {
  assert.deepEqual(layoutProblems, []);
});
