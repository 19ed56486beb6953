// Tutti's few behaviours that HTML alone cannot do. Everything works without it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy"));
      if (field) {
        field.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(field.value); }
        copy.setAttribute("aria-live", "polite");
      }
    }
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    // A click outside the slid-in navigation closes it.
    if (!toggle && document.body.classList.contains("nav-open") && !event.target.closest("#sidebar")) {
      document.body.classList.remove("nav-open");
      document.querySelectorAll("[data-menu-toggle]").forEach(function (t) { t.setAttribute("aria-expanded", "false"); });
    }
    // Close any open dropdown when clicking elsewhere.
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });
  // Requests whose values depend on the page, computed here because the Content-Security-Policy
  // allows no script in attributes: the saved reply a picker chose, and which image fields of
  // the composer hold a file.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt.hasAttribute("data-saved-reply-picker")) {
      event.detail.path = event.detail.path.replace(/saved\/\d+$/, "saved/" + encodeURIComponent(elt.value || "0"));
    }
    var imagesOf = elt.getAttribute("data-images-of");
    if (imagesOf) {
      var fields = document.querySelectorAll(imagesOf + " [data-image]");
      event.detail.parameters.images = Array.prototype.map.call(fields, function (f) {
        return f.files && f.files.length ? "1" : "0";
      }).join("");
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-history-back]")) { history.back(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
        d.removeAttribute("open");
        var s = d.querySelector("summary");
        if (s) { s.focus(); }
      });
      document.body.classList.remove("nav-open");
    }
  });
})();

// Compose: a live counter per network (graphemes on Bluesky, characters on Mastodon), the
// preview, and the size of the images, checked before the form is sent. The server decides.
(function () {
  "use strict";
  var segmenter = window.Intl && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  function count(network, text) {
    if (network === "bluesky" && segmenter) {
      var n = 0;
      for (var it = segmenter.segment(text)[Symbol.iterator](), s = it.next(); !s.done; s = it.next()) { n++; }
      return n;
    }
    return Array.from(text).length;
  }
  function over(network, text, max) {
    var n = count(network, text);
    var bytes = network === "bluesky" && window.TextEncoder ? new TextEncoder().encode(text).length > 3000 : false;
    return { n: n, over: n > max || bytes };
  }
  function update(form) {
    // The UTM fields show only when tagging is on; a queued post takes no date.
    var utm = form.querySelector("input[name=utm]");
    var utmFields = form.querySelector("[data-utm-fields]");
    if (utm && utmFields) { utmFields.hidden = !utm.checked; }
    var queue = form.querySelector("input[name=queue]");
    var at = form.querySelector("input[name=at]");
    if (queue && at) { at.disabled = queue.checked; }
    // The best slots of the channel chosen (the others' stay hidden).
    var chosen = form.querySelector("[data-channel]");
    var bests = form.querySelectorAll("[data-best-channel]");
    if (chosen && bests.length) {
      var any = false;
      bests.forEach(function (b) {
        b.hidden = b.getAttribute("data-best-channel") !== chosen.value;
        any = any || !b.hidden;
      });
      var box = form.querySelector("[data-best-times]");
      if (box) { box.hidden = !any; }
    }
    var text = form.querySelector("[data-text]");
    var select = form.querySelector("[data-channel]");
    if (!text || !select) { return; }
    var option = select.options[select.selectedIndex];
    var network = option ? option.getAttribute("data-network") : "bluesky";
    var max = option ? parseInt(option.getAttribute("data-max"), 10) : 300;
    var r = over(network, text.value, max);
    var counter = form.querySelector("[data-counter]");
    if (counter) {
      counter.querySelector("[data-count]").textContent = r.n;
      counter.querySelector("[data-max]").textContent = max;
      var was = counter.classList.contains("over");
      counter.classList.toggle("over", r.over);
      var live = form.querySelector("[data-counter-live]");
      if (live && was !== r.over) {
        live.textContent = r.over ? live.getAttribute("data-over").replace("%n", r.n - max) : live.getAttribute("data-fits");
      }
    }
    form.querySelectorAll("[data-preview]").forEach(function (p) {
      var body = p.querySelector("[data-preview-text]");
      if (body) { body.textContent = text.value; }
      var c = p.querySelector("[data-preview-count]");
      if (c) {
        var pr = over(c.getAttribute("data-network"), text.value, parseInt(c.getAttribute("data-max"), 10));
        c.querySelector("[data-n]").textContent = pr.n;
        c.classList.toggle("over", pr.over);
      }
      var handle = p.querySelector("[data-preview-handle]");
      if (handle && option && p.getAttribute("data-preview") === network) { handle.textContent = option.getAttribute("data-handle"); }
    });
  }
  function imagesError(form, message) {
    var e = form.querySelector("#c-images-error");
    if (!e) { return; }
    e.textContent = message;
    e.hidden = !message;
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-compose]");
    if (!form) { return; }
    // A field being corrected no longer shows the message it was sent back with.
    if (event.target.getAttribute("aria-invalid") === "true" && event.target.id) {
      event.target.removeAttribute("aria-invalid");
      var message = document.getElementById(event.target.id + "-error");
      if (message) { message.hidden = true; }
    }
    update(form);
  });
  // A best slot fills the time picker with its next occurrence (and the post leaves the queue).
  document.addEventListener("click", function (event) {
    var slot = event.target.closest && event.target.closest("[data-best-at]");
    var form = slot && slot.closest("[data-compose]");
    if (!form) { return; }
    var queue = form.querySelector("input[name=queue]");
    if (queue) { queue.checked = false; }
    var at = form.querySelector("input[name=at]");
    if (at) {
      at.disabled = false;
      at.value = slot.getAttribute("data-best-at");
      at.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var said = form.querySelector("[data-best-said]");
    if (said) { said.textContent = slot.getAttribute("data-best-said"); }
  });
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("[data-compose]");
    if (form) {
      update(form);
      if (event.target.matches("[data-image]")) { imagesError(form, ""); }
    }
  });
  // Too many bytes for one request: say so at the images instead of sending.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-compose]")) { return; }
    var total = 0;
    form.querySelectorAll("[data-image]").forEach(function (f) { if (f.files && f.files[0]) { total += f.files[0].size; } });
    if (total > parseInt(form.getAttribute("data-max-upload"), 10)) {
      event.preventDefault();
      imagesError(form, form.getAttribute("data-too-large"));
    }
  });
  // A form shown again with its errors (422), or a post that could not move (409), is swapped
  // in like a success; a body refused for its size (413) is said at the images.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status === 413) {
      var form = event.detail.elt.closest && event.detail.elt.closest("[data-compose]");
      if (form) { imagesError(form, form.getAttribute("data-too-large")); }
    }
  });
  // After a swap, the first field in error takes the focus.
  document.addEventListener("htmx:afterSwap", function (event) {
    var bad = document.querySelector("[data-compose] [aria-invalid='true'], #calendar-body [aria-invalid='true']");
    if (bad) { bad.focus(); }
    document.querySelectorAll("[data-compose]").forEach(update);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-compose]").forEach(update);
  });
})();

