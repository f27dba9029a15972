// Reading the reports: the key (if any) from sessionStorage, sent as a Bearer header.
"use strict";
const Api = (() => {
  const BASE = "/api/v1/analytics";
  const STORE = "opd-analytics-key";

  class Unauthorized extends Error {}

  function headers() {
    const key = sessionStorage.getItem(STORE);
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  async function get(path, query = {}) {
    const url = new URL(BASE + path, location.origin);
    for (const [name, value] of Object.entries(query)) {
      if (value !== "" && value !== null && value !== undefined) url.searchParams.set(name, value);
    }
    const answer = await fetch(url, { headers: headers() });
    if (answer.status === 401 || answer.status === 403) throw new Unauthorized(await detail(answer));
    if (!answer.ok) throw new Error(`${path}: ${await detail(answer)}`);
    return url.searchParams.get("format") === "csv" ? answer.blob() : answer.json();
  }

  // A list comes a page at a time: follow each page's Link rel="next" to the end.
  async function all(path) {
    const items = [];
    let url = new URL(BASE + path, location.origin);
    while (url) {
      const answer = await fetch(url, { headers: headers() });
      if (answer.status === 401 || answer.status === 403) throw new Unauthorized(await detail(answer));
      if (!answer.ok) throw new Error(`${path}: ${await detail(answer)}`);
      items.push(...(await answer.json()));
      const next = /<([^>]+)>;\s*rel="next"/.exec(answer.headers.get("Link") || "");
      url = next ? new URL(next[1], location.origin) : null;
    }
    return items;
  }

  async function detail(answer) {
    try { return (await answer.json()).detail || answer.statusText; }
    catch { return answer.statusText; }
  }

  // A plain link cannot carry the Authorization header: fetch, then save the blob.
  async function download(report, table, query) {
    const blob = await get(`/${report}`, { ...query, format: "csv", table });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${report}-${table}-${query.from || "today"}-${query.to || ""}.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  return {
    get, all, download, Unauthorized,
    setKey: (key) => sessionStorage.setItem(STORE, key),
    forgetKey: () => sessionStorage.removeItem(STORE),
  };
})();
