// Waiting-hall display: renders the boards the stream sends, announces calls, and keeps
// itself connected. Data goes into the page as text only (never as HTML).
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const $ = (id) => document.getElementById(id);
  const cards = new Map(); // doctor id -> {el, consulting}
  let source = null;
  let watchdog = null;
  let backoff = 1000;
  let pingSeconds = 15;
  let timeZone;
  const GAP_PATIENCE_MS = 5000; // events applied out of order leave gaps for milliseconds

  function setStatus(state, text) {
    $("status").className = "status " + state;
    $("status").textContent = text;
    document.body.classList.toggle("offline", state !== "live");
  }

  // ---- the connection --------------------------------------------------------------
  // EventSource reconnects by itself (sending Last-Event-ID) after a dropped stream;
  // when it gives up (an error answer, e.g. a 503 during a restart) or the stream goes
  // silent past a few pings, start a new one with growing pauses.
  function connect() {
    source = new EventSource("/api/v1/display/stream" + location.search);
    source.addEventListener("open", () => { backoff = 1000; alive(); });
    source.addEventListener("ping", alive);
    source.addEventListener("boards", (event) => { alive(); render(JSON.parse(event.data)); });
    source.addEventListener("error", () => {
      setStatus("reconnecting", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) restart();
    });
  }

  function restart() {
    clearTimeout(watchdog);
    source.close();
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function alive() {
    setStatus("live", "Live");
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      setStatus("reconnecting", "Reconnecting…");
      restart();
    }, pingSeconds * 2500);
  }

  // ---- rendering -------------------------------------------------------------------
  function tokenParts(number) {
    const cut = number.lastIndexOf("-") + 1;
    return [number.slice(0, cut), number.slice(cut)];
  }

  function tokenElement(number, className) {
    const [prefix, digits] = tokenParts(number);
    const wrap = document.createElement("span");
    wrap.className = className;
    const small = document.createElement("span");
    small.className = "prefix";
    small.textContent = prefix;
    const big = document.createElement(className === "tok" ? "b" : "span");
    big.className = "num";
    big.textContent = digits;
    wrap.append(small, big);
    return wrap;
  }

  function nextItem(token) {
    const li = document.createElement("li");
    li.append(tokenElement(token.token_number, "tok"));
    if (token.is_emergency) li.append(tag("Emergency", "emergency"));
    else if (token.status === "checked_in") li.append(tag("Here", "here"));
    const wait = document.createElement("span");
    wait.className = "wait";
    wait.textContent = token.estimated_wait_minutes > 0
      ? `~${token.estimated_wait_minutes} min` : "Next";
    li.append(wait);
    return li;
  }

  function tag(text, kind) {
    const span = document.createElement("span");
    span.className = "tag " + kind;
    span.textContent = text;
    return span;
  }

  function fill(el, board) {
    const q = (selector) => el.querySelector(selector);
    q(".room-no").textContent = board.room || "–";
    q(".doctor").textContent = board.doctor_name;
    q(".spec").textContent = board.specialization;
    showGap(el, !board.in_sync);
    const now = q(".now-token");
    now.className = "now-token" + (board.consulting ? "" : " idle");
    now.replaceChildren(board.consulting
      ? tokenElement(board.consulting.token_number, "token") : "Please wait to be called");
    const list = q(".next-list");
    list.replaceChildren(...board.next.map(nextItem));
    if (!board.next.length) list.append(Object.assign(document.createElement("li"),
      { className: "none", textContent: "No one waiting" }));
    q(".waiting").textContent = `${board.waiting} waiting`;
    q(".pace").textContent = board.minutes_per_patient
      ? `about ${Math.round(board.minutes_per_patient)} min per patient` : "";
  }

  // "Updating…" only for a gap that lasts: a missing event being re-sent, not one
  // merely overtaken by the next.
  function showGap(el, gap) {
    const badge = el.querySelector(".sync");
    if (!gap) {
      clearTimeout(el.gapTimer);
      el.gapTimer = null;
      badge.hidden = true;
    } else if (!el.gapTimer && badge.hidden) {
      el.gapTimer = setTimeout(() => { badge.hidden = false; el.gapTimer = null; },
        GAP_PATIENCE_MS);
    }
  }

  function render(message) {
    pingSeconds = message.ping_seconds || pingSeconds;
    timeZone = message.timezone || timeZone;
    tick();
    $("date").textContent = new Date(message.date + "T00:00:00").toLocaleDateString(
      undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
    for (const board of message.boards) {
      let card = cards.get(board.doctor_id);
      if (!card) {
        const el = $("card").content.firstElementChild.cloneNode(true);
        $("boards").append(el);
        card = { el, consulting: undefined };
        cards.set(board.doctor_id, card);
      }
      fill(card.el, board);
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
      undefined, { hour: "2-digit", minute: "2-digit", timeZone });
  }

  const scope = params.get("specialization");
  if (scope) $("scope").textContent = scope;
  tick();
  setInterval(tick, 1000);
  connect();
})();
