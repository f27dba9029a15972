// A patient's live page: follows /t/{ticket}/events and replaces the words in place, as text
// only (never as HTML). EventSource reconnects by itself; a line says so meanwhile.
"use strict";

(() => {
  const main = document.getElementById("live");
  const line = document.getElementById("connection");
  if (!main || !window.EventSource) return;
  const url = `${location.pathname}/events?lang=${encodeURIComponent(main.dataset.lang)}`;
  const source = new EventSource(url);
  source.addEventListener("status", (event) => {
    const words = JSON.parse(event.data);
    if (!main.querySelector("[data-field]")) { location.reload(); return; } // was preparing
    for (const el of main.querySelectorAll("[data-field]")) {
      const value = words[el.dataset.field];
      if (value !== undefined && el.textContent !== value) el.textContent = value;
    }
    main.dataset.state = words.state;
  });
  source.addEventListener("open", () => { line.hidden = true; main.dataset.live = "1"; });
  source.addEventListener("error", () => { line.hidden = false; main.dataset.live = "0"; });
})();
