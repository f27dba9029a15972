// Server-Sent Events over fetch(), not EventSource. EventSource cannot send an
// Authorization header, and the other way round it (the key in the URL) would leave the
// key in access and proxy logs. fetch() sends the header and also shows the answer's
// status, so the page can tell a refused key (ask for one) from a dropped stream (retry).
// Parsing follows the WHATWG event-stream rules: fields up to a blank line make an event;
// `id` is remembered for Last-Event-ID even on events without one.
"use strict";

(() => {
  function parser(onEvent) {
    let data = [], type = "", id = null;
    return function line(text) {
      if (text === "") {  // a blank line ends the event
        if (data.length) onEvent({ type: type || "message", data: data.join("\n"), id });
        data = [];
        type = "";
        return;
      }
      if (text.startsWith(":")) return;  // a comment
      const cut = text.indexOf(":");
      const field = cut < 0 ? text : text.slice(0, cut);
      const value = cut < 0 ? "" : text.slice(cut + 1).replace(/^ /, "");
      if (field === "data") data.push(value);
      else if (field === "event") type = value;
      else if (field === "id" && !value.includes("\0")) id = value;
    };
  }

  // Resolves with 0 when the stream ends, or with the status of an answer that is not
  // a stream (the caller decides); rejects on a network error or an abort.
  window.openEventStream = async function (url, { headers, lastEventId, signal, onOpen,
                                                  onEvent }) {
    const sent = { Accept: "text/event-stream", ...headers };
    if (lastEventId) sent["Last-Event-ID"] = lastEventId;
    const response = await fetch(url, { headers: sent, signal, cache: "no-store" });
    if (!response.ok || !response.body) return response.status;
    onOpen();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const line = parser(onEvent);
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 0;
      buffer += value;
      // A "\r" at the end may be the first half of "\r\n": keep it for the next chunk.
      const end = buffer.endsWith("\r") ? buffer.length - 1 : buffer.length;
      const lines = buffer.slice(0, end).split(/\r\n|\r|\n/);
      buffer = lines.pop() + buffer.slice(end);
      lines.forEach(line);
    }
  };
})();
