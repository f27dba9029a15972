// Waiting-hall display: renders the boards the stream sends, announces calls, and keeps
// itself connected. Data goes into the page as text only (never as HTML).
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const $ = (id) => document.getElementById(id);
  const t = (key, values) => window.i18n.t(key, values);  // the hall's language (i18n.js)
  const cards = new Map(); // doctor id -> {el, consulting}
  let controller = null;
  let lastEventId = null;
  let watchdog = null;
  let backoff = 1000;
  let pingSeconds = 15;
  let timeZone;

  function setStatus(state, text) {
    $("status").className = "status " + state;
    $("status").textContent = text;
    document.body.classList.toggle("offline", state !== "live");
  }

  // ---- the connection --------------------------------------------------------------
  // One stream at a time (sse.js). When it ends, fails or goes silent past a few pings,
  // start a new one with growing pauses, resuming from the last board shown. A refused
  // key (401, 403) stops the retries until someone gives a key.
  async function connect() {
    controller = new AbortController();
    let status = 0;
    try {
      status = await window.openEventStream("/api/v1/display/stream" + location.search, {
        headers: window.displayKey.headers(), lastEventId, signal: controller.signal,
        onOpen: () => { backoff = 1000; alive(); },
        onEvent: received,
      });
    } catch (error) { /* network error, or the watchdog's abort: reconnect */ }
    clearTimeout(watchdog);
    if (status === 401 || status === 403) refused(status);
    else reconnect();
  }

  function received(event) {
    if (event.id !== null) lastEventId = event.id;
    alive();
    if (event.type === "boards") render(JSON.parse(event.data));
  }

  function reconnect() {
    setStatus("reconnecting", t("reconnecting"));
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function refused(status) {
    if (status === 401) window.displayKey.forget();
    setStatus("locked", t(status === 401 ? "key_needed" : "key_refused"));
    window.displayKey.ask(t(status === 401 ? "ask_key" : "ask_other_key"), connect);
  }

  function alive() {
    setStatus("live", t("live"));
    clearTimeout(watchdog);
    watchdog = setTimeout(() => controller.abort(), pingSeconds * 2500);
  }

  // ---- rendering -------------------------------------------------------------------
  function render(message) {
    pingSeconds = message.ping_seconds || pingSeconds;
    timeZone = message.timezone || timeZone;
    tick();
    $("date").textContent = new Date(message.date + "T00:00:00").toLocaleDateString(
      window.i18n.locale(), { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    for (const board of message.boards) {
      let card = cards.get(board.doctor_id);
      if (!card) {
        const el = $("card").content.firstElementChild.cloneNode(true);
        $("boards").append(el);
        card = { el, consulting: undefined };
        cards.set(board.doctor_id, card);
      }
      window.fillCard(card.el, board);
      const called = board.consulting ? board.consulting.token_number : null;
      if (card.consulting !== undefined && called && called !== card.consulting) {
        window.announceCall(card.el, called, board.room, params);
      }
      card.consulting = called;
    }
    $("empty").hidden = cards.size > 0;
  }

  function tick() {
    $("clock").textContent = new Date().toLocaleTimeString(  // the hospital's time
      window.i18n.locale(), { hour: "2-digit", minute: "2-digit", timeZone });
  }

  window.i18n.ready.then(() => {
    const scope = params.get("specialization");
    if (scope) $("scope").textContent = scope;
    tick();
    setInterval(tick, 1000);
    connect();
  });
})();
