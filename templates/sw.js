{#- KPJku service worker, served at /sw.js (webapp/assets.py writes in the release and the
    fingerprinted files). It keeps only what is the same for everyone: the static files and
    the offline page, fetched without cookies. Pages, htmx fragments and POST answers carry
    personal data (balances, NIK, cards): they always come from the network and are never
    stored on the phone. -#}
// KPJku service worker, release {{ release }}.
const CACHE = "kpjku-{{ release }}";
// The offline page is fetched without cookies, so it is the same for everyone.
const OFFLINE = new Request("/offline", { credentials: "omit" });
// Fingerprinted: a changed file has a new name, so a stored copy never goes stale.
const PRECACHE = [
{%- for url in precache %}
  {{ url|tojson }},
{%- endfor %}
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([OFFLINE, ...PRECACHE]))
      .then(() => self.skipWaiting())
  );
});

// The new release takes over at once and deletes every other release's cache.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

function fromCache(request) {
  return caches.open(CACHE).then((cache) => cache.match(request, { ignoreVary: true }));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;

  // Static files: the precached copy, else the network (what the network gives is not stored).
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromCache(request).then((hit) => hit || fetch(request)));
    return;
  }

  // Pages: always the network; without one, the offline page. Nothing is stored.
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => fromCache(OFFLINE)));
  }
  // Everything else (htmx fragments, JSON) goes to the network untouched.
});

// Web Push (static/js/push.js subscribes): the payload is {title, body, url}, nothing personal.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  event.waitUntil(
    self.registration.showNotification(data.title || "KPJku", {
      body: data.body || "Ada kabar baru di KPJku.",
      icon: {{ url_for("static", filename="icons/icon-192.png")|tojson }},
      data: { url: typeof data.url === "string" ? data.url : "/notifikasi" },
    })
  );
});

// A tap opens the page the notification is about: on this site only.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  let target = new URL("/notifikasi", self.location.origin);
  try {
    const url = new URL(event.notification.data && event.notification.data.url, self.location.origin);
    if (url.origin === self.location.origin) target = url;
  } catch (error) {
    // keep the inbox
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url === target.href && "focus" in client);
      return open ? open.focus() : self.clients.openWindow(target.href);
    })
  );
});
