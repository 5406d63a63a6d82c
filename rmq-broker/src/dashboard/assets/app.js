// rmq dashboard: a hash-routed single-page app over the JSON API under /api/.
'use strict';

const $ = (sel, root) => (root || document).querySelector(sel);
const page = () => $('#page');
let session = { loginRequired: false, readOnly: false, loggedIn: false };
let timers = [];

function esc(v) {
  return String(v === null || v === undefined ? '' : v)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmtTime(ms) {
  if (!ms || ms <= 0) return '-';
  return new Date(Number(ms)).toISOString().replace('T', ' ').replace('Z', '');
}

function fmtNum(v, digits) {
  if (v === null || v === undefined || v === '') return '-';
  const n = Number(v);
  return Number.isFinite(n) ? n.toFixed(digits || 0) : esc(v);
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch('/api' + path, opts);
  let data = null;
  try { data = await resp.json(); } catch (_) { data = null; }
  if (!resp.ok) {
    throw new ApiError(resp.status, (data && data.error) || resp.statusText);
  }
  return data;
}

function errorBox(e) {
  return `<div class="error" data-testid="error">${esc(e.status ? e.status + ': ' : '')}${esc(e.message)}</div>`;
}

// Runs a state-changing call, asking for a login first when the dashboard requires one.
async function write(method, path, body) {
  if (session.readOnly) throw new ApiError(403, 'the dashboard is in read-only mode');
  if (session.loginRequired && !session.loggedIn) {
    const ok = await askLogin();
    if (!ok) throw new ApiError(401, 'login cancelled');
  }
  return api(method, path, body);
}

function table(id, columns, rows, opts) {
  opts = opts || {};
  const head = columns.map(c => `<th class="${c.num ? 'num' : ''}">${esc(c.title)}</th>`).join('');
  const body = rows.map((r, i) => {
    const cls = opts.onRow ? 'clickable' : '';
    const tid = opts.rowTestId ? ` data-testid="${opts.rowTestId}"` : '';
    const cells = columns.map(c => {
      const v = c.render ? c.render(r) : esc(r[c.key]);
      return `<td class="${c.key || ''} ${c.num ? 'num' : ''}" data-col="${c.key || ''}">${v}</td>`;
    }).join('');
    return `<tr class="${cls}" data-index="${i}"${tid}>${cells}</tr>`;
  }).join('');
  const empty = rows.length ? '' : `<tr><td colspan="${columns.length}" class="muted">no rows</td></tr>`;
  return `<table id="${id}" data-testid="${id}"><thead><tr>${head}</tr></thead><tbody>${body}${empty}</tbody></table>`;
}

function bindRows(id, rows, onRow) {
  const t = document.getElementById(id);
  if (!t) return;
  t.querySelectorAll('tbody tr[data-index]').forEach(tr => {
    tr.addEventListener('click', () => onRow(rows[Number(tr.dataset.index)]));
  });
}

function formValues(form) {
  const out = {};
  new FormData(form).forEach((v, k) => { out[k] = String(v).trim(); });
  return out;
}

function qs(params) {
  const p = new URLSearchParams();
  Object.entries(params).forEach(([k, v]) => { if (v !== undefined && v !== null && v !== '') p.set(k, v); });
  const s = p.toString();
  return s ? '?' + s : '';
}

// ---- session / login ----

async function refreshSession() {
  try { session = await api('GET', '/session'); } catch (_) { /* keep defaults */ }
  const el = $('#session');
  let html = '';
  if (session.readOnly) html += '<span data-testid="read-only">read-only</span>';
  if (session.loginRequired) {
    html += session.loggedIn
      ? ` <span data-testid="logged-in">${esc(session.user)}</span> <button class="secondary" id="logout-btn" data-testid="logout">Log out</button>`
      : ' <button class="secondary" id="login-btn" data-testid="login">Log in</button>';
  }
  el.innerHTML = html;
  const lb = $('#login-btn');
  if (lb) lb.onclick = () => askLogin();
  const lo = $('#logout-btn');
  if (lo) lo.onclick = async () => { await api('POST', '/logout', {}); await refreshSession(); };
}

function askLogin() {
  return new Promise(resolve => {
    const dlg = $('#login-dialog');
    dlg.classList.remove('hidden');
    $('#login-error').textContent = '';
    $('#login-user').focus();
    $('#login-cancel').onclick = () => { dlg.classList.add('hidden'); resolve(false); };
    $('#login-form').onsubmit = async ev => {
      ev.preventDefault();
      try {
        await api('POST', '/login', { username: $('#login-user').value, password: $('#login-password').value });
        dlg.classList.add('hidden');
        await refreshSession();
        resolve(true);
      } catch (e) {
        $('#login-error').textContent = e.message;
      }
    };
  });
}

// ---- Cluster ----

const tpsHistory = { in: [], out: [] };
let lastTotals = null;

function chart(points, w, h) {
  const all = points.in.concat(points.out);
  const max = Math.max(1, ...all.map(p => p.v));
  const t0 = all.length ? Math.min(...all.map(p => p.t)) : 0;
  const t1 = all.length ? Math.max(...all.map(p => p.t)) : 1;
  const x = t => 40 + (w - 50) * (t1 === t0 ? 1 : (t - t0) / (t1 - t0));
  const y = v => h - 20 - (h - 30) * (v / max);
  const line = (pts, color, id) => pts.length
    ? `<polyline id="${id}" fill="none" stroke="${color}" stroke-width="2" points="${pts.map(p => x(p.t).toFixed(1) + ',' + y(p.v).toFixed(1)).join(' ')}"/>`
    : '';
  return `<svg class="chart" data-testid="tps-chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
    <line x1="40" y1="${h - 20}" x2="${w - 10}" y2="${h - 20}" stroke="#999"/>
    <line x1="40" y1="10" x2="40" y2="${h - 20}" stroke="#999"/>
    <text x="4" y="14">${fmtNum(max, 1)}</text><text x="4" y="${h - 20}">0</text>
    <text x="${w - 140}" y="14" style="fill:#2a6fbd">&#9632; TPS in</text><text x="${w - 70}" y="14" style="fill:#e07b00">&#9632; TPS out</text>
    ${line(points.in, '#2a6fbd', 'tps-in')}${line(points.out, '#e07b00', 'tps-out')}
  </svg>`;
}

async function clusterPage() {
  const p = page();
  p.innerHTML = '<h2>Cluster</h2><section id="cluster-body">loading…</section><section><h3>Live TPS (messages/s, all brokers, every 3 s)</h3><div id="tps-chart-box"></div></section>';
  const load = async () => {
    let data;
    try { data = await api('GET', '/cluster'); } catch (e) { $('#cluster-body').innerHTML = errorBox(e); return; }
    // Rates from the brokers' today totals between two samples (the live chart).
    let tin = 0, tout = 0, have = true;
    data.brokers.forEach(b => {
      if (b.todayIn === null || b.todayIn === undefined) have = false;
      tin += Number(b.todayIn) || 0;
      tout += Number(b.todayOut) || 0;
    });
    if (have && lastTotals && data.timestamp > lastTotals.t && tin >= lastTotals.in) {
      const secs = (data.timestamp - lastTotals.t) / 1000;
      tpsHistory.in.push({ t: data.timestamp, v: (tin - lastTotals.in) / secs });
      tpsHistory.out.push({ t: data.timestamp, v: Math.max(0, tout - lastTotals.out) / secs });
      if (tpsHistory.in.length > 60) { tpsHistory.in.shift(); tpsHistory.out.shift(); }
    }
    if (have) lastTotals = { t: data.timestamp, in: tin, out: tout };
    const body = $('#cluster-body');
    if (!body) return;
    body.innerHTML = table('cluster-table', [
      { key: 'cluster', title: 'Cluster' },
      { key: 'brokerName', title: 'Broker' },
      { key: 'brokerId', title: 'No.', num: true },
      { key: 'addr', title: 'Address' },
      { key: 'version', title: 'Version' },
      { key: 'tpsIn', title: 'TPS in', num: true, render: r => fmtNum(r.tpsIn, 2) },
      { key: 'tpsOut', title: 'TPS out', num: true, render: r => fmtNum(r.tpsOut, 2) },
      { key: 'todayIn', title: 'Msgs in today', num: true, render: r => fmtNum(r.todayIn) },
      { key: 'todayOut', title: 'Msgs out today', num: true, render: r => fmtNum(r.todayOut) },
      { key: 'diskUse', title: 'Disk use', render: r => esc(r.diskUse || '-') },
      { key: 'error', title: '', render: r => (r.error ? `<span class="error">${esc(r.error)}</span>` : '') },
    ], data.brokers, { rowTestId: 'broker-row' });
    const box = $('#tps-chart-box');
    if (box) box.innerHTML = chart(tpsHistory, 640, 180);
  };
  await load();
  timers.push(setInterval(load, 3000));
}

// ---- Topics ----

async function topicsPage() {
  const p = page();
  p.innerHTML = `<h2>Topics</h2>
  <section>
    <form class="inline" id="topic-search-form"><label>Search <input name="search" id="topic-search" data-testid="topic-search"></label>
      <label><span><input type="checkbox" name="system" id="topic-system"> system topics</span></label>
      <button type="submit">Search</button></form>
    <div id="topic-list">loading…</div>
  </section>
  <section><h3>Create / update topic</h3>
    <form class="inline" id="topic-create-form">
      <label>Topic <input name="topic" data-testid="create-topic-name" required></label>
      <label>Queues <input name="queues" type="number" value="8" min="1" max="1024" data-testid="create-topic-queues"></label>
      <button type="submit" data-testid="create-topic-submit">Create / update</button>
    </form><div id="topic-create-result"></div>
  </section>
  <section><h3>Send a test message</h3>
    <form class="inline" id="send-form">
      <label>Topic <input name="topic" id="send-topic" data-testid="send-topic" required></label>
      <label>Tags <input name="tags" data-testid="send-tags"></label>
      <label>Keys <input name="keys" data-testid="send-keys"></label>
      <label>Body <input name="body" data-testid="send-body" size="40"></label>
      <button type="submit" data-testid="send-submit">Send</button>
    </form><div id="send-result" data-testid="send-result"></div>
  </section>
  <section id="topic-detail" class="hidden" data-testid="topic-detail"></section>`;
  const list = async () => {
    const v = formValues($('#topic-search-form'));
    try {
      const data = await api('GET', '/topics' + qs({ search: v.search, system: $('#topic-system').checked ? 'true' : '' }));
      const rows = data.topics.map(t => (typeof t === 'string' ? { topic: t } : t));
      $('#topic-list').innerHTML = table('topic-table', [{ key: 'topic', title: 'Topic' }], rows, { onRow: true, rowTestId: 'topic-row' });
      bindRows('topic-table', rows, r => topicDetail(r.topic));
    } catch (e) { $('#topic-list').innerHTML = errorBox(e); }
  };
  $('#topic-search-form').onsubmit = ev => { ev.preventDefault(); list(); };
  $('#topic-create-form').onsubmit = async ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    try {
      await write('POST', '/topics', { topic: v.topic, queues: Number(v.queues) });
      $('#topic-create-result').innerHTML = `<div class="ok" data-testid="create-topic-ok">topic ${esc(v.topic)} created / updated</div>`;
      list();
    } catch (e) { $('#topic-create-result').innerHTML = errorBox(e); }
  };
  $('#send-form').onsubmit = async ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    try {
      const r = await write('POST', '/topics/' + encodeURIComponent(v.topic) + '/messages', { tags: v.tags, keys: v.keys, body: v.body });
      $('#send-result').innerHTML = `<div class="ok">${esc(r.sendStatus)} msgId <span data-testid="sent-msg-id">${esc(r.msgId)}</span> on ${esc(r.brokerName)} queue ${esc(r.queueId)} offset ${esc(r.queueOffset)}</div>`;
    } catch (e) { $('#send-result').innerHTML = errorBox(e); }
  };
  await list();
}

