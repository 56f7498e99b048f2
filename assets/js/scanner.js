// Tag fields on the lend, kit and check-in pages: read a QR label with the camera, and let a barcode scanner
// (which types the tag and presses Enter) move on instead of sending a half-filled form.
//
// Loaded as a file (no inline script: the pages will have a CSP with nonces). Progressive enhancement: without
// a camera, permission or JavaScript, people type or use a scanner, as before.
// Decoding: the browser's own BarcodeDetector where it has one, else jsQR (node_modules/jsqr, copied beside
// this file by assets/build.mjs and loaded before it as a classic script defining window.jsQR).

const SCAN_EVERY_MS = 200;

function tagFrom(text) {
  // Our labels encode the tag itself; a label that encodes a link to a device page gives its last part.
  const trimmed = (text || "").trim();
  const match = trimmed.match(/\/devices\/stock\/([^/]+)\/?$/);
  return match ? decodeURIComponent(match[1]) : trimmed;
}

async function detector() {
  // Some browsers have BarcodeDetector without a QR reader behind it (desktop Linux): ask, and fall back.
  const formats = await window.BarcodeDetector?.getSupportedFormats?.().catch(() => []);
  if (formats?.includes("qr_code")) {
    const native = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async (canvas) => (await native.detect(canvas))[0]?.rawValue;
  }
  if (typeof window.jsQR === "function") {
    return async (canvas) => {
      const context = canvas.getContext("2d", { willReadFrequently: true });
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      return window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" })?.data;
    };
  }
  return null;
}

async function enhance(field) {
  const decode = await detector();
  if (!decode || !navigator.mediaDevices?.getUserMedia) return;
  const many = field.tagName === "TEXTAREA";

  const start = document.createElement("button");
  start.type = "button";
  start.className = "govuk-button govuk-button--secondary app-scanner__start";
  start.textContent = "Scan a QR label with the camera";
  const panel = document.createElement("div");
  panel.className = "app-scanner";
  panel.hidden = true;
  const video = document.createElement("video");
  video.className = "app-scanner__video";
  video.setAttribute("playsinline", "");
  video.setAttribute("aria-label", "Camera view");
  video.muted = true;
  const stop = document.createElement("button");
  stop.type = "button";
  stop.className = "govuk-button govuk-button--secondary";
  stop.textContent = "Stop the camera";
  const status = document.createElement("p");
  status.className = "govuk-body app-scanner__status";
  status.setAttribute("role", "status");
  panel.append(video, stop);
  field.closest(".govuk-form-group")?.after(start, panel, status) ?? field.after(start, panel, status);

  const canvas = document.createElement("canvas");
  let stream = null;
  let timer = null;
  let last = "";

  function finish(message) {
    clearTimeout(timer);
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    panel.hidden = true;
    start.hidden = false;
    if (message) status.textContent = message;
  }

  function take(tag) {
    if (!tag || tag === last) return false;
    last = tag;
    if (many) {
      const lines = field.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
      if (!lines.includes(tag)) field.value = [...lines, tag].join("\n") + "\n";
      status.textContent = `Scanned ${tag}. Scan the next label, or stop the camera.`;
    } else {
      field.value = tag;
      finish(`Scanned ${tag}.`);
      field.focus();
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
    return true;
  }

  async function tick() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d", { willReadFrequently: true }).drawImage(video, 0, 0);
      try {
        take(tagFrom(await decode(canvas)));
      } catch {
        // A frame that cannot be read: try the next one.
      }
    }
    if (stream) timer = setTimeout(tick, SCAN_EVERY_MS);
  }

  start.addEventListener("click", async () => {
    last = "";
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      status.textContent = "The camera could not be used. Type the tag, or use a barcode scanner.";
      return;
    }
    video.srcObject = stream;
    panel.hidden = false;
    start.hidden = true;
    status.textContent = "Point the camera at the QR code on the label.";
    await video.play().catch(() => {});
    tick();
  });
  stop.addEventListener("click", () => finish("Camera stopped."));
}

// A barcode scanner types the tag and presses Enter. Until the rest of the form is filled in, Enter in the tag
// moves on to the next question instead of sending a half-filled form (data-scan-next names it).
function scanNext(tag) {
  tag.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !tag.value.trim()) return;
    const form = tag.form;
    const next = tag.dataset.scanNext;
    const chosen = form.querySelector(`input[name="${next}"]:checked`);
    const accepted = form.querySelector("#id_agreement_accepted");
    if (chosen && (!accepted || accepted.checked)) return;
    event.preventDefault();
    (chosen || form.querySelector(`input[name="${next}"]`))?.focus();
  });
}

document.querySelectorAll("[data-scanner]").forEach(enhance);
document.querySelectorAll("[data-scan-next]").forEach(scanNext);