// Calendar: drag a post onto another day; htmx sends the day and swaps the calendar in. The
// "Move" form of each post does the same from the keyboard.
(function () {
  "use strict";
  var dragged = null;
  function clear() {
    document.querySelectorAll(".drop-target").forEach(function (d) { d.classList.remove("drop-target"); });
  }
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-reschedule]");
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    clear();
  });
  document.addEventListener("dragover", function (event) {
    var day = dragged && event.target.closest && event.target.closest("[data-drop-date]");
    if (!day) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!day.classList.contains("drop-target")) { clear(); day.classList.add("drop-target"); }
  });
  document.addEventListener("drop", function (event) {
    var day = dragged && event.target.closest && event.target.closest("[data-drop-date]");
    if (!day) { return; }
    event.preventDefault();
    var card = dragged;
    clear();
    var body = document.getElementById("calendar-body");
    if (!window.htmx || !body || card.closest("[data-drop-date]") === day) { return; }
    htmx.ajax("POST", card.getAttribute("data-reschedule"), {
      source: card,
      target: "#calendar-body",
      swap: "outerHTML",
      values: { date: day.getAttribute("data-drop-date"), back: body.getAttribute("data-back") }
    });
  });
})();

// The inbox: live arrivals (server-sent events), keyboard shortcuts, the reply counter.
(function () {
  "use strict";
  function inbox() { return document.querySelector("[data-inbox]"); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row-link]")); }
  function current() {
    var pane = document.querySelector("[data-conversation]");
    return pane ? pane.getAttribute("data-conversation") : null;
  }
  function refreshList() {
    var form = document.querySelector("[data-inbox-filters]");
    if (!form || !window.htmx) { return; }
    var params = new URLSearchParams(new FormData(form)).toString();
    htmx.ajax("GET", form.getAttribute("action") + (params ? "?" + params : ""), { target: "#inbox-list", swap: "outerHTML", select: "#inbox-list" }).then(mark);
  }
  function mark() {
    var id = current();
    rows().forEach(function (a) {
      var here = a.closest("[data-row]").getAttribute("data-row") === id;
      a.closest("[data-row]").classList.toggle("current", here);
      if (here) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
  }
  function move(step) {
    var list = rows();
    if (!list.length) { return; }
    var id = current();
    var i = list.findIndex(function (a) { return a.closest("[data-row]").getAttribute("data-row") === id; });
    var next = list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))];
    next.focus();
    next.click();
  }
  function press(selector) {
    var b = document.querySelector(selector);
    if (b) { b.click(); }
  }
  document.addEventListener("keydown", function (event) {
    if (!inbox() || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) {
      if (event.key === "Escape") { t.blur(); }
      return;
    }
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "r": var r = document.querySelector("[data-reply-text]"); if (r) { r.focus(); } break;
      case "a": press("[data-assign-me]"); break;
      case "e": press("[data-status-action=closed]"); break;
      case "o": press("[data-status-action=open]"); break;
      case "t": var g = document.querySelector("[data-tags-input]"); if (g) { g.focus(); } break;
      case "?": press("[data-shortcuts-toggle]"); break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-shortcuts-toggle]");
    if (!toggle) { return; }
    var box = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!box) { return; }
    box.hidden = !box.hidden;
    toggle.setAttribute("aria-expanded", String(!box.hidden));
  });
  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-reply-text]")) { return; }
    var count = document.querySelector("[data-reply-count]");
    if (!count) { return; }
    var n = window.Intl && Intl.Segmenter ? Array.from(new Intl.Segmenter().segment(event.target.value)).length : Array.from(event.target.value).length;
    count.textContent = n;
    count.parentElement.classList.toggle("over", n > parseInt(event.target.getAttribute("data-max"), 10));
  });
  document.body && document.body.addEventListener("inbox-changed", refreshList);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "conversation") {
      mark();
      // Narrow screens show the conversation instead of the list (see app.css).
      var box = inbox();
      if (box && current()) { box.classList.add("has-pane"); }
    }
  });
  // The message the reply answers: the item chosen is marked; "Answer this message" chooses it.
  function target(id) {
    var select = document.querySelector("[data-reply-target]");
    if (!select) { return; }
    if (id) { select.value = id; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-item]"), function (li) {
      li.classList.toggle("item-target", li.getAttribute("data-item") === select.value);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-reply-target]")) { target(null); }
  });
  document.addEventListener("click", function (event) {
    var b = event.target.closest && event.target.closest("[data-answer-item]");
    if (!b) { return; }
    target(b.getAttribute("data-answer-item"));
    var r = document.querySelector("[data-reply-text]");
    if (r) { r.focus(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var box = inbox();
    if (!box) { return; }
    document.body.addEventListener("inbox-changed", refreshList);
    mark();
    if (!window.EventSource) { return; }
    var source = new EventSource(box.getAttribute("data-events"));
    source.addEventListener("moved", function () {
      refreshList();
      var live = document.querySelector("[data-inbox-live]");
      if (live) { live.textContent = live.getAttribute("data-arrived"); }
    });
  });
})();

