// The pbx browser softphone: sign in with an API token, register to Asterisk over
// its SIP websocket (JsSIP), place and answer calls, show the customer of a caller,
// and dial a customer's number with a click. Everything from the server is shown
// with textContent (never as HTML).
'use strict';

(() => {
  const TOKEN_KEY = 'pbx.softphone.token';
  const MEDIA = { audio: true, video: false };
  const PC_CONFIG = { iceServers: [] }; // Asterisk offers its own addresses; no STUN needed
  const $ = (id) => document.getElementById(id);

  let ua = null; // JsSIP.UA while signed in
  let account = null; // the answer of GET /api/softphone
  let session = null; // the current call (JsSIP.RTCSession)
  let statsTimer = null;
  let ringer = null;
  let customersNext = null;
  let customers = [];

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // ---- the API -------------------------------------------------------------------
  async function api(path) {
    const token = sessionStorage.getItem(TOKEN_KEY) || '';
    const answer = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      cache: 'no-store',
    });
    let body = null;
    try {
      body = await answer.json();
    } catch (err) {
      body = null;
    }
    if (!answer.ok) {
      const message = (body && body.error) || answer.statusText || `HTTP ${answer.status}`;
      throw new ApiError(answer.status, message);
    }
    return body;
  }

  function setStatus(state, text) {
    const el = $('status');
    el.dataset.state = state;
    el.textContent = text;
  }

  // ---- signing in and out --------------------------------------------------------
  async function signIn() {
    $('sign-in-error').textContent = '';
    $('sign-in-button').disabled = true;
    try {
      account = await api('/api/softphone');
    } catch (err) {
      $('sign-in-button').disabled = false;
      sessionStorage.removeItem(TOKEN_KEY);
      if (err.status === 401) {
        $('sign-in-error').textContent = 'This token was refused. Check it and try again.';
      } else if (err.status === 404) {
        $('sign-in-error').textContent = `No browser phone for this user: ${err.message}`;
      } else {
        $('sign-in-error').textContent = `Cannot sign in: ${err.message}`;
      }
      setStatus('signed-out', 'signed out');
      return;
    }
    $('sign-in-button').disabled = false;
    $('sign-in').hidden = true;
    $('phone').hidden = false;
    $('sign-out').hidden = false;
    const name = account.display_name || account.user;
    $('who').textContent = `${name} · extension ${account.extension}`;
    register();
    loadCustomers(false);
  }

  function signOut(message) {
    if (session) {
      try { session.terminate(); } catch (err) { /* already ended */ }
    }
    if (ua) {
      ua.stop();
      ua = null;
    }
    account = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('phone').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('who').textContent = '';
    $('customer-rows').replaceChildren();
    $('sign-in-error').textContent = message || '';
    setStatus('signed-out', 'signed out');
  }

  // ---- SIP registration ----------------------------------------------------------
  function register() {
    if (typeof JsSIP === 'undefined') {
      setStatus('failed', 'SIP library missing on the server (run tools/vendor-js.sh)');
      return;
    }
    try {
      const socket = new JsSIP.WebSocketInterface(account.ws_url);
      ua = new JsSIP.UA({
        sockets: [socket],
        uri: account.sip_uri,
        password: account.sip_password,
        display_name: account.display_name || undefined,
        register: true,
        session_timers: false,
        user_agent: 'pbx softphone',
      });
    } catch (err) {
      setStatus('failed', `bad phone settings: ${err.message || err}`);
      return;
    }
    ua.on('connecting', () => setStatus('connecting', 'connecting'));
    ua.on('connected', () => setStatus('connected', 'connected, registering'));
    ua.on('disconnected', () => setStatus('disconnected', 'disconnected (retrying)'));
    ua.on('registered', () => setStatus('registered', 'registered'));
    ua.on('unregistered', () => setStatus('unregistered', 'unregistered'));
    ua.on('registrationFailed', (e) => setStatus('failed', `registration failed: ${e.cause || 'error'}`));
    ua.on('newRTCSession', (e) => onSession(e.session, e.originator));
    ua.start();
  }

  // ---- calls ---------------------------------------------------------------------
  function cleanNumber(text) {
    return String(text || '').replace(/[\s().-]/g, '');
  }

  function dial(number) {
    const target = cleanNumber(number);
    if (!ua || !ua.isRegistered()) {
      showCall('idle', 'Not registered: cannot call yet');
      return;
    }
    if (session) {
      showCall(panelState(), 'Already in a call');
      return;
    }
    if (!/^\+?[0-9*#]+$/.test(target)) {
      showCall('idle', `Not a number: ${number}`);
      return;
    }
    const host = JsSIP.URI.parse(account.sip_uri).host;
    $('number').value = target;
    ua.call(`sip:${target}@${host}`, {
      mediaConstraints: MEDIA,
      pcConfig: PC_CONFIG,
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    });
  }

  function onSession(s, originator) {
    if (session) { // one call at a time: a second caller hears busy
      if (originator === 'remote') s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    session = s;
    if (s.connection) {
      watchMedia(s.connection);
    } else {
      s.on('peerconnection', (e) => watchMedia(e.peerconnection));
    }
    const number = s.remote_identity.uri.user || '';
    const name = s.remote_identity.display_name || '';
    $('call-peer').textContent = name && name !== number ? `${name} (${number})` : number;
    $('call-customer').textContent = '';
    $('call-media').textContent = '';
    $('call-media').dataset.received = '0';
    $('call-media').dataset.sent = '0';
    showCustomer(number);
    if (originator === 'remote') {
      showCall('incoming', 'Incoming call');
      startRinging();
    } else {
      showCall('calling', 'Calling…');
    }
    s.on('progress', () => {
      if (originator === 'local') showCall('ringing', 'Ringing…');
    });
    s.on('accepted', () => {
      stopRinging();
      showCall('in-call', 'In call');
      startStats(s);
    });
    s.on('confirmed', () => showCall('in-call', 'In call'));
    s.on('muted', () => { $('mute').textContent = 'Unmute'; });
    s.on('unmuted', () => { $('mute').textContent = 'Mute'; });
    s.on('ended', (e) => finished(s, `Call ended${e.originator === 'remote' ? ' by the other side' : ''}`));
    s.on('failed', (e) => finished(s, failure(e, originator)));
  }

  function failure(e, originator) {
    const causes = JsSIP.C.causes;
    if (e.cause === causes.CANCELED) return originator === 'remote' ? 'Missed call' : 'Call cancelled';
    if (e.cause === causes.REJECTED && e.originator === 'local') return 'Declined';
    if (e.cause === causes.BUSY) return 'Busy';
    if (e.cause === causes.USER_DENIED_MEDIA_ACCESS) return 'Call failed: no microphone access';
    return `Call failed: ${e.cause || 'error'}`;
  }

  function finished(s, text) {
    if (session !== s) return;
    session = null;
    stopRinging();
    stopStats();
    $('remote-audio').srcObject = null;
    $('mute').textContent = 'Mute';
    showCall('ended', text);
  }

  function watchMedia(pc) {
    pc.addEventListener('track', (e) => {
      const audio = $('remote-audio');
      audio.srcObject = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
      audio.play().catch(() => { /* autoplay refused: the call still connects */ });
    });
  }

  function startStats(s) {
    stopStats();
    const update = async () => {
      const pc = s.connection;
      if (!pc) return;
      let received = 0;
      let sent = 0;
      const report = await pc.getStats();
      report.forEach((stat) => {
        if (stat.kind !== 'audio' && stat.mediaType !== 'audio') return;
        if (stat.type === 'inbound-rtp') received += stat.packetsReceived || 0;
        if (stat.type === 'outbound-rtp') sent += stat.packetsSent || 0;
      });
      const el = $('call-media');
      el.dataset.received = String(received);
      el.dataset.sent = String(sent);
      el.textContent = `audio packets: ${received} received, ${sent} sent`;
    };
    statsTimer = setInterval(() => { update().catch(() => {}); }, 1000);
    update().catch(() => {});
  }

  function stopStats() {
    if (statsTimer !== null) clearInterval(statsTimer);
    statsTimer = null;
  }

  function panelState() {
    return $('call-panel').dataset.state;
  }

  // The call panel: its state (idle, calling, ringing, incoming, in-call, ended) and buttons.
  function showCall(state, text) {
    $('call-panel').dataset.state = state;
    $('call-state').textContent = text;
    $('answer').hidden = state !== 'incoming';
    $('decline').hidden = state !== 'incoming';
    $('hangup').hidden = !['calling', 'ringing', 'in-call'].includes(state);
    $('mute').hidden = state !== 'in-call';
    $('call').disabled = Boolean(session);
  }

  // The caller's customer (and open job), for numbers that are not extensions.
  async function showCustomer(number) {
    const el = $('call-customer');
    const digits = cleanNumber(number).replace(/^\+/, '');
    if (!/^[0-9]{7,15}$/.test(digits)) {
      if (/^[0-9]{2,6}$/.test(digits)) el.textContent = `Extension ${digits}`;
      return;
    }
    const mine = session;
    try {
      const found = await api(`/api/customers/lookup?phone=${encodeURIComponent(cleanNumber(number))}`);
      if (session !== mine) return;
      if (!found || !found.customer) {
        el.textContent = 'Not a known customer';
        return;
      }
      let text = `Customer: ${found.customer.name}`;
      if (found.job) text += ` · open job #${found.job.id}: ${found.job.title}`;
      el.textContent = text;
    } catch (err) {
      if (session === mine) el.textContent = `Customer lookup failed: ${err.message}`;
    }
  }

  // A ring tone made in the page (two tones, 2 s on, 4 s off) while a call is incoming.
  function startRinging() {
    stopRinging();
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      const ctx = new Context();
      const gain = ctx.createGain();
      gain.gain.value = 0;
      gain.connect(ctx.destination);
      for (const hz of [440, 480]) {
        const osc = ctx.createOscillator();
        osc.frequency.value = hz;
        osc.connect(gain);
        osc.start();
      }
      let on = false;
      const toggle = () => {
        on = !on;
        gain.gain.value = on ? 0.08 : 0;
        ringer.timer = setTimeout(toggle, on ? 2000 : 4000);
      };
      ringer = { ctx, timer: null };
      toggle();
    } catch (err) {
      ringer = null;
    }
  }

  function stopRinging() {
    if (!ringer) return;
    clearTimeout(ringer.timer);
    ringer.ctx.close().catch(() => {});
    ringer = null;
  }

  // ---- customers -----------------------------------------------------------------
  async function loadCustomers(more) {
    $('customers-error').textContent = '';
    let path = '/api/customers?limit=100';
    if (more && customersNext) path += `&cursor=${encodeURIComponent(customersNext)}`;
    try {
      const page = await api(path);
      customers = more ? customers.concat(page.items || []) : page.items || [];
      customersNext = page.next || null;
    } catch (err) {
      if (err.status === 401) {
        signOut('Your token was refused; sign in again.');
        return;
      }
      $('customers-error').textContent = `Cannot load customers: ${err.message}`;
      return;
    }
    $('more-customers').hidden = !customersNext;
    drawCustomers();
  }

  function drawCustomers() {
    const filter = $('customer-filter').value.trim().toLowerCase();
    const digits = cleanNumber(filter);
    const rows = [];
    for (const c of customers) {
      const phones = c.phones || [];
      const match = !filter || String(c.name).toLowerCase().includes(filter)
        || (digits && phones.some((p) => cleanNumber(p).includes(digits)));
      if (!match) continue;
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = c.name;
      const numbers = document.createElement('td');
      for (const phone of phones) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'dial';
        button.dataset.number = phone;
        button.textContent = phone;
        button.title = `Call ${c.name} on ${phone}`;
        numbers.append(button);
      }
      const owner = document.createElement('td');
      owner.textContent = c.owner || '';
      tr.append(name, numbers, owner);
      rows.push(tr);
    }
    $('customer-rows').replaceChildren(...rows);
  }

  // ---- wiring --------------------------------------------------------------------
  function pressKey(key) {
    if (session && panelState() === 'in-call') {
      session.sendDTMF(key);
    } else {
      $('number').value += key;
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('token').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      signIn();
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    $('dial-form').addEventListener('submit', (e) => {
      e.preventDefault();
      dial($('number').value);
    });
    $('keypad').addEventListener('click', (e) => {
      const key = e.target.dataset && e.target.dataset.key;
      if (key) pressKey(key);
    });
    $('answer').addEventListener('click', () => {
      stopRinging();
      if (session) session.answer({ mediaConstraints: MEDIA, pcConfig: PC_CONFIG });
    });
    $('decline').addEventListener('click', () => {
      if (session) session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
    });
    $('hangup').addEventListener('click', () => {
      if (session) session.terminate();
    });
    $('mute').addEventListener('click', () => {
      if (!session) return;
      if (session.isMuted().audio) session.unmute({ audio: true });
      else session.mute({ audio: true });
    });
    $('customer-rows').addEventListener('click', (e) => {
      const number = e.target.dataset && e.target.dataset.number;
      if (number) dial(number);
    });
    $('customer-filter').addEventListener('input', drawCustomers);
    $('more-customers').addEventListener('click', () => loadCustomers(true));
    window.addEventListener('beforeunload', () => {
      if (ua) ua.stop();
    });
    showCall('idle', 'No call');
    if (sessionStorage.getItem(TOKEN_KEY)) signIn();
  });
})();
