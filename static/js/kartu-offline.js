// Kartu offline, by choice: "Simpan di perangkat" on the Kartu digital page keeps that one
// card (name, KPJ, segment, QR) in this browser's localStorage, to show at a hospital desk
// without signal; the offline page shows it. Nothing else of the account is ever stored.
//
// It goes with "Hapus", with Keluar (this file clears it as a logout form is sent, the
// server answers with Clear-Site-Data), and it is shown only beside the cookie the server
// set with it and deletes whenever a sign-in ends or another account signs in: a browser
// that kept its storage anyway shows nothing. Every control here is hidden until this file
// runs (no dead buttons).
(function () {
  "use strict";

  var KEY = "kpjku.kartu-offline";
  // webapp/card/services.py DEVICE_COPY_COOKIE: a mark, nothing personal.
  var COOKIE = "kartu_offline";
  var FIELDS = ["mark", "name", "kpj", "segment", "qr", "valid_until", "valid_until_text", "saved_on_text"];

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage switched off in this browser
    }
  }

  function cookieMark() {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + COOKIE + "=([0-9a-f]+)"));
    return match ? match[1] : null;
  }

  function deleteCookie() {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = COOKIE + "=; Path=/; Max-Age=0; SameSite=Strict" + secure;
  }

  function isCard(card) {
    return card !== null && typeof card === "object" && FIELDS.every(function (field) {
      return typeof card[field] === "string";
    }) && card.qr.indexOf("data:image/svg+xml") === 0;
  }

  function forget() {
    var store = storage();
    if (store) store.removeItem(KEY);
    deleteCookie();
  }

  // The saved card, or null. A card without its cookie (the sign-in ended) is removed.
  function load() {
    var store = storage();
    if (!store) return null;
    var card = null;
    try {
      card = JSON.parse(store.getItem(KEY));
    } catch (error) {
      card = null;
    }
    if (card === null) return null;
    var mark = cookieMark();
    if (!isCard(card) || !mark || card.mark !== mark) {
      forget();
      return null;
    }
    return card;
  }

  // data: the server's copy (its answer has set the cookie with data.mark).
  function save(data) {
    var store = storage();
    if (!store || !isCard(data)) return false;
    var card = {};
    FIELDS.forEach(function (field) { card[field] = data[field]; }); // these and no more
    try {
      store.setItem(KEY, JSON.stringify(card)); // one card: saving another replaces it
    } catch (error) {
      return false; // full or refused
    }
    return true;
  }

  function expired(card) {
    var now = new Date();
    var today = [now.getFullYear(), now.getMonth() + 1, now.getDate()].map(function (n) {
      return (n < 10 ? "0" : "") + n;
    }).join("-");
    return card.valid_until < today;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // The card as the Kartu digital page draws it (static/css/card.css), from the saved copy.
  function drawCard(card) {
    var article = element("article", "id-card id-card--saved");
    article.setAttribute("aria-label", "Kartu peserta tersimpan");
    var brand = element("header", "id-card__brand");
    brand.appendChild(element("span", "id-card__logo", "KPJku"));
    brand.appendChild(element("span", "id-card__issuer", "Kartu Peserta BPJS Ketenagakerjaan"));
    var who = element("div", "id-card__who");
    who.appendChild(element("p", "id-card__name", card.name));
    var kpj = element("p", "id-card__kpj");
    kpj.appendChild(element("span", "id-card__label", "No. KPJ"));
    kpj.appendChild(document.createTextNode(" "));
    kpj.appendChild(element("span", "kpj__number", card.kpj));
    who.appendChild(kpj);
    var facts = element("dl", "id-card__facts");
    facts.appendChild(element("dt", "", "Segmen"));
    facts.appendChild(element("dd", "", card.segment));
    who.appendChild(facts);
    article.appendChild(brand);
    article.appendChild(who);
    var figure = element("figure", "id-card__qr");
    if (expired(card)) {
      figure.appendChild(element("figcaption", "", "Kode QR kedaluwarsa"));
    } else {
      var qr = element("img");
      qr.src = card.qr;
      qr.alt = "Kode QR verifikasi kartu";
      figure.appendChild(qr);
      figure.appendChild(element("figcaption", "", "Pindai untuk verifikasi"));
    }
    article.appendChild(figure);
    article.appendChild(element("p", "id-card__validity", "Berlaku selama status AKTIF"));
    return article;
  }

  function show(node, visible) {
    if (node) node.hidden = !visible;
  }

  // The offline page: the saved card with Hapus, or a word on how to keep one.
  function offlinePage(root) {
    var slot = root.querySelector("[data-saved-card]");
    var none = root.querySelector("[data-no-card]");
    var removed = root.querySelector("[data-removed]");
    var note = root.querySelector("[data-saved-note]");
    var remove = root.querySelector("[data-remove]");
    show(root.querySelector("[data-needs-js]"), false);

    function render(wasRemoved) {
      var card = load();
      slot.textContent = "";
      if (card) {
        slot.appendChild(drawCard(card));
        note.textContent = expired(card)
          ? "Kode QR kartu ini sudah tidak berlaku sejak " + card.valid_until_text + ". Saat ada sinyal, buka Kartu digital lalu pilih Simpan di perangkat lagi."
          : "Disimpan di perangkat ini pada " + card.saved_on_text + ". Kode QR berlaku sampai " + card.valid_until_text + ".";
      }
      show(slot, !!card);
      show(note, !!card);
      show(remove, !!card);
      show(none, !card && !wasRemoved);
      show(removed, !card && wasRemoved);
    }

    remove.addEventListener("click", function () {
      forget();
      render(true);
      removed.focus();
    });
    render(false);
  }

  // The Kartu digital page: Simpan di perangkat, Hapus, and what is kept right now.
  function cardPage(root) {
    var saveButton = root.querySelector("[data-save]");
    var remove = root.querySelector("[data-remove]");
    var status = root.querySelector("[data-status]");
    show(root.querySelector("[data-needs-js]"), false);
    if (!storage() || !window.fetch) {
      status.textContent = "Peramban ini tidak mengizinkan penyimpanan kartu di perangkat.";
      return;
    }

    function render(message) {
      var card = load();
      if (message) {
        status.textContent = message;
      } else if (!card) {
        status.textContent = "Belum ada kartu yang tersimpan di perangkat ini.";
      } else if (card.kpj === root.getAttribute("data-kpj")) {
        status.textContent = "Kartu ini tersimpan di perangkat ini sejak " + card.saved_on_text + ".";
      } else {
        status.textContent = "Kartu lain tersimpan di perangkat ini. Menyimpan kartu ini akan menggantikannya.";
      }
      show(saveButton, true);
      show(remove, !!card);
    }

    saveButton.addEventListener("click", function () {
      if (saveButton.disabled) return;
      saveButton.disabled = true;
      fetch(root.getAttribute("data-url"), {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (data) {
        render(save(data)
          ? "Kartu tersimpan di perangkat ini. Tanpa sinyal, buka KPJku dan kartu ini tampil."
          : "Kartu belum tersimpan: peramban ini menolak menyimpannya.");
      }).catch(function () {
        render("Kartu belum tersimpan. Periksa sinyal Anda, lalu coba lagi.");
      }).then(function () {
        saveButton.disabled = false;
      });
    });
    remove.addEventListener("click", function () {
      forget();
      render("Kartu sudah dihapus dari perangkat ini.");
      saveButton.focus();
    });
    render(null);
  }

  // Keluar: the card goes as the form is sent, before the server has even answered.
  document.addEventListener("submit", function (event) {
    if (event.target.closest && event.target.closest("[data-forget-card]")) forget();
  }, true);

  // Coba lagi: reload the page that was asked for, which the service worker answered with
  // the offline page. Opened at its own address, or without this file, the button is a
  // plain form to Beranda. data-retry holds the offline page's own path.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-retry")) return;
    if (location.pathname !== form.getAttribute("data-retry")) {
      event.preventDefault();
      location.reload();
    }
  });

  function start() {
    var offline = document.querySelector("[data-offline-card]");
    if (offline) offlinePage(offline);
    var card = document.querySelector("[data-device-copy]");
    if (card) cardPage(card);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
