// The voice-note recorder of the Confab panel, loaded the first time a visitor presses the microphone
// button (see src/media/lazy.rs). It asks for the microphone only then (audio only), records with
// MediaRecorder, and shows in `slot` that it records, the elapsed time, Send and Cancel (Escape cancels).
//
// confabLazy.recorder(slot, { recording, stop, cancel }) resolves the recording as a File
// ("voice-note.webm", or .ogg / .m4a, whichever the browser records), or null when cancelled; it rejects
// with the browser's error (NotAllowedError: the microphone was refused; NotSupportedError: no recording).

/** The first recording format this browser supports (the default when it names none). */
function format() {
  const types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];
  return types.find((type) => MediaRecorder.isTypeSupported(type)) || "";
}

/** `seconds` as m:ss. */
function clock(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** A button with `text`. */
function button(className, text) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = text;
  return node;
}

async function record(slot, labels) {
  if (!window.MediaRecorder || !navigator.mediaDevices?.getUserMedia) {
    throw new DOMException("recording is not supported", "NotSupportedError");
  }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  const type = format();
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
  const chunks = [];
  recorder.addEventListener("dataavailable", (event) => event.data.size && chunks.push(event.data));

  const status = document.createElement("span");
  status.className = "recorder-status";
  const dot = document.createElement("span");
  dot.className = "recorder-dot";
  dot.setAttribute("aria-hidden", "true");
  const label = document.createElement("span");
  label.textContent = labels.recording;
  const time = document.createElement("time");
  time.className = "recorder-time";
  // A timer: shown, not read out every second.
  time.setAttribute("role", "timer");
  time.textContent = clock(0);
  status.append(dot, label, " ", time);
  const stop = button("recorder-stop", labels.stop);
  const cancel = button("link-button recorder-cancel", labels.cancel);
  slot.replaceChildren(status, stop, cancel);
  slot.hidden = false;

  const started = Date.now();
  const ticking = setInterval(() => (time.textContent = clock(Math.floor((Date.now() - started) / 1000))), 250);
  recorder.start();
  stop.focus();

  return new Promise((resolve) => {
    let finished = false;
    function finish(keep) {
      if (finished) return;
      finished = true;
      clearInterval(ticking);
      recorder.addEventListener("stop", () => {
        stream.getTracks().forEach((track) => track.stop());
        slot.replaceChildren();
        slot.hidden = true;
        if (!keep || !chunks.length) return resolve(null);
        const mime = (recorder.mimeType || type || "audio/webm").split(";")[0];
        const extension = mime.includes("ogg") ? "ogg" : mime.includes("mp4") ? "m4a" : "webm";
        resolve(new File(chunks, `voice-note.${extension}`, { type: mime }));
      });
      recorder.stop();
    }
    stop.addEventListener("click", () => finish(true));
    cancel.addEventListener("click", () => finish(false));
    slot.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || finished) return;
      event.preventDefault();
      event.stopPropagation();
      finish(false);
    });
  });
}

(globalThis.confabLazy ??= {}).recorder = record;
