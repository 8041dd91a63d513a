// The sale card and the company Overview: tabs, action dialogs, the move/close forms, the
// live profit maths and printing. Everything works without this file too (tabs are links,
// actions are pages of their own, the server recalculates profit); this only makes it nicer.
(() => {
  "use strict";

  // --- tabs: WAI-ARIA tablist; arrows, Home and End move between tabs ---------------------
  function selectTab(tab, focus) {
    const list = tab.closest("[role=tablist]");
    const tabs = Array.from(list.querySelectorAll("[role=tab]"));
    tabs.forEach((t) => {
      const on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (focus) tab.focus();
    const name = tab.dataset.tab;
    if (name) {
      document.querySelectorAll("input[name=tab][data-current-tab]").forEach((i) => { i.value = name; });
      const url = new URL(window.location.href);
      url.searchParams.set("tab", name);
      window.history.replaceState(window.history.state, "", url);
    }
    list.dispatchEvent(new CustomEvent("tabchange", { bubbles: true, detail: { tab: name } }));
  }

  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (!tab) return;
    event.preventDefault();
    selectTab(tab, false);
  });

  document.addEventListener("keydown", (event) => {
    const tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab) return;
    const tabs = Array.from(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    const i = tabs.indexOf(tab);
    let next = null;
    if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
    else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (event.key === "Home") next = tabs[0];
    else if (event.key === "End") next = tabs[tabs.length - 1];
    else if (event.key === " " || event.key === "Enter") next = tab;
    if (next) { event.preventDefault(); selectTab(next, true); }
  });

  // The card's Save bar belongs to the form tabs, not to Links.
  document.addEventListener("tabchange", (event) => {
    const bar = document.getElementById("sale-savebar");
    if (bar) bar.hidden = event.detail.tab === "links";
  });

  // --- action dialogs (htmx loads the action's form into #action-dialog-body) -------------
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "action-dialog-body") {
      const dialog = document.getElementById("action-dialog");
      if (!dialog.open) dialog.showModal();
      const first = target.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    }
  });
  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close-dialog]");
    const dialog = closer && closer.closest("dialog");
    if (dialog) { event.preventDefault(); dialog.close(); }
    const printer = event.target.closest("[data-print]");
    if (printer) { event.preventDefault(); window.print(); }
  });

  // --- move and close forms: closing fields appear for a closing phase; reasons fit the outcome
  function syncClosing(form) {
    const phase = form.querySelector("select[data-phase-select]");
    const box = form.querySelector("[data-closing-fields]");
    if (phase && box) {
      const option = phase.options[phase.selectedIndex];
      box.hidden = !(option && option.dataset.closing);
    }
    const outcome = form.querySelector("[data-outcome-select]");
    const reasons = form.querySelector("select[data-reason-select]");
    if (outcome && reasons) {
      const value = outcome.value;
      Array.from(reasons.options).forEach((o) => {
        const fits = !o.value || !value || o.dataset.outcome === "either" || o.dataset.outcome === value;
        o.hidden = !fits;
        o.disabled = !fits;
        if (!fits && o.selected) reasons.value = "";
      });
    }
  }
  document.addEventListener("change", (event) => {
    const form = event.target.closest("form");
    if (form && event.target.matches("[data-phase-select], [data-outcome-select]")) syncClosing(form);
  });

  // --- total cost, profit and profit %: editing one recalculates the other two -------------
  function parse(input, sep) {
    const raw = (input.value || "").trim().replace(/\s/g, "");
    if (!raw) return null;
    const plain = sep === "," ? raw.replace(/\./g, "").replace(",", ".") : raw.replace(/,/g, "");
    const n = Number(plain);
    return Number.isFinite(n) ? n : null;
  }
  function show(input, value, sep) {
    if (value === null || !Number.isFinite(value)) { input.value = ""; return; }
    const text = (Math.round(value * 100) / 100).toFixed(2);
    input.value = sep === "," ? text.replace(".", ",") : text;
  }
  function recalc(form, changed) {
    const sep = form.dataset.decimalSeparator || ".";
    const f = (name) => form.elements[name];
    const amountInput = f("amount"), cost = f("total_cost"), profit = f("profit"), pct = f("profit_pct");
    if (!amountInput || !cost || !profit || !pct) return;
    const amount = parse(amountInput, sep) || 0;
    if (changed === "total_cost" || changed === "amount") {
      const c = parse(cost, sep);
      if (c === null) return;
      show(profit, amount - c, sep);
      show(pct, amount ? ((amount - c) * 100) / amount : null, sep);
      if (changed === "amount") return;
    } else if (changed === "profit") {
      const p = parse(profit, sep);
      if (p === null) return;
      show(cost, amount - p, sep);
      show(pct, amount ? (p * 100) / amount : null, sep);
    } else if (changed === "profit_pct") {
      const r = parse(pct, sep);
      if (r === null) return;
      const p = (amount * r) / 100;
      show(profit, p, sep);
      show(cost, amount - p, sep);
    }
    if (form.elements.profit_basis) form.elements.profit_basis.value = changed;
  }
  document.addEventListener("input", (event) => {
    const form = event.target.closest("form[data-profit-maths]");
    const name = event.target.name;
    if (form && ["amount", "total_cost", "profit", "profit_pct"].includes(name)) recalc(form, name);
  });

  function init(root) {
    root.querySelectorAll("form").forEach(syncClosing);
    // Roving tabindex: Tab reaches the selected tab only; the arrows reach the others.
    root.querySelectorAll("[role=tablist] [role=tab]").forEach((t) => {
      t.tabIndex = t.getAttribute("aria-selected") === "true" ? 0 : -1;
    });
  }
  if (window.htmx) window.htmx.onLoad(init);
  else document.addEventListener("DOMContentLoaded", () => init(document));
})();
