// One doctor's card: fills the template's elements from a board, as text only (never as
// HTML), so nothing in a board can become markup on the page.
"use strict";

(() => {
  const GAP_PATIENCE_MS = 5000; // events applied out of order leave gaps for milliseconds

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

  window.fillCard = fill;
})();
