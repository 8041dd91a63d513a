// The board: drag and drop of cards between columns (HTML5 DnD, no library), the close dialog
// for a closing phase, and putting a refused card back. A drop and the keyboard's "Move to…"
// control submit the same form, so both go through the same server view and service.
// Without this file the "Move to…" forms still work as plain POSTs.
(() => {
  "use strict";

  let dragged = null;   // the card being dragged
  let origin = null;    // where it was: {parent, next}

  function remember(card) {
    origin = { card, parent: card.parentNode, next: card.nextSibling };
  }

  function putBack(saleId) {
    if (!origin || origin.card.dataset.sale !== String(saleId)) return;
    origin.parent.insertBefore(origin.card, origin.next);
    origin = null;
  }

  function closingOption(form) {
    const select = form.querySelector("select[name=phase]");
    const option = select && select.options[select.selectedIndex];
    return option && option.value && option.dataset.closing ? option.value : null;
  }

  function openDialog(form, phase) {
    const dialog = document.getElementById("board-dialog");
    // Cancelled: the card stays where it was, its "Move to…" control back to no choice.
    dialog.addEventListener("close", () => { form.querySelector("select[name=phase]").value = ""; }, { once: true });
    const url = form.dataset.dialogUrl + (form.dataset.dialogUrl.includes("?") ? "&" : "?") + "phase=" + encodeURIComponent(phase);
    htmx.ajax("GET", url, { target: "#board-dialog-body", swap: "innerHTML" }).then(() => {
      if (!dialog.open) dialog.showModal();
      syncReasons(dialog);
      const first = dialog.querySelector("select, input:not([type=hidden])");
      if (first) first.focus();
    });
  }

  // A "Move to…" form: a closing phase asks first (the dialog); other phases post right away (htmx).
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-board-move]");
    if (!form) return;
    const closing = closingOption(form);
    if (closing) {
      event.preventDefault();
      event.stopImmediatePropagation();
      openDialog(form, closing);
    }
  }, true);

  // --- drag and drop -------------------------------------------------------------------------
  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.sale);
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".board-col.drop-target").forEach((c) => c.classList.remove("drop-target"));
    dragged = null;
  });
  document.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".board-col");
    if (!column || !dragged || column.dataset.phase === dragged.dataset.phase) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-col.drop-target").forEach((c) => { if (c !== column) c.classList.remove("drop-target"); });
    column.classList.add("drop-target");
  });
  document.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".board-col");
    if (!column || !dragged) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = dragged;
    const form = card.querySelector("form[data-board-move]");
    if (!form || column.dataset.phase === card.dataset.phase) return;
    form.querySelector("select[name=phase]").value = column.dataset.phase;
    if (!column.dataset.closing) {
      // Show it where it was dropped while the server decides; a refusal puts it back.
      remember(card);
      const list = column.querySelector(".col-cards");
      list.insertBefore(card, list.querySelector(".col-more"));
    }
    form.requestSubmit();
  });

  // --- answers from the server ---------------------------------------------------------------
  document.addEventListener("board-refused", (event) => putBack(event.detail.sale));
  document.addEventListener("board-moved", () => {
    origin = null;
    const dialog = document.getElementById("board-dialog");
    if (dialog && dialog.open) dialog.close();
  });
  document.addEventListener("htmx:responseError", (event) => {
    // A server error or a page that went away (404): put the card back and say so.
    if (origin) putBack(origin.card.dataset.sale);
    const alert = document.getElementById("board-alert");
    if (alert) alert.textContent = alert.dataset.failed || "The sale could not be moved.";
    event.detail.shouldSwap = false;
  });

  // --- the close dialog: close it; reasons that fit the chosen outcome ------------------------
  function syncReasons(root) {
    const outcome = root.querySelector("[data-outcome-select]");
    const reasons = root.querySelector("select[data-reason-select]");
    if (!outcome || !reasons) return;
    Array.from(reasons.options).forEach((o) => {
      const fits = !o.value || !outcome.value || o.dataset.outcome === "either" || o.dataset.outcome === outcome.value;
      o.hidden = !fits;
      o.disabled = !fits;
      if (!fits && o.selected) reasons.value = "";
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-outcome-select]")) syncReasons(event.target.closest("form"));
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "board-dialog-body") syncReasons(event.detail.target);
  });
  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close-dialog]");
    const dialog = closer && closer.closest("dialog");
    if (dialog) { event.preventDefault(); dialog.close(); }
  });
})();
