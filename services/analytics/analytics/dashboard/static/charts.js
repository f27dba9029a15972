// The dashboard's charts (Chart.js), built once and updated with each report.
"use strict";
const Charts = (() => {
  const STATUS = { allocated: "#94a3b8", checked_in: "#38bdf8", consulting: "#a78bfa",
    completed: "#16a34a", cancelled: "#f59e0b", no_show: "#dc2626" };
  const SOURCE = { priority: "#dc2626", follow_up: "#7c3aed", online: "#2563eb",
    walk_in: "#0d9488" };
  const WAITS = { booked_to_check_in: "Booked → check-in", check_in_to_start: "Check-in → seen",
    booked_to_start: "Booked → seen", consultation: "Consultation" };
  const KINDS = { doctor_delay: "Doctor delay", emergency_bump: "Emergency bump",
    fairness: "Fairness", reallocation: "Reallocation", transfer: "Transfer" };
  const label = (word) => word.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const made = {};
  window.opdCharts = made; // for the browser test: every chart and its data

  function draw(id, type, data, options = {}) {
    describe(document.getElementById(id), data);
    if (made[id]) { made[id].data = data; made[id].options = options; made[id].update(); return; }
    made[id] = new Chart(document.getElementById(id), { type, data, options: {
      maintainAspectRatio: false, animation: false, ...options,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } }, ...options.plugins },
    } });
  }

  // A chart's text alternative (WCAG 1.1.1): the card's title as its name, and its figures
  // as words inside the canvas, which screen readers read and sighted users never see.
  // Each CSV link offers the same figures as a table.
  function describe(canvas, data) {
    const title = canvas.closest(".card").querySelector("h2").textContent;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title);
    const figures = data.datasets.map((set) => {
      const values = (data.labels || []).map((name, i) => `${name} ${format(set.data[i])}`);
      return `${set.label || title}: ${values.join(", ") || "none"}`;
    });
    canvas.textContent = `${title}. ${figures.join(". ") || "No data"}.`;
  }

  const format = (value) => (typeof value === "number" ? Math.round(value * 10) / 10
    : value && typeof value === "object" ? JSON.stringify(value) : String(value ?? "–"));

  const stacked = { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    datasets: { bar: { maxBarThickness: 90 } } };

  function status(tokens) {
    const days = [...new Set(tokens.days.map((d) => d.date))];
    const sum = (day, s) => tokens.days.filter((d) => d.date === day).reduce((n, d) => n + d[s], 0);
    draw("chart-status", "bar", { labels: days, datasets: Object.entries(STATUS).map(
      ([s, color]) => ({ label: label(s), data: days.map((day) => sum(day, s)),
        backgroundColor: color })) }, stacked);
  }

  function sources(tokens) {
    const names = Object.keys(SOURCE);
    draw("chart-source", "doughnut", { labels: names.map(label), datasets: [{
      data: names.map((s) => tokens.by_source[s]), backgroundColor: Object.values(SOURCE) }] });
  }

  function arrivals(report) {
    const hours = report.hours.filter((h) => h.hour >= 6 && h.hour <= 22 || h.total);
    draw("chart-arrivals", "bar", { labels: hours.map((h) => `${String(h.hour).padStart(2, "0")}:00`),
      datasets: Object.entries(SOURCE).map(([s, color]) => ({ label: label(s),
        data: hours.map((h) => h[s]), backgroundColor: color })) }, stacked);
  }

  // In-hospital waits per source; booking lead times (days, for online) go in the table.
  function waits(report) {
    const sources = ["all", "priority", "follow_up", "online", "walk_in"];
    const pick = (metric, field) => sources.map((s) => report.waits.find(
      (w) => w.metric === metric && w.source === s)[field]);
    draw("chart-waits", "bar", { labels: sources.map(label), datasets: [
      { label: "Hall wait, median", data: pick("check_in_to_start", "median_minutes"),
        backgroundColor: "#0f766e" },
      { label: "Hall wait, p90", data: pick("check_in_to_start", "p90_minutes"),
        backgroundColor: "#5eead4" },
      { label: "Consultation, median", data: pick("consultation", "median_minutes"),
        backgroundColor: "#a78bfa" },
    ] }, { scales: { y: { beginAtZero: true, title: { display: true, text: "minutes" } } } });
  }

  function doctors(report) {
    const rows = [...report.doctors].sort((a, b) => b.utilisation - a.utilisation).slice(0, 20);
    draw("chart-doctors", "bar", { labels: rows.map((d) => d.doctor_name || `#${d.doctor_id}`),
      datasets: [{ label: "Utilisation %", data: rows.map((d) => d.utilisation),
        backgroundColor: rows.map((d) => d.utilisation > 100 ? "#dc2626"
          : d.utilisation >= 85 ? "#f59e0b" : "#0f766e") }] },
    { indexAxis: "y", plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, suggestedMax: 100 } } });
  }

  function moves(report) {
    draw("chart-moves", "bar", { labels: report.kinds.map((k) => KINDS[k.kind] || label(k.kind)),
      datasets: [{ label: "Moves", data: report.kinds.map((k) => k.moves),
        backgroundColor: "#7c3aed" }] }, { plugins: { legend: { display: false }, tooltip: {
        callbacks: { afterLabel: (c) => `mean ${report.kinds[c.dataIndex].mean_minutes ?? "–"} min` } } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
  }

  function days(report) {
    draw("chart-days", "bar", { labels: report.days.map((d) => d.date), datasets: [{
      label: "Utilisation %", data: report.days.map((d) => d.utilisation),
      backgroundColor: "#14b8a6", maxBarThickness: 60 }] },
    { plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, suggestedMax: 100 } } });
  }

  // Waits run from minutes (in the hall) to days (booked ahead): say each in its own unit.
  function duration(minutes) {
    if (minutes === null || minutes === undefined) return "–";
    if (minutes < 180) return `${Math.round(minutes * 10) / 10} min`;
    if (minutes < 2880) return `${Math.round(minutes / 6) / 10} h`;
    return `${Math.round(minutes / 144) / 10} d`;
  }

  return { status, sources, arrivals, waits, doctors, moves, days, label, duration, WAITS };
})();
