// One doctor's card: fills the template's elements from a board, as text only (never as
// HTML), so nothing in a board can become markup on the page.
"use strict";

(() => {
  const GAP_PATIENCE_MS = 5000; // events applied out of order leave gaps for milliseconds
  const t = (key, values) => window.i18n.t(key, values);  // the hall's language (i18n.js)
  const n = (value) => window.i18n.number(value);

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
    if (token.is_emergency) li.append(tag(t("emergency"), "emergency"));
    else if (token.status === "checked_in") li.append(tag(t("here"), "here"));
    const wait = document.createElement("span");
    wait.className = "wait";
    wait.textContent = token.estimated_wait_minutes > 0
      ? t("wait_about", { minutes: n(token.estimated_wait_minutes) }) : t("next");
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
      ? tokenElement(board.consulting.token_number, "token") : t("please_wait"));
    const list = q(".next-list");
    list.replaceChildren(...board.next.map(nextItem));
    if (!board.next.length) list.append(Object.assign(document.createElement("li"),
      { className: "none", textContent: t("no_one_waiting") }));
    q(".waiting").textContent = t("waiting_count", { count: n(board.waiting) });
    q(".pace").textContent = board.minutes_per_patient
      ? t("pace", { minutes: n(Math.round(board.minutes_per_patient)) }) : "";
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

  window.fillCard = fill;
})();
