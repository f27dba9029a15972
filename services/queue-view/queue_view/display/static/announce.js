// A call in the hall: the card lights up, a two-tone chime sounds, and with ?voice=1 the
// token and room are spoken (Web Speech API) in each of the display's languages in turn
// ("Token 42, room 12", then "टोकन 42, कमरा 12" with ?lang=en,hi). Needs no files and no
// network. Every announcement is also kept in window.announcements (text and language), so
// a test, or someone at the kiosk's console, can see what was said.
"use strict";

(() => {
  window.announcements = [];

  window.announceCall = function (el, number, room, params) {
    el.classList.remove("called");
    void el.offsetWidth; // restart the highlight animation
    el.classList.add("called");
    chime();
    if (params.get("voice") !== "1") return;
    const digits = Number(number.slice(number.lastIndexOf("-") + 1));
    for (const code of window.i18n.languages) {
      const values = { number: window.i18n.number(digits, code), room };
      const words = window.i18n.t(room ? "announce" : "announce_no_room", values, code);
      const lang = window.i18n.locale(code);
      window.announcements.push({ text: words, lang });
      if ("speechSynthesis" in window) {
        const utterance = new SpeechSynthesisUtterance(words);
        utterance.lang = lang;
        const voice = speechSynthesis.getVoices().find((v) => v.lang === lang);
        if (voice) utterance.voice = voice;
        speechSynthesis.speak(utterance); // queued: the languages follow one another
      }
    }
  };

  let audio = null; // one context for the page's life: browsers cap how many may exist

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume(); // kiosks usually allow autoplay
      [[880, 0], [660, 0.35]].forEach(([frequency, at]) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = frequency;
        gain.gain.setValueAtTime(0.25, audio.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.6);
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + at);
        tone.stop(audio.currentTime + at + 0.6);
      });
    } catch (error) { /* no audio on this screen: the highlight still shows */ }
  }
})();
