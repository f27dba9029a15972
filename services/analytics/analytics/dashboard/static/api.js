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
    get, download, Unauthorized,
    setKey: (key) => sessionStorage.setItem(STORE, key),
    forgetKey: () => sessionStorage.removeItem(STORE),
  };
})();
