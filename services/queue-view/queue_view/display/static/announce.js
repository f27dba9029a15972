// A call in the hall: the card lights up, a two-tone chime sounds, and with ?voice=1 the
// token and room are spoken (Web Speech API). Needs no files and no network.
"use strict";

(() => {
  window.announceCall = function (el, number, room, params) {
    el.classList.remove("called");
    void el.offsetWidth; // restart the highlight animation
    el.classList.add("called");
    chime();
    if (params.get("voice") === "1" && "speechSynthesis" in window) {
      const digits = String(Number(number.slice(number.lastIndexOf("-") + 1)));
      const words = `Token number ${digits}` + (room ? `, please go to room ${room}` : "");
      const utterance = new SpeechSynthesisUtterance(words);
      utterance.lang = params.get("lang") || "en-IN";
      speechSynthesis.speak(utterance);
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
