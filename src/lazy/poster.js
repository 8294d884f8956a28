// The poster of a video the visitor sends from the Confab panel, loaded the first time a video is picked
// (see src/media/lazy.rs): a JPEG of an early frame, at most 640 px on its longer side, which the server
// keeps as the video's thumbnail (it cannot decode video itself). The picture is made in the browser from
// the visitor's own file; nothing is fetched.
//
// confabLazy.poster(file) resolves a JPEG Blob, or null when the browser cannot play the video (within 5 s).

const LONGEST = 640;

function poster(file) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const video = document.createElement("video");
    let done = false;
    function finish(blob) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      video.removeAttribute("src");
      video.load();
      URL.revokeObjectURL(url);
      resolve(blob);
    }
    const timer = setTimeout(() => finish(null), 5000);
    video.muted = true;
    video.preload = "auto";
    video.addEventListener("error", () => finish(null));
    video.addEventListener("loadedmetadata", () => {
      // An early frame, past a black first one where the video is long enough.
      video.currentTime = Math.min(0.5, (video.duration || 0) / 2) || 0;
    });
    video.addEventListener("seeked", () => {
      const scale = Math.min(1, LONGEST / Math.max(video.videoWidth, video.videoHeight, 1));
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
      canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
      if (!video.videoWidth) return finish(null);
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      canvas.toBlob((blob) => finish(blob), "image/jpeg", 0.8);
    });
    video.src = url;
  });
}

(globalThis.confabLazy ??= {}).poster = poster;
