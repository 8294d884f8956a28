// The tone of a message from someone else that comes while the Confab panel is closed or the page hidden,
// loaded the first time one comes (see report_to_host in src/app.rs): two soft sine notes made with the Web Audio API, no
// audio file. Browsers allow sound only once the visitor has interacted with the page, so nothing plays
// before they have pressed or typed in the panel; where audio is missing or refused, nothing plays, and
// nothing is thrown.
//
// confabLazy.chime() plays it, at most once in two seconds (messages that come together chime once); the
// script plays it once as it loads, for the message that loaded it.

let audio = null;
let last = 0;

function chime() {
  try {
    if (!navigator.userActivation?.hasBeenActive || Date.now() - last < 2000) return;
    last = Date.now();
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const at = audio.currentTime;
    // A fifth apart, each fading in and out over a quarter of a second.
    for (const [pitch, delay] of [[660, 0], [990, 0.12]]) {
      const start = at + delay;
      const note = audio.createOscillator();
      const volume = audio.createGain();
      note.frequency.value = pitch;
      volume.gain.setValueAtTime(0.0001, start);
      volume.gain.exponentialRampToValueAtTime(0.06, start + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
      note.connect(volume).connect(audio.destination);
      note.start(start);
      note.stop(start + 0.26);
    }
  } catch {
    // No audio here.
  }
}

(globalThis.confabLazy ??= {}).chime = chime;
chime();
