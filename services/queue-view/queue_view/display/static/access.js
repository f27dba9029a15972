// The display's API key, where the deployment does not open reads. Given once in the URL
// fragment (`/display?doctors=1#key=...`: a fragment never reaches a server or its logs)
// and then removed from the address bar, or typed into the form when the stream refuses;
// kept in sessionStorage, so the page survives reloads and restarts of the service, and
// closing the tab forgets it.
"use strict";

(() => {
  const STORE = "opd.display.key";
  const $ = (id) => document.getElementById(id);

  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("key")) {
    sessionStorage.setItem(STORE, fragment.get("key"));
    fragment.delete("key");
    const rest = fragment.toString();
    history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  }

  window.displayKey = {
    headers() {
      const key = sessionStorage.getItem(STORE);
      return key ? { Authorization: "Bearer " + key } : {};
    },
    forget() { sessionStorage.removeItem(STORE); },
    // Show the form with `reason`; once a key is given, keep it and call `then`.
    ask(reason, then) {
      const form = $("key-form");
      $("key-reason").textContent = reason;
      form.hidden = false;
      $("key-input").focus();
      form.onsubmit = (event) => {
        event.preventDefault();
        const key = $("key-input").value.trim();
        if (!key) return;
        sessionStorage.setItem(STORE, key);
        $("key-input").value = "";
        form.hidden = true;
        then();
      };
    },
  };
})();