// ---- Start of the day: "/" focuses the search of the top bar (outside fields). ----
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    var box = document.querySelector("#search-q") || document.querySelector("[data-search-key]");
    if (!box) { return; }
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
// ---- end of start of the day ----
// ---- Page polish: moderation's toxicity slider (its value as a percentage beside it; moving
// it turns the condition on).
(function () {
  document.addEventListener("input", function (event) {
    var range = event.target;
    if (!range.matches || !range.matches("[data-percent-output]")) { return; }
    var out = document.getElementById(range.getAttribute("data-percent-output"));
    if (out) { out.textContent = range.value + (out.getAttribute("data-locale") === "fr" ? "\u202F%" : "%"); }
    var box = document.querySelector("[data-enables='" + range.id + "']");
    if (box) { box.checked = true; }
  });
})();

// ---- Live pages: an element `data-live="<event stream>"` with `data-live-events="a b"` opens
// the stream once; each event named there is dispatched on the body as `live-<name>`, which the
// parts of the page that show it listen to (`hx-trigger="live-<name> from:body"`).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.EventSource) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), function (el) {
      var source = new EventSource(el.getAttribute("data-live"));
      (el.getAttribute("data-live-events") || "").split(" ").forEach(function (name) {
        if (!name) { return; }
        source.addEventListener(name, function () {
          document.body.dispatchEvent(new CustomEvent("live-" + name));
        });
      });
    });
  });
})();