async function topicDetail(topic) {
  const box = $('#topic-detail');
  box.classList.remove('hidden');
  box.innerHTML = `<h3>Topic ${esc(topic)}</h3>loading…`;
  $('#send-topic').value = topic;
  let html = `<h3>Topic <span data-testid="topic-detail-name">${esc(topic)}</span></h3>
    <div class="row"><button class="secondary" id="topic-delete" data-testid="topic-delete">Delete topic</button></div>`;
  try {
    const d = await api('GET', '/topics/' + encodeURIComponent(topic));
    html += '<h3>Queues</h3>' + table('topic-queue-table', [
      { key: 'brokerName', title: 'Broker' },
      { key: 'queueId', title: 'Queue', num: true },
      { key: 'minOffset', title: 'Min offset', num: true },
      { key: 'maxOffset', title: 'Max offset', num: true },
      { key: 'lastUpdateTimestamp', title: 'Last update', render: r => fmtTime(r.lastUpdateTimestamp) },
    ], d.queues || []);
    html += '<h3>Route</h3>' + table('topic-route-table', [
      { key: 'brokerName', title: 'Broker' },
      { key: 'addrs', title: 'Addresses', render: r => esc(Object.entries(r.brokerAddrs || {}).map(([k, v]) => k + '=' + v).join(', ')) },
      { key: 'readQueueNums', title: 'Read queues', num: true },
      { key: 'writeQueueNums', title: 'Write queues', num: true },
      { key: 'perm', title: 'Perm', num: true },
    ], (d.route && d.route.brokers) || []);
    html += `<h3>Consumer groups</h3><div data-testid="topic-consumers">${esc((d.consumerGroups || []).join(', ') || '-')}</div>`;
    if (d.consumerGroupsError) html += `<div class="muted">${esc(d.consumerGroupsError)}</div>`;
    html += `<h3>Reset consumer offset</h3><form class="inline" id="topic-reset-form">
      <label>Group <input name="group" required></label>
      <label>Time <input name="time" type="datetime-local" step="1" required></label>
      <button type="submit">Reset</button></form><div id="topic-reset-result"></div>`;
  } catch (e) { html += errorBox(e); }
  box.innerHTML = html;
  $('#topic-delete').onclick = async () => {
    if (!confirm('Delete topic ' + topic + '?')) return;
    try { await write('DELETE', '/topics/' + encodeURIComponent(topic)); box.innerHTML = `<div class="ok" data-testid="topic-deleted">deleted ${esc(topic)}</div>`; list(); }
    catch (e) { box.insertAdjacentHTML('beforeend', errorBox(e)); }
  };
  const rf = $('#topic-reset-form');
  if (rf) rf.onsubmit = async ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    try {
      const r = await write('POST', '/consumers/' + encodeURIComponent(v.group) + '/reset-offset', { topic, timestamp: new Date(v.time).getTime() });
      $('#topic-reset-result').innerHTML = `<div class="ok">${esc(JSON.stringify(r))}</div>`;
    } catch (e) { $('#topic-reset-result').innerHTML = errorBox(e); }
  };
}

