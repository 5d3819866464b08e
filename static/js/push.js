// Notifikasi di perangkat ini (Web Push), on the Notifikasi page only. Where the browser
// has service workers and PushManager and the user has not refused notifications, the
// panel shows "Aktifkan"; a tap asks permission, subscribes with the server's VAPID key
// (data-key) and sends the subscription (JSON, with the CSRF header htmx sends). "Matikan"
// unsubscribes. Declining changes nothing else; without this file the panel stays hidden.
(function () {
  "use strict";

  var panel = document.getElementById("push");
  if (!panel || !("serviceWorker" in navigator) || !("PushManager" in window) ||
      !("Notification" in window) || Notification.permission === "denied") {
    return;
  }
  var on = panel.querySelector('[data-push="on"]');
  var off = panel.querySelector('[data-push="off"]');
  var state = panel.querySelector(".push__state");

  function csrfToken() {
    var holder = document.querySelector("[hx-headers]");
    try {
      return JSON.parse(holder.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function post(url, subscription) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(subscription),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
    });
  }

  function show(subscribed, text) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    state.textContent = text || (subscribed ? "Notifikasi aktif di perangkat ini." : "");
  }

  function busy(button, value) {
    button.disabled = value;
  }

  navigator.serviceWorker.ready.then(function (registration) {
    panel.hidden = false;
    registration.pushManager.getSubscription().then(function (subscription) {
      show(subscription !== null);
    });

    on.addEventListener("click", function () {
      busy(on, true);
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          show(false, "Notifikasi tidak diizinkan. Kabar tetap masuk ke halaman ini.");
          if (permission === "denied") on.hidden = true;
          return;
        }
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(panel.dataset.key),
        }).then(function (subscription) {
          return post(panel.dataset.subscribe, subscription.toJSON());
        }).then(function () {
          show(true);
        });
      }).catch(function () {
        show(false, "Notifikasi belum bisa diaktifkan. Coba lagi nanti.");
      }).then(function () {
        busy(on, false);
      });
    });

    off.addEventListener("click", function () {
      busy(off, true);
      registration.pushManager.getSubscription().then(function (subscription) {
        if (!subscription) return;
        return post(panel.dataset.unsubscribe, { endpoint: subscription.endpoint }).then(function () {
          return subscription.unsubscribe();
        });
      }).then(function () {
        show(false, "Notifikasi di perangkat ini dimatikan.");
      }).catch(function () {
        state.textContent = "Belum bisa dimatikan. Coba lagi nanti.";
      }).then(function () {
        busy(off, false);
      });
    });
  });
})();
