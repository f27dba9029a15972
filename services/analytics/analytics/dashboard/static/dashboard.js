// The dashboard: filters in the address bar, five reports per refresh, KPIs, charts, CSV.
"use strict";
(() => {
  const form = document.getElementById("filters");
  const $ = (id) => document.getElementById(id);
  const fmt = (n, unit = "") => (n === null || n === undefined ? "–" : `${n}${unit}`);

  function query() {
    const values = Object.fromEntries(new FormData(form));
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
  }

  function fromAddress() {
    const params = new URLSearchParams(location.search);
    for (const name of ["from", "to", "doctor_id", "specialization", "source"]) {
      if (params.has(name)) form.elements[name].value = params.get(name);
    }
  }

  async function loadDoctors() {
    const doctors = await Api.all("/doctors");
    const asked = new URLSearchParams(location.search); // options did not exist at first
    const chosen = { d: form.elements.doctor_id.value || asked.get("doctor_id") || "",
      s: form.elements.specialization.value || asked.get("specialization") || "" };
    const specialties = [...new Set(doctors.map((d) => d.specialization))].sort();
    form.elements.specialization.length = 1; // keep "All"; a new key reloads the lists
    form.elements.doctor_id.length = 1;
    form.elements.specialization.append(...specialties.map((s) => new Option(s, s)));
    form.elements.doctor_id.append(...doctors.map((d) =>
      new Option(`${d.name} (${d.specialization})`, d.id)));
    form.elements.doctor_id.value = chosen.d;
    form.elements.specialization.value = chosen.s;
  }

  function kpi(label, value, note = "", tone = "") {
    return `<div class="kpi ${tone}"><div class="label">${label}</div>` +
      `<div class="value">${value}</div><div class="note">${note}</div></div>`;
  }

  function kpis(tokens, use, waits, moves) {
    const hall = waits.waits.find((w) => w.metric === "check_in_to_start" && w.source === "all");
    $("kpis").innerHTML = [
      kpi("Tokens issued", tokens.total, `${tokens.by_status.completed} seen`),
      kpi("No-show rate", fmt(tokens.no_show_rate, "%"), `${tokens.by_status.no_show} no-shows`,
        tokens.no_show_rate > 10 ? "alert" : ""),
      kpi("Cancellations", fmt(tokens.cancellation_rate, "%"),
        `${tokens.by_status.cancelled} cancelled`),
      kpi("Utilisation", fmt(use.utilisation, "%"), `${use.held} of ${use.capacity} places`,
        use.utilisation > 100 ? "alert" : use.utilisation >= 70 ? "good" : ""),
      kpi("Hall wait (median)", Charts.duration(hall.median_minutes),
        `check-in to doctor; p90 ${Charts.duration(hall.p90_minutes)}`),
      kpi("Emergencies", tokens.emergencies, `${tokens.overflows} over capacity`,
        tokens.overflows ? "alert" : ""),
      kpi("Patients moved", moves.moves, "delays, bumps, reallocations"),
    ].join("");
  }

  function waitTable(report) {
    const sources = ["all", "priority", "follow_up", "online", "walk_in"];
    const cell = (m, s) => {
      const w = report.waits.find((x) => x.metric === m && x.source === s);
      const [median, p90] = [w.median_minutes, w.p90_minutes].map(Charts.duration);
      return `<td title="${w.tokens} tokens">${median}<br><span class="muted">${p90}</span></td>`;
    };
    $("wait-table").innerHTML = `<tr><th>median<br>p90</th>${sources.map((s) =>
      `<th>${Charts.label(s)}</th>`).join("")}</tr>` + Object.entries(Charts.WAITS).map(
      ([m, name]) => `<tr><td>${name}</td>${sources.map((s) => cell(m, s)).join("")}</tr>`).join("");
  }

  async function refresh() {
    const q = query();
    history.replaceState(null, "", `?${new URLSearchParams(q)}`);
    const [tokens, use, waits, arrivals, moves] = await Promise.all(
      ["/tokens", "/utilisation", "/waits", "/arrivals", "/moves"].map((p) => Api.get(p, q)));
    form.elements.from.value = tokens.from;
    form.elements.to.value = tokens.to;
    $("period").textContent = tokens.from === tokens.to ? `Day ${tokens.from}`
      : `${tokens.from} to ${tokens.to}`;
    kpis(tokens, use, waits, moves);
    Charts.status(tokens); Charts.sources(tokens); Charts.arrivals(arrivals);
    Charts.waits(waits); Charts.doctors(use); Charts.moves(moves); Charts.days(use);
    waitTable(waits);
  }

  async function run(task) {
    $("error").hidden = true;
    document.body.dataset.state = "loading";
    try {
      await task();
      $("key-panel").hidden = true;
      document.body.dataset.state = "ready";
    } catch (error) {
      document.body.dataset.state = "error";
      if (error instanceof Api.Unauthorized) { $("key-panel").hidden = false; return; }
      $("error").textContent = `Could not load the figures: ${error.message}`;
      $("error").hidden = false;
    }
  }

  function days(n) {
    if (n === 1) { // the hospital's today, as the server knows it
      form.elements.from.value = form.elements.to.value = "";
      run(refresh);
      return;
    }
    const end = form.elements.to.value ? new Date(form.elements.to.value) : new Date();
    const start = new Date(end.getTime() - (n - 1) * 86400000);
    form.elements.from.value = start.toISOString().slice(0, 10);
    form.elements.to.value = end.toISOString().slice(0, 10);
    run(refresh);
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); run(refresh); });
  form.elements.doctor_id.addEventListener("change", () => run(refresh));
  form.elements.specialization.addEventListener("change", () => run(refresh));
  form.elements.source.addEventListener("change", () => run(refresh));
  document.querySelectorAll("[data-days]").forEach((b) =>
    b.addEventListener("click", () => days(Number(b.dataset.days))));
  document.querySelectorAll("[data-csv]").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    run(() => Api.download(a.dataset.csv, a.dataset.table, query()));
  }));
  $("key-button").addEventListener("click", () => { $("key-panel").hidden = false; });
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    Api.setKey(e.target.elements.key.value.trim());
    e.target.reset();
    run(async () => { await loadDoctors(); await refresh(); });
  });
  $("key-forget").addEventListener("click", () => { Api.forgetKey(); location.reload(); });

  fromAddress();
  run(async () => { await loadDoctors(); await refresh(); });
})();