// ---- Consumers ----

async function consumersPage(params) {
  const p = page();
  p.innerHTML = `<h2>Consumers</h2>
  <section><div id="group-list">loading…</div></section>
  <section><form class="inline" id="group-form">
    <label>Group <input name="group" id="group-input" data-testid="group-input" required></label>
    <label>Topic <input name="topic" id="group-topic" data-testid="group-topic"></label>
    <button type="submit" data-testid="group-submit">Show</button></form></section>
  <section id="group-detail" class="hidden" data-testid="group-detail"></section>`;
  $('#group-form').onsubmit = ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    groupDetail(v.group, v.topic);
  };
  try {
    const data = await api('GET', '/consumers');
    const rows = data.groups;
    $('#group-list').innerHTML = table('group-table', [
      { key: 'group', title: 'Group' },
      { key: 'count', title: 'Members', num: true },
      { key: 'consumeType', title: 'Type' },
      { key: 'messageModel', title: 'Model' },
      { key: 'consumeTps', title: 'TPS', num: true, render: r => fmtNum(r.consumeTps, 2) },
      { key: 'diffTotal', title: 'Diff Total', num: true },
    ], rows, { onRow: true, rowTestId: 'group-row' });
    bindRows('group-table', rows, r => groupDetail(r.group));
  } catch (e) { $('#group-list').innerHTML = errorBox(e); }
  if (params.get('group')) groupDetail(params.get('group'), params.get('topic'));
}

