// Drives Debian's chromium (headless, via playwright-core) through the rmq dashboard and
// prints one JSON line with what it saw. Run by tests/dashboard.rs; inputs come from the
// environment:
//   DASHBOARD_URL  the dashboard (login required)     RO_URL  a read-only dashboard (optional)
//   GROUP, TOPIC   the group that consumed one message of TOPIC
//   USER, PASSWORD the login                          SHOTS   where screenshots go
//   SEND_TOPIC     topic of the test message sent from the Topics page
//   DLQ_GROUP      a group with one dead letter to resend from the DLQ page (optional)
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const env = k => process.env[k] || '';
const out = { pages: {}, errors: [] };
const TIMEOUT = 15000;

async function shot(page, name) {
  fs.mkdirSync(env('SHOTS'), { recursive: true });
  const file = path.join(env('SHOTS'), name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function visit(page, name, ready) {
  await page.click(`[data-testid=nav-${name}]`);
  await page.waitForFunction(n => document.body.dataset.loaded === n, name, { timeout: TIMEOUT });
  if (ready) await ready();
  const errors = await page.$$eval('[data-testid=error]', els => els.map(e => e.textContent));
  out.pages[name] = { screenshot: await shot(page, name), errors };
}

async function consumers(page) {
  const group = env('GROUP');
  await page.click('[data-testid=nav-consumers]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'consumers', null, { timeout: TIMEOUT });
  const row = page.locator('[data-testid=group-row]', { hasText: group });
  if (await row.count() > 0) {
    out.groupListed = true;
    await row.first().click();
  } else {
    out.groupListed = false;
    await page.fill('[data-testid=group-input]', group);
    await page.fill('[data-testid=group-topic]', env('TOPIC'));
    await page.click('[data-testid=group-submit]');
  }
  await page.waitForSelector('[data-testid=diff-total]', { timeout: TIMEOUT });
  const rows = await page.$$eval('#consumer-detail [data-testid=queue-row]', trs => trs.map(tr => {
    const cell = k => tr.querySelector(`td[data-col=${k}]`).textContent.trim();
    return { topic: cell('topic'), brokerOffset: Number(cell('brokerOffset')), consumerOffset: Number(cell('consumerOffset')), diff: Number(cell('diff')) };
  }));
  const topicRows = rows.filter(r => r.topic === env('TOPIC'));
  out.consumers = {
    rows: topicRows.length,
    brokerOffset: topicRows.reduce((a, r) => a + r.brokerOffset, 0),
    consumerOffset: topicRows.reduce((a, r) => a + r.consumerOffset, 0),
    diffTotal: Number((await page.textContent('[data-testid=diff-total]')).trim()),
  };
  out.pages.consumers = { screenshot: await shot(page, 'consumers'), errors: [] };
  out.consumers.members = await page.$$eval('[data-testid=member-row]', trs => trs.length);
  out.consumers.memberVersions = await page.$$eval('[data-testid=member-row] td[data-col=versionDesc]', tds => tds.map(td => td.textContent.trim()));
  if (out.consumers.members > 0) {
    await page.click('[data-testid=member-row]');
    await page.waitForSelector('[data-testid=running-info], #running-info [data-testid=error]', { timeout: TIMEOUT });
    const ri = await page.$('[data-testid=running-info]');
    out.consumers.runningInfo = ri ? JSON.parse(await ri.textContent()) : { error: await page.textContent('#running-info') };
    await shot(page, 'consumer-running-info');
  }
}

async function topics(page) {
  await page.click('[data-testid=nav-topics]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'topics', null, { timeout: TIMEOUT });
  await page.fill('[data-testid=topic-search]', env('TOPIC'));
  await page.click('#topic-search-form button');
  const row = page.locator('[data-testid=topic-row]', { hasText: env('TOPIC') });
  await row.first().waitFor({ timeout: TIMEOUT });
  await row.first().click();
  await page.waitForSelector('#topic-queue-table, [data-testid=topic-detail] [data-testid=error]', { timeout: TIMEOUT });
  const maxOffsets = await page.$$eval('#topic-queue-table tbody tr', trs => trs.map(tr => Number((tr.querySelector('td[data-col=maxOffset]') || {}).textContent)));
  out.topic = {
    queues: maxOffsets.length,
    maxOffsetTotal: maxOffsets.reduce((a, b) => a + (b || 0), 0),
    consumers: (await page.textContent('[data-testid=topic-consumers]')).trim(),
  };
  out.pages.topics = { screenshot: await shot(page, 'topics'), errors: await page.$$eval('[data-testid=error]', els => els.map(e => e.textContent)) };
}

async function producers(page) {
  await page.click('[data-testid=nav-producers]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'producers', null, { timeout: TIMEOUT });
  await page.fill('[data-testid=producer-topic]', env('TOPIC'));
  await page.fill('[data-testid=producer-group]', env('PRODUCER_GROUP'));
  await page.click('[data-testid=producer-submit]');
  await page.waitForSelector('#producer-table, #producer-result [data-testid=error]', { timeout: TIMEOUT });
  out.producers = {
    rows: await page.$$eval('#producer-table [data-testid=producer-row]', trs => trs.length),
    versions: await page.$$eval('#producer-table [data-testid=producer-row] td[data-col=versionDesc]', tds => tds.map(td => td.textContent.trim())),
    answer: (await page.textContent('#producer-result')).trim(),
  };
  // The broker's answer is what the page is for; an unknown group is its answer too.
  out.pages.producers = { screenshot: await shot(page, 'producers'), errors: [] };
}

// Messages by time on the consumed topic, its detail (consume status), resend to the group.
async function resendBoot(page) {
  await page.click('[data-testid=nav-messages]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'messages', null, { timeout: TIMEOUT });
  await page.fill('[data-testid=msg-time-topic]', env('TOPIC'));
  await page.click('[data-testid=msg-time-submit]');
  await page.waitForSelector('#message-table, [data-testid=msg-results] [data-testid=error]', { timeout: TIMEOUT });
  out.byTime = await page.$$eval('#message-table [data-testid=message-row]', trs => trs.length);
  if (!out.byTime) return;
  await page.click('#message-table [data-testid=message-row]');
  await page.waitForSelector('#msg-tracks, [data-testid=msg-detail] [data-testid=error]', { timeout: TIMEOUT });
  out.tracks = await page.$$eval('#msg-tracks [data-testid=track-row]', trs => trs.map(tr => ({
    group: tr.querySelector('td[data-col=consumerGroup]').textContent,
    status: tr.querySelector('td[data-col=trackType]').textContent,
  })));
  out.detailBody = (await page.textContent('[data-testid=msg-body]')).trim();
  await shot(page, 'message-detail');
  const track = page.locator('#msg-tracks [data-testid=track-row]', { hasText: env('GROUP') });
  if (await track.count() === 0) return;
  await track.first().click();
  // The resend changes state: the login dialog may open first.
  await page.waitForSelector('[data-testid=resend-ok], #resend-result [data-testid=error], [data-testid=login-dialog]:not(.hidden)', { timeout: TIMEOUT });
  if (await page.$('[data-testid=login-dialog]:not(.hidden)')) {
    await page.fill('[data-testid=login-user]', env('USER'));
    await page.fill('[data-testid=login-password]', env('PASSWORD'));
    await page.click('[data-testid=login-submit]');
    await page.waitForSelector('[data-testid=resend-ok], #resend-result [data-testid=error]', { timeout: TIMEOUT });
  }
  out.resend = (await page.textContent('#resend-result')).trim();
}

// Consumers page, last: reset the group's offsets on TOPIC to ten minutes ago with the
// form, so the listener consumes the boot message once more.
async function resetGroup(page) {
  await page.click('[data-testid=nav-consumers]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'consumers', null, { timeout: TIMEOUT });
  await page.fill('[data-testid=group-input]', env('GROUP'));
  await page.fill('[data-testid=group-topic]', env('TOPIC'));
  await page.click('[data-testid=group-submit]');
  await page.waitForSelector('#group-reset-form', { timeout: TIMEOUT });
  const time = await page.evaluate(() => {
    const d = new Date(Date.now() - 10 * 60 * 1000);
    const p = n => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  });
  await page.fill('#group-reset-form input[name=topic]', env('TOPIC'));
  await page.fill('#group-reset-form input[name=time]', time);
  await page.click('#group-reset-form button[type=submit]');
  await page.waitForSelector('[data-testid=group-reset-ok], #group-reset-result [data-testid=error]', { timeout: TIMEOUT });
  out.reset = { ok: (await page.$('[data-testid=group-reset-ok]')) !== null, answer: (await page.textContent('#group-reset-result')).trim() };
  await shot(page, 'consumer-reset');
}

// DLQ page (when DLQ_GROUP is set): the group's dead letter listed, clicked, and resent to
// the group.
async function dlqResend(page) {
  if (!env('DLQ_GROUP')) return;
  await page.click('[data-testid=nav-dlq]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'dlq', null, { timeout: TIMEOUT });
  await page.fill('[data-testid=dlq-group]', env('DLQ_GROUP'));
  await page.click('[data-testid=dlq-submit]');
  await page.waitForSelector('#dlq-table, [data-testid=dlq-results] [data-testid=error]', { timeout: TIMEOUT });
  out.dlq = { rows: await page.$$eval('#dlq-table [data-testid=message-row]', trs => trs.length) };
  if (!out.dlq.rows) return;
  await page.click('#dlq-table [data-testid=message-row]');
  await page.waitForSelector('[data-testid=dlq-resend-ok], #dlq-resend-result [data-testid=error]', { timeout: TIMEOUT });
  out.dlq.resend = (await page.textContent('#dlq-resend-result')).trim();
  await shot(page, 'dlq-resent');
}

async function sendFromTopics(page) {
  await page.click('[data-testid=nav-topics]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'topics', null, { timeout: TIMEOUT });
  const key = 'dash-key-' + Date.now();
  await page.fill('[data-testid=send-topic]', env('SEND_TOPIC'));
  await page.fill('[data-testid=send-keys]', key);
  await page.fill('[data-testid=send-tags]', 'dashboard');
  await page.fill('[data-testid=send-body]', 'sent from the dashboard');
  await page.click('[data-testid=send-submit]');
  // Login is required for state-changing calls: the dialog opens.
  await page.waitForSelector('[data-testid=login-dialog]:not(.hidden)', { timeout: TIMEOUT });
  out.loginAsked = true;
  await page.fill('[data-testid=login-user]', env('USER'));
  await page.fill('[data-testid=login-password]', 'wrong-' + env('PASSWORD'));
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction(() => document.querySelector('[data-testid=login-error]').textContent.length > 0, null, { timeout: TIMEOUT });
  out.wrongPasswordError = await page.textContent('[data-testid=login-error]');
  await page.fill('[data-testid=login-password]', env('PASSWORD'));
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=sent-msg-id], [data-testid=send-result] [data-testid=error]', { timeout: TIMEOUT });
  const id = await page.$('[data-testid=sent-msg-id]');
  out.sent = id ? { key, msgId: (await id.textContent()).trim() } : { key, error: await page.textContent('[data-testid=send-result]') };
  out.pages.topics_sent = { screenshot: await shot(page, 'topics-sent'), errors: [] };
  return key;
}

// Topics page after login: create a scratch topic with the form, find it, delete it from its
// detail (accepting the confirm dialog), and see it gone from the list.
async function createAndDeleteTopic(page) {
  const topic = 'DashScratch' + Date.now();
  const listed = async () => {
    await page.fill('[data-testid=topic-search]', topic);
    await page.click('#topic-search-form button');
    await page.waitForSelector('#topic-table, #topic-list [data-testid=error]', { timeout: TIMEOUT });
    return page.locator('[data-testid=topic-row]', { hasText: topic }).count();
  };
  const until = async want => {
    const deadline = Date.now() + 10000;
    let n = await listed();
    while ((n > 0) !== want && Date.now() < deadline) {
      await page.waitForTimeout(300);
      n = await listed();
    }
    return n > 0;
  };
  out.scratch = { topic };
  await page.fill('[data-testid=create-topic-name]', topic);
  await page.fill('[data-testid=create-topic-queues]', '2');
  await page.click('[data-testid=create-topic-submit]');
  await page.waitForSelector('[data-testid=create-topic-ok], #topic-create-result [data-testid=error]', { timeout: TIMEOUT });
  out.scratch.created = (await page.$('[data-testid=create-topic-ok]')) !== null;
  out.scratch.listedBefore = await until(true);
  if (!out.scratch.listedBefore) return;
  await page.locator('[data-testid=topic-row]', { hasText: topic }).first().click();
  await page.waitForSelector('[data-testid=topic-delete]', { timeout: TIMEOUT });
  page.once('dialog', d => { out.scratch.confirm = d.message(); d.accept(); });
  await page.click('[data-testid=topic-delete]');
  await page.waitForSelector('[data-testid=topic-deleted], [data-testid=topic-detail] [data-testid=error]', { timeout: TIMEOUT });
  out.scratch.deleted = (await page.$('[data-testid=topic-deleted]')) !== null;
  await shot(page, 'topic-deleted');
  out.scratch.listedAfter = await until(false);
}

async function findByKey(page, key) {
  await page.click('[data-testid=nav-messages]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'messages', null, { timeout: TIMEOUT });
  const deadline = Date.now() + 20000;
  for (;;) {
    await page.fill('[data-testid=msg-key-topic]', env('SEND_TOPIC'));
    await page.fill('[data-testid=msg-key]', key);
    await page.click('[data-testid=msg-key-submit]');
    await page.waitForSelector('#message-table, [data-testid=msg-results] [data-testid=error]', { timeout: TIMEOUT });
    const keys = await page.$$eval('#message-table [data-testid=message-row] td[data-col=keys]', tds => tds.map(t => t.textContent));
    const err = await page.$('[data-testid=msg-results] [data-testid=error]');
    if (keys.some(k => k.split(' ').includes(key))) {
      out.foundByKey = { found: true };
      await page.click('#message-table [data-testid=message-row]');
      await page.waitForSelector('#msg-props, [data-testid=msg-detail] [data-testid=error]', { timeout: TIMEOUT });
      out.foundByKey.detailProps = await page.$$eval('#msg-props tbody tr', trs => trs.length);
      break;
    }
    if (err || Date.now() > deadline) {
      out.foundByKey = { found: false, error: err ? await err.textContent() : 'not found before the deadline' };
      break;
    }
    await page.waitForTimeout(500);
  }
  out.pages.messages_by_key = { screenshot: await shot(page, 'messages-by-key'), errors: [] };
}

async function readOnly(browser) {
  if (!env('RO_URL')) return;
  const page = await browser.newPage();
  await page.goto(env('RO_URL') + '/#/topics');
  await page.waitForFunction(() => document.body.dataset.loaded === 'topics', null, { timeout: TIMEOUT });
  out.readOnlyBadge = (await page.$('[data-testid=read-only]')) !== null;
  await page.fill('[data-testid=send-topic]', env('SEND_TOPIC'));
  await page.click('[data-testid=send-submit]');
  await page.waitForSelector('[data-testid=send-result] [data-testid=error]', { timeout: TIMEOUT });
  out.readOnlyError = await page.textContent('[data-testid=send-result]');
  // And the API itself, not just the page, refuses.
  out.readOnlyApi = await page.evaluate(async t => {
    const r = await fetch('/api/topics/' + t + '/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"body":"x"}' });
    return { status: r.status, body: await r.json() };
  }, env('SEND_TOPIC'));
  await shot(page, 'read-only');
  await page.close();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', e => out.errors.push(String(e)));
    await page.goto(env('DASHBOARD_URL') + '/#/cluster');
    await page.waitForSelector('#cluster-table', { timeout: TIMEOUT });
    out.cluster = { brokers: await page.$$eval('#cluster-table [data-testid=broker-row]', trs => trs.length) };
    out.pages.cluster = { screenshot: await shot(page, 'cluster'), errors: [] };
    await consumers(page);
    await topics(page);
    await producers(page);
    await visit(page, 'messages');
    await visit(page, 'dlq', async () => {
      await page.fill('[data-testid=dlq-group]', env('GROUP'));
      await page.click('[data-testid=dlq-submit]');
      await page.waitForSelector('#dlq-table, [data-testid=dlq-results] [data-testid=error]', { timeout: TIMEOUT });
    });
    await visit(page, 'cluster', () => page.waitForSelector('#cluster-table', { timeout: TIMEOUT }));
    // Two polls of the live chart (every 3 s) draw a line.
    await page.waitForSelector('#tps-in', { state: 'attached', timeout: TIMEOUT });
    out.cluster.chart = true;
    out.cluster.version = await page.textContent('#cluster-table td[data-col=version]');
    out.pages.cluster.screenshot = await shot(page, 'cluster');
    const key = await sendFromTopics(page);
    await createAndDeleteTopic(page);
    if (out.sent && out.sent.msgId) await findByKey(page, key);
    await resendBoot(page);
    await resetGroup(page);
    await dlqResend(page);
    await readOnly(browser);
  } catch (e) {
    out.errors.push('driver: ' + (e && e.stack ? e.stack : String(e)));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
