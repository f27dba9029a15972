// The display's words and formats in the hall's language(s). `?lang=hi` or `?lang=hi,en`
// (the first is shown, announcements are spoken in each in turn), else the deployment's
// OPD_DISPLAY_LANGUAGES (the page's data-languages). The catalogs are the same JSON files
// the patient's page is rendered from (/i18n/{lang}.json); numbers, dates and times are
// formatted by the browser's Intl for the catalog's locale.
"use strict";

(() => {
  const params = new URLSearchParams(location.search);
  const configured = document.documentElement.dataset.languages || "en";
  const asked = (params.get("lang") || configured).split(",").map((s) => s.trim().toLowerCase())
    .filter((s) => /^[a-z]{2}$/.test(s));
  const catalogs = {};

  async function load(code) {
    const answer = await fetch(`/i18n/${code}.json`, { cache: "no-cache" });
    if (!answer.ok) throw new Error(`no catalog ${code}`);
    catalogs[code] = await answer.json();
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? values[name] : `{${name}}`));
  }

  const i18n = {
    languages: [],
    get lang() { return this.languages[0] || "en"; },
    locale(code = this.lang) { return (catalogs[code] || catalogs.en)._speech; },
    // A message of the shown language (or of `code`), with {placeholders} filled in.
    t(key, values = {}, code = this.lang) {
      const text = (catalogs[code] && catalogs[code][key]) || (catalogs.en && catalogs.en[key]) || key;
      return fill(text, values);
    },
    number(value, code = this.lang) { return new Intl.NumberFormat(this.locale(code)).format(value); },
  };

  i18n.ready = (async () => {
    await load("en").catch(() => {});
    for (const code of asked) {
      if (code !== "en") await load(code).catch(() => {});
      if (catalogs[code] && !i18n.languages.includes(code)) i18n.languages.push(code);
    }
    if (!i18n.languages.length) i18n.languages.push("en");
    document.documentElement.lang = i18n.lang;
    document.title = i18n.t("page_title");
    const roots = [document, ...[...document.querySelectorAll("template")].map((t) => t.content)];
    for (const root of roots) {
      for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = i18n.t(el.dataset.i18n);
    }
  })();

  window.i18n = i18n;
})();