async function groupDetail(group, topic) {
  const box = $('#group-detail');
  box.classList.remove('hidden');
  box.innerHTML = 'loading…';
  let html = `<h3>Group <span data-testid="group-name">${esc(group)}</span></h3>`;
  let conns = [];
  try {
    const d = await api('GET', '/consumers/' + encodeURIComponent(group) + qs({ topic }));
    html += table('consumer-detail', [
      { key: 'topic', title: 'Topic' },
      { key: 'brokerName', title: 'Broker' },
      { key: 'queueId', title: 'Queue', num: true },
      { key: 'brokerOffset', title: 'Broker Offset', num: true },
      { key: 'consumerOffset', title: 'Consumer Offset', num: true },
      { key: 'diff', title: 'Diff', num: true },
      { key: 'lastTimestamp', title: 'Last consumed', render: r => fmtTime(r.lastTimestamp) },
    ], d.queues, { rowTestId: 'queue-row' });
    if (d.consumeTps !== null && d.consumeTps !== undefined) html += `<div class="muted">Consume TPS: ${fmtNum(d.consumeTps, 2)}</div>`;
    html += `<div class="total">Diff Total: <span id="diff-total" data-testid="diff-total">${esc(d.diffTotal)}</span></div>`;
    if (d.connections) {
      html += '<h3>Members</h3>' + table('consumer-connections', [
        { key: 'clientId', title: 'Client id' },
        { key: 'clientAddr', title: 'Address' },
        { key: 'language', title: 'Language' },
        { key: 'versionDesc', title: 'Version' },
        { key: 'info', title: 'Running info', render: () => '<button class="secondary">Running info</button>' },
      ], d.connections, { onRow: true, rowTestId: 'member-row' });
      conns = d.connections;
    }
    if (d.connectionsError) html += `<div class="muted">${esc(d.connectionsError)}</div>`;
    html += `<h3>Reset offset by time</h3><form class="inline" id="group-reset-form">
      <label>Topic <input name="topic" value="${esc(topic || (d.queues[0] && d.queues[0].topic) || '')}" required></label>
      <label>Time <input name="time" type="datetime-local" step="1" required></label>
      <button type="submit">Reset</button></form><div id="group-reset-result"></div><div id="running-info"></div>`;
  } catch (e) { html += errorBox(e); }
  box.innerHTML = html;
  bindRows('consumer-connections', conns, c => runningInfo(group, c.clientId));
  const rf = $('#group-reset-form');
  if (rf) rf.onsubmit = async ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    try {
      const r = await write('POST', '/consumers/' + encodeURIComponent(group) + '/reset-offset', { topic: v.topic, timestamp: new Date(v.time).getTime() });
      $('#group-reset-result').innerHTML = `<div class="ok" data-testid="group-reset-ok">${esc(JSON.stringify(r))}</div>`;
    } catch (e) { $('#group-reset-result').innerHTML = errorBox(e); }
  };
}

async function runningInfo(group, clientId) {
  const box = $('#running-info');
  if (!box) return;
  box.innerHTML = 'loading…';
  try {
    const r = await api('GET', '/consumers/' + encodeURIComponent(group) + '/running-info' + qs({ clientId }));
    box.innerHTML = `<h3>Running info of ${esc(clientId)}</h3><pre data-testid="running-info">${esc(JSON.stringify(r, null, 2))}</pre>`;
  } catch (e) { box.innerHTML = errorBox(e); }
}

// ---- router ----

const routes = {
  cluster: clusterPage,
  topics: topicsPage,
  consumers: consumersPage,
  producers: producersPage,
  messages: messagesPage,
  dlq: dlqPage,
};

async function route() {
  timers.forEach(t => clearInterval(t));
  timers = [];
  const hash = location.hash.replace(/^#\/?/, '') || 'cluster';
  const [name, query] = hash.split('?');
  const fn = routes[name] || clusterPage;
  document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', a.getAttribute('href') === '#/' + name));
  document.body.dataset.page = name;
  await fn(new URLSearchParams(query || ''));
  document.body.dataset.loaded = name;
}

window.addEventListener('hashchange', route);
refreshSession().then(route);
