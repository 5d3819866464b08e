// Progressive enhancement only: every page works without this file.
document.documentElement.classList.remove("no-js");

// htmx (16 KB compressed, and its start-up) comes after the first paint: requested before
// it, it would hold up the largest contentful paint on a slow phone. Its address is the
// data-htmx of this script's element (no inline script: the CSP forbids them). It is
// inserted once the page has loaded and painted, when htmx starts at once (readyState
// "complete"); until then every form and link does a full round trip, as without
// JavaScript. Once htmx has processed the page, <html> gets data-enhanced.
var htmxSource = document.currentScript && document.currentScript.getAttribute("data-htmx");
function markEnhanced() {
  document.removeEventListener("htmx:load", markEnhanced);
  document.documentElement.setAttribute("data-enhanced", "");
}
function loadHtmx() {
  if (!htmxSource || window.htmx) return;
  document.addEventListener("htmx:load", markEnhanced);
  var script = document.createElement("script");
  script.src = htmxSource;
  document.head.appendChild(script);
}
// "load" can come before the first paint on a fast connection: wait, too, until the first
// contentful paint is on the screen (Paint Timing reports it then), else for a frame.
function afterPaint() {
  var types = window.PerformanceObserver && PerformanceObserver.supportedEntryTypes || [];
  if (types.indexOf("paint") < 0) {
    requestAnimationFrame(function () { setTimeout(loadHtmx, 0); });
    return;
  }
  var observer = new PerformanceObserver(function (list) {
    if (!list.getEntriesByName("first-contentful-paint").length) return;
    observer.disconnect();
    setTimeout(loadHtmx, 0);
  });
  observer.observe({ type: "paint", buffered: true });
}
if (document.readyState === "complete") afterPaint();
else window.addEventListener("load", afterPaint);

// Where focus goes back to when a focused toast goes: what had it before the request
// (or, when the swap replaced that, the same id in the new content), else <main>.
var returnFocus = null;
document.body.addEventListener("htmx:beforeRequest", function () {
  var active = document.activeElement;
  if (active && active !== document.body && !active.closest(".toast")) returnFocus = active;
});
function focusBack() {
  var next = document.querySelector("#toasts .toast__ok");
  var back = returnFocus && (returnFocus.isConnected ? returnFocus : returnFocus.id && document.getElementById(returnFocus.id));
  (next || back || document.getElementById("main")).focus({ preventScroll: true });
}

// Dismiss a toast with its OK button (no inline handlers: the CSP forbids them).
function dismiss(toast) {
  var hadFocus = toast.contains(document.activeElement);
  toast.remove();
  if (hadFocus) focusBack();
}
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-dismiss]");
  if (button) {
    var toast = button.closest(".toast");
    if (toast) dismiss(toast);
  }
});

// After a swap, focus goes where the answer is: the first field in error, else the error
// at the top of the form (form_notices), else a toast that just arrived. Decided once the
// main and out-of-band swaps of the response are all done.
var usingKeyboard = false;  // a tap must not pop the on-screen keyboard up by itself
document.addEventListener("keydown", function () { usingKeyboard = true; }, true);
document.addEventListener("pointerdown", function () { usingKeyboard = false; }, true);
var arrivedToast = false;
var swapped = null;
var pending = false;
function settleFocus() {
  pending = false;
  // An outerHTML swap leaves the old target detached: look its id up in the new content.
  var region = swapped && (swapped.isConnected ? swapped : swapped.id && document.getElementById(swapped.id)) || null;
  var target = region && firstError(region);
  var toast = arrivedToast && document.querySelector("#toasts .toast__ok");
  swapped = null;
  arrivedToast = false;
  if (target) reveal(target);
  else if (toast) toast.focus({ preventScroll: true });
  else if (usingKeyboard && document.activeElement === document.body && region) {
    // The swap took the focused element away (e.g. a segment link): carry on in the new
    // content, at its first field to fill in, else at the first thing to press.
    var next = region.querySelector("input:not([type=hidden]), select, textarea") ||
      region.querySelector("a[href], button");
    if (next) next.focus();
  }
}
function afterSwap(event) {
  var target = event.detail.target;
  var xhr = event.detail.xhr;
  if (target && target.id === "toasts") arrivedToast = !!target.querySelector(".toast");
  else if (!(xhr && xhr.getResponseHeader("HX-Reswap") === "none")) swapped = target;
  if (!pending) { pending = true; setTimeout(settleFocus, 0); }
}
function firstError(root) {
  return root.querySelector('.form-notice, form .form-error, form [aria-invalid="true"]');
}
// Focus an error and show it from its top (a field with its label), clear of the top bar
// (scroll-padding in app.css), even when it is taller than the screen.
function reveal(error) {
  if (!error.matches("input, select, textarea")) error.setAttribute("tabindex", "-1");
  error.focus({ preventScroll: true });
  (error.closest(".field") || error).scrollIntoView({ block: "start" });
}
// A form sent without htmx comes back as a whole page: its first error gets focus too.
var errorOnLoad = document.activeElement === document.body && firstError(document);
if (errorOnLoad) reveal(errorOnLoad);
document.body.addEventListener("htmx:afterSwap", afterSwap);
document.body.addEventListener("htmx:oobAfterSwap", afterSwap);

if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  });
}

// Good news fades on its own; errors and warnings carry steps and wait for OK.
function scheduleDismissal(root) {
  root.querySelectorAll(".toast--success, .toast--info").forEach(function (toast) {
    if (toast.dataset.timer) return;
    toast.dataset.timer = "1";
    setTimeout(function () { if (toast.isConnected) dismiss(toast); }, 8000);
  });
}
scheduleDismissal(document);
document.body.addEventListener("htmx:oobAfterSwap", function () { scheduleDismissal(document); });

// On a slow or broken connection htmx gets no answer at all: say so instead of doing nothing.
function showToast(level, title, text) {
  var region = document.getElementById("toasts");
  if (!region) return;
  var toast = document.createElement("div");
  toast.className = "toast toast--" + level;
  toast.setAttribute("role", "alert");
  [["p", "toast__title", title], ["p", "toast__text", text]].forEach(function (part) {
    var node = document.createElement(part[0]);
    node.className = part[1];
    node.textContent = part[2];
    toast.appendChild(node);
  });
  region.replaceChildren();  // one toast at a time
  var ok = document.createElement("button");
  ok.type = "button";
  ok.className = "toast__ok";
  ok.setAttribute("data-dismiss", "");
  ok.textContent = "OK";
  toast.appendChild(ok);
  region.prepend(toast);
  ok.focus({ preventScroll: true });
}
document.body.addEventListener("htmx:sendError", function () {
  showToast("error", "Tidak ada koneksi", "Permintaan belum terkirim. Periksa sinyal Anda lalu coba lagi.");
});
document.body.addEventListener("htmx:timeout", function () {
  showToast("error", "Koneksi lambat", "Server belum menjawab. Coba lagi sebentar lagi; permintaan yang sama tidak akan tercatat dua kali.");
});
document.body.addEventListener("htmx:responseError", function () {
  showToast("error", "Terjadi kesalahan pada sistem", "Permintaan Anda belum diproses. Silakan coba lagi.");
});

// Uploads with htmx: show how far the files have gone (a slow connection takes a while).
document.body.addEventListener("htmx:xhr:progress", function (event) {
  var bar = event.target.querySelector && event.target.querySelector(".upload-progress");
  if (!bar || !event.detail.lengthComputable) return;
  bar.hidden = false;
  bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
});
