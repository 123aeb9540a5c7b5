/* The door scanner (weticket-wagtail). No build step; needs tweetnacl and jsQR, vendored.
 *
 * A scanned QR code is a signed token (WT1.<payload>.<signature>). This page verifies the
 * signature itself with the organisation's public key, so a forged code is refused at once and
 * a genuine one is answered without the network. Online, every scan goes to the server, which
 * knows refunds and the other devices' scans, and its answer is shown. Offline (or when the
 * server does not answer), a genuine code is admitted and its scan kept in localStorage; the
 * queue is sent when the network is back, each scan with its own id, so it arrives once. When
 * another device checked the same ticket in first, the conflict is listed after the sync.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("wtc-config").textContent);
  var M = cfg.messages;
  var SYNC_EVERY_MS = 10000;
  var SERVER_WAIT_MS = 4000;
  var SAME_CODE_MS = 3000;

  function el(name) {
    return document.querySelector('[data-wtc="' + name + '"]');
  }

  // ------------------------------------------------------------------ storage
  function load(key, fallback) {
    try {
      var value = JSON.parse(localStorage.getItem(cfg.storageKey + ":" + key));
      return value === null || value === undefined ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }
  function save(key, value) {
    try {
      localStorage.setItem(cfg.storageKey + ":" + key, JSON.stringify(value));
    } catch (e) {
      /* storage full or disabled: the page still works while it stays open */
    }
  }

  var queue = load("queue", []); // scans the server has not acknowledged
  var known = load("known", {}); // code -> {at, entrance, id}: the list's check-ins
  var mine = load("mine", {}); // code -> {id, at}: tickets admitted on this device
  var voids = load("void", []); // codes of refunded and cancelled tickets
  var since = load("since", null);
  var conflicts = load("conflicts", []);
  var revoked = false;

  function persist() {
    save("queue", queue);
    save("known", known);
    save("mine", mine);
    save("void", voids);
    save("since", since);
    save("conflicts", conflicts);
  }

  // ------------------------------------------------------------------ tokens
  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  var verifyKey = null;
  try {
    verifyKey = b64urlDecode(cfg.verifyKey);
  } catch (e) {
    verifyKey = null;
  }

  /* The payload of a genuine token, or null. */
  function verify(token) {
    var parts = token.split(".");
    if (parts.length !== 3 || parts[0] !== "WT1" || token.length > 2048) return null;
    if (!verifyKey || verifyKey.length !== 32 || !window.nacl) return null;
    try {
      var signature = b64urlDecode(parts[2]);
      var payloadBytes = b64urlDecode(parts[1]);
      if (signature.length !== 64) return null;
      var message = new TextEncoder().encode(parts[0] + "." + parts[1]);
      if (!window.nacl.sign.detached.verify(message, signature, verifyKey)) return null;
      var payload = JSON.parse(new TextDecoder().decode(payloadBytes));
      return payload && typeof payload.c === "string" ? payload : null;
    } catch (e) {
      return null;
    }
  }

  // ------------------------------------------------------------------ showing
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }
  function timeText(iso) {
    var date = new Date(iso);
    if (isNaN(date)) return "?";
    var hh = String(date.getHours()).padStart(2, "0");
    var mm = String(date.getMinutes()).padStart(2, "0");
    return hh + ":" + mm;
  }

  function show(kind, title, detail) {
    var box = el("result");
    box.className = "wtc-result wtc-result--" + kind;
    box.dataset.kind = kind;
    el("result-title").textContent = title;
    el("result-detail").textContent = detail || "";
    var item = document.createElement("li");
    item.className = "wtc-log__item wtc-log__item--" + kind;
    item.textContent = timeText(new Date().toISOString()) + " · " + title + (detail ? ": " + detail : "");
    var log = el("log");
    log.insertBefore(item, log.firstChild);
    while (log.children.length > 30) log.removeChild(log.lastChild);
  }

  function showServerAnswer(result) {
    var kind = result.status === "ok" ? "ok" : result.status === "already" ? "already" : "refused";
    var title = kind === "ok" ? M.admitted : kind === "already" ? M.alreadyTitle : M.refused;
    var detail = result.message;
    if (kind === "ok" && (result.ticket_type || result.holder_name)) {
      detail += " " + [result.ticket_type, result.holder_name].filter(Boolean).join(" · ");
    }
    show(kind, title, detail);
  }

  function renderQueue() {
    el("queue").textContent = queue.length
      ? fmt(M.queued, { count: queue.length })
      : M.allSent;
    var list = el("conflicts");
    list.innerHTML = "";
    conflicts.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
  }

  function setNetwork(online) {
    var node = el("network");
    node.textContent = online ? M.online : M.offline;
    node.dataset.online = online ? "1" : "0";
  }

  function addConflict(text) {
    if (conflicts.indexOf(text) === -1) conflicts.unshift(text);
    conflicts = conflicts.slice(0, 50);
  }

  // ------------------------------------------------------------------ server
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function fetchWithTimeout(url, options) {
    var controller = new AbortController();
    var timer = setTimeout(function () {
      controller.abort();
    }, SERVER_WAIT_MS);
    options = Object.assign({ cache: "no-store", credentials: "omit" }, options, {
      signal: controller.signal,
    });
    return fetch(url, options).finally(function () {
      clearTimeout(timer);
    });
  }

  function refuseRevoked(response) {
    if (response.status === 404 || response.status === 410) {
      revoked = true;
      show("refused", M.refused, M.revoked);
      return true;
    }
    return false;
  }

  /* What a server answer means for what this device knows. */
  function apply(result, item) {
    if (!result.code) return;
    if (result.status === "ok") {
      known[result.code] = { at: result.checked_in_at, entrance: result.entrance, id: result.id };
      mine[result.code] = { id: result.id, at: result.checked_in_at };
      return;
    }
    if (result.status === "already") {
      known[result.code] = { at: result.checked_in_at, entrance: result.entrance, id: "" };
      if (item && item.admittedHere) {
        addConflict(
          fmt(M.conflict, {
            code: result.code,
            time: timeText(result.checked_in_at),
            entrance: result.entrance,
            mine: timeText(item.scanned_at),
          })
        );
      }
      delete mine[result.code];
      return;
    }
    if (result.reason === "refunded" || result.reason === "cancelled") {
      if (voids.indexOf(result.code) === -1) voids.push(result.code);
    }
    delete known[result.code];
    delete mine[result.code];
    if (item && item.admittedHere) addConflict(result.code + ": " + result.message);
  }

  var sending = null;

  /* Send the queue (in one batch); resolves to {scanId: result} or null when not answered. */
  function flush() {
    if (sending) return sending.then(flush);
    if (!queue.length || revoked) return Promise.resolve({});
    var batch = queue.slice(0, 200);
    var body = JSON.stringify({
      scans: batch.map(function (item) {
        return { id: item.id, token: item.token, scanned_at: item.scanned_at, offline: item.offline };
      }),
    });
    sending = fetchWithTimeout(cfg.scanUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body,
    })
      .then(function (response) {
        if (refuseRevoked(response)) return null;
        if (!response.ok) return null;
        return response.json().then(function (data) {
          setNetwork(true);
          var answers = {};
          var byId = {};
          batch.forEach(function (item) {
            byId[item.id] = item;
          });
          (data.results || []).forEach(function (result) {
            answers[result.id] = result;
            apply(result, byId[result.id]);
          });
          queue = queue.filter(function (item) {
            return !(item.id in answers);
          });
          persist();
          renderQueue();
          return answers;
        });
      })
      .catch(function () {
        setNetwork(false);
        return null;
      })
      .finally(function () {
        sending = null;
      });
    return sending;
  }

  function refreshState() {
    if (revoked || !navigator.onLine) return Promise.resolve();
    var url = cfg.stateUrl + (since ? "?since=" + encodeURIComponent(since) : "");
    return fetchWithTimeout(url, {})
      .then(function (response) {
        if (refuseRevoked(response) || !response.ok) return;
        return response.json().then(function (state) {
          setNetwork(true);
          Object.keys(state.checked_in).forEach(function (code) {
            var entry = state.checked_in[code];
            var ours = mine[code];
            if (ours && entry.id !== ours.id && queue.every(function (q) { return q.code !== code; })) {
              addConflict(
                fmt(M.conflict, {
                  code: code,
                  time: timeText(entry.at),
                  entrance: entry.entrance,
                  mine: timeText(ours.at),
                })
              );
              delete mine[code];
            }
            known[code] = entry;
          });
          voids = state.void;
          since = state.now;
          persist();
          renderQueue();
        });
      })
      .catch(function () {
        setNetwork(false);
      });
  }

  // ------------------------------------------------------------------ scanning
  var busy = false;

  function handle(raw) {
    var text = (raw || "").trim();
    if (!text || revoked) return Promise.resolve();
    if (text.indexOf("WT1.") !== 0) return handleTyped(text);
    var payload = verify(text);
    if (!payload) return Promise.resolve(show("refused", M.refused, M.notGenuine));
    if (payload.e !== cfg.eventSlug || payload.o !== cfg.organisationSlug) {
      return Promise.resolve(show("refused", M.refused, M.otherEvent));
    }
    if (cfg.ticketTypes && cfg.ticketTypes.indexOf(payload.t) === -1) {
      return Promise.resolve(show("refused", M.refused, M.notOnList));
    }
    var code = payload.c;
    if (voids.indexOf(code) !== -1) return Promise.resolve(show("refused", M.refused, M.void));
    var seen = known[code];
    if (seen) {
      return Promise.resolve(
        show("already", M.alreadyTitle, fmt(M.already, { time: timeText(seen.at), entrance: seen.entrance }))
      );
    }
    var item = {
      id: newId(),
      token: text,
      code: code,
      scanned_at: new Date().toISOString(),
      offline: !navigator.onLine,
      admittedHere: false,
    };
    known[code] = { at: item.scanned_at, entrance: cfg.entrance, id: item.id };
    queue.push(item);
    persist();
    renderQueue();
    var admitOffline = function () {
      item.offline = true;
      item.admittedHere = true;
      mine[code] = { id: item.id, at: item.scanned_at };
      persist();
      renderQueue();
      show("ok", M.admitted, M.okOffline + " " + (payload.t || ""));
    };
    if (!navigator.onLine) {
      setNetwork(false);
      admitOffline();
      return Promise.resolve();
    }
    return flush().then(function (answers) {
      var answer = answers && answers[item.id];
      if (answer) showServerAnswer(answer);
      else if (queue.some(function (q) { return q.id === item.id; })) admitOffline();
    });
  }

  /* A typed code has no signature: only the server can say whether it is one of ours. */
  function handleTyped(text) {
    if (!navigator.onLine) {
      show("refused", M.refused, M.typedOffline);
      return Promise.resolve();
    }
    return fetchWithTimeout(cfg.scanUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ scans: [{ id: newId(), token: text, scanned_at: new Date().toISOString() }] }),
    })
      .then(function (response) {
        if (refuseRevoked(response) || !response.ok) return;
        return response.json().then(function (data) {
          setNetwork(true);
          var result = (data.results || [])[0];
          if (!result) return;
          apply(result, null);
          persist();
          showServerAnswer(result);
        });
      })
      .catch(function () {
        setNetwork(false);
        show("refused", M.refused, M.typedOffline);
      });
  }

  // ------------------------------------------------------------------ camera
  var stream = null;
  var lastCode = "";
  var lastCodeAt = 0;

  function onCameraCode(text) {
    var now = Date.now();
    if (text === lastCode && now - lastCodeAt < SAME_CODE_MS) return;
    lastCode = text;
    lastCodeAt = now;
    if (busy) return;
    busy = true;
    handle(text).finally(function () {
      busy = false;
    });
  }

  function scanFrame(video, canvas, detector) {
    if (!stream) return;
    var next = function () {
      setTimeout(function () {
        requestAnimationFrame(function () {
          scanFrame(video, canvas, detector);
        });
      }, 100);
    };
    if (video.readyState < 2 || !video.videoWidth) return next();
    if (detector) {
      detector
        .detect(video)
        .then(function (codes) {
          if (codes.length) onCameraCode(codes[0].rawValue);
        })
        .catch(function () {})
        .finally(next);
      return;
    }
    var scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR && window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    if (found && found.data) onCameraCode(found.data);
    next();
  }

  function toggleCamera() {
    var button = el("camera-toggle");
    var video = el("video");
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
      video.hidden = true;
      button.textContent = M.cameraStart;
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show("refused", M.refused, M.cameraError);
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        button.textContent = M.cameraStop;
        return video.play().then(function () {
          var detector = null;
          try {
            if ("BarcodeDetector" in window) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          } catch (e) {
            detector = null;
          }
          scanFrame(video, el("canvas"), detector);
        });
      })
      .catch(function () {
        stream = null;
        show("refused", M.refused, M.cameraError);
      });
  }

  // ------------------------------------------------------------------ wiring
  el("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = el("code");
    var text = input.value;
    input.value = "";
    handle(text).finally(function () {
      input.focus();
    });
  });
  el("camera-toggle").addEventListener("click", toggleCamera);
  window.addEventListener("online", function () {
    setNetwork(true);
    flush().then(refreshState);
  });
  window.addEventListener("offline", function () {
    setNetwork(false);
  });
  setInterval(function () {
    if (navigator.onLine) flush().then(refreshState);
  }, SYNC_EVERY_MS);

  setNetwork(navigator.onLine);
  renderQueue();
  document.body.dataset.ready = "1";
  flush().then(refreshState);
  el("code").focus();
})();
