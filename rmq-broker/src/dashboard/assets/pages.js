// rmq dashboard: the Producers, Messages and DLQ pages (helpers and routing in app.js).
'use strict';

// ---- Producers ----

async function producersPage() {
  page().innerHTML = `<h2>Producers</h2><section><form class="inline" id="producer-form">
    <label>Topic <input name="topic" data-testid="producer-topic" required></label>
    <label>Producer group <input name="group" data-testid="producer-group" required></label>
    <button type="submit" data-testid="producer-submit">Search</button></form>
    <div id="producer-result"></div></section>`;
  $('#producer-form').onsubmit = async ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    try {
      const d = await api('GET', '/producers' + qs(v));
      $('#producer-result').innerHTML = table('producer-table', [
        { key: 'clientId', title: 'Client id' },
        { key: 'clientAddr', title: 'Address' },
        { key: 'language', title: 'Language' },
        { key: 'versionDesc', title: 'Version' },
      ], d.connections, { rowTestId: 'producer-row' });
    } catch (e) { $('#producer-result').innerHTML = errorBox(e); }
  };
}

// ---- Messages ----

function messageTable(id, rows) {
  return table(id, [
    { key: 'msgId', title: 'Message id' },
    { key: 'topic', title: 'Topic' },
    { key: 'tags', title: 'Tags' },
    { key: 'keys', title: 'Keys' },
    { key: 'queueId', title: 'Queue', num: true },
    { key: 'queueOffset', title: 'Offset', num: true },
    { key: 'storeTimestamp', title: 'Stored', render: r => fmtTime(r.storeTimestamp) },
  ], rows, { onRow: true, rowTestId: 'message-row' });
}

function localInput(ms) {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

async function messagesPage() {
  const now = Date.now();
  page().innerHTML = `<h2>Messages</h2>
  <section><h3>By topic and time</h3><form class="inline" id="msg-time-form">
    <label>Topic <input name="topic" required data-testid="msg-time-topic"></label>
    <label>Begin <input name="begin" type="datetime-local" step="1" value="${localInput(now - 3600000)}"></label>
    <label>End <input name="end" type="datetime-local" step="1" value="${localInput(now + 600000)}"></label>
    <button type="submit" data-testid="msg-time-submit">Search</button></form></section>
  <section><h3>By key</h3><form class="inline" id="msg-key-form">
    <label>Topic <input name="topic" required data-testid="msg-key-topic"></label>
    <label>Key <input name="key" required data-testid="msg-key"></label>
    <button type="submit" data-testid="msg-key-submit">Search</button></form></section>
  <section><h3>By message id</h3><form class="inline" id="msg-id-form">
    <label>Topic <input name="topic" data-testid="msg-id-topic"></label>
    <label>Message id <input name="msgId" required size="40" data-testid="msg-id"></label>
    <button type="submit" data-testid="msg-id-submit">Search</button></form></section>
  <section id="msg-results" data-testid="msg-results"></section>
  <section id="msg-detail" class="hidden" data-testid="msg-detail"></section>`;
  const run = async params => {
    const box = $('#msg-results');
    box.innerHTML = 'searching…';
    try {
      const d = await api('GET', '/messages' + qs(params));
      box.innerHTML = `<div class="muted">${d.messages.length} message(s)</div>` + messageTable('message-table', d.messages);
      bindRows('message-table', d.messages, m => messageDetail(m));
    } catch (e) { box.innerHTML = errorBox(e); }
  };
  const ms = s => (s ? String(new Date(s).getTime()) : '');
  $('#msg-time-form').onsubmit = ev => { ev.preventDefault(); const v = formValues(ev.target); run({ topic: v.topic, begin: ms(v.begin), end: ms(v.end) }); };
  $('#msg-key-form').onsubmit = ev => { ev.preventDefault(); run(formValues(ev.target)); };
  $('#msg-id-form').onsubmit = ev => { ev.preventDefault(); run(formValues(ev.target)); };
}

async function messageDetail(m) {
  const box = $('#msg-detail');
  box.classList.remove('hidden');
  box.innerHTML = 'loading…';
  let html = `<h3>Message <span data-testid="detail-msg-id">${esc(m.msgId)}</span></h3>`;
  try {
    const d = await api('GET', '/messages/' + encodeURIComponent(m.offsetMsgId || m.msgId) + qs({ topic: m.topic }));
    const props = Object.entries(d.properties || {}).map(([k, v]) => ({ k, v }));
    html += table('msg-props', [{ key: 'k', title: 'Property' }, { key: 'v', title: 'Value' }], props);
    html += `<h3>Body</h3><pre data-testid="msg-body">${esc(d.body)}</pre>`;
    html += '<h3>Consume status</h3>' + table('msg-tracks', [
      { key: 'consumerGroup', title: 'Group' },
      { key: 'trackType', title: 'Status' },
      { key: 'exceptionDesc', title: 'Note' },
      { key: 'resend', title: '', render: () => '<button class="secondary">Resend</button>' },
    ], d.tracks || [], { onRow: true, rowTestId: 'track-row' });
    if (d.tracksError) html += `<div class="muted">${esc(d.tracksError)}</div>`;
    html += '<div id="resend-result"></div>';
    box.innerHTML = html;
    bindRows('msg-tracks', d.tracks || [], async t => {
      try {
        const r = await write('POST', '/messages/' + encodeURIComponent(m.msgId) + '/resend', { topic: m.topic, group: t.consumerGroup });
        $('#resend-result').innerHTML = `<div class="ok" data-testid="resend-ok">${esc(JSON.stringify(r))}</div>`;
      } catch (e) { $('#resend-result').innerHTML = errorBox(e); }
    });
  } catch (e) { box.innerHTML = html + errorBox(e); }
}

// ---- DLQ ----

async function dlqPage() {
  const now = Date.now();
  page().innerHTML = `<h2>DLQ</h2><section><form class="inline" id="dlq-form">
    <label>Consumer group <input name="group" required data-testid="dlq-group"></label>
    <label>Begin <input name="begin" type="datetime-local" step="1" value="${localInput(now - 86400000)}"></label>
    <label>End <input name="end" type="datetime-local" step="1" value="${localInput(now + 600000)}"></label>
    <button type="submit" data-testid="dlq-submit">Search</button></form>
    <div id="dlq-results" data-testid="dlq-results"></div><div id="dlq-resend-result"></div></section>`;
  $('#dlq-form').onsubmit = async ev => {
    ev.preventDefault();
    const v = formValues(ev.target);
    const box = $('#dlq-results');
    try {
      const d = await api('GET', '/dlq' + qs({ group: v.group, begin: new Date(v.begin).getTime(), end: new Date(v.end).getTime() }));
      box.innerHTML = (d.note ? `<div class="muted" data-testid="dlq-note">${esc(d.note)}</div>` : '') + `<div class="muted">${d.messages.length} message(s); click one to resend it to ${esc(v.group)}</div>` + messageTable('dlq-table', d.messages);
      bindRows('dlq-table', d.messages, async m => {
        try {
          const r = await write('POST', '/dlq/resend', { group: v.group, msgId: m.msgId, offsetMsgId: m.offsetMsgId });
          $('#dlq-resend-result').innerHTML = `<div class="ok" data-testid="dlq-resend-ok">${esc(JSON.stringify(r))}</div>`;
        } catch (e) { $('#dlq-resend-result').innerHTML = errorBox(e); }
      });
    } catch (e) { box.innerHTML = errorBox(e); }
  };
}

