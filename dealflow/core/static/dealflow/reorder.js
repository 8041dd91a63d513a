// Reorderable lists: rows move by drag and drop (HTML5, by their handle) or by keyboard (the
// Move up / Move down buttons of each row); rows can be added from a <template> and removed.
// The order of the rows in the page is the order the form submits, so nothing else is needed
// on the server. Markup:
//   <ol data-reorder id="L" data-moved="“{name}” is now at position {position} of {count}."
//       data-removed="…" data-added="…" data-untitled="new phase">
//     <li data-reorder-row>
//       <span data-drag-handle draggable="true"></span> <span data-reorder-position></span>
//       <span data-reorder-title></span> <input data-reorder-name>
//       <button type="button" data-move="up" data-label-template="Move “{name}” up">
//       <button type="button" data-move="down" …> <button type="button" data-remove …>
//   <template id="T">one row, with __key__ where the row's key goes</template>
//   <button type="button" data-reorder-add="T" data-reorder-list="L">
//   <div role="status" data-reorder-status="L"></div>
(function () {
  "use strict";

  let dragged = null;
  let added = 0;

  function rowsOf(list) {
    return Array.from(list.children).filter((el) => el.hasAttribute("data-reorder-row"));
  }

  function nameOf(row) {
    const list = row.parentElement;
    const input = row.querySelector("[data-reorder-name]");
    const title = row.querySelector("[data-reorder-title]");
    const text = input ? input.value : title ? title.textContent : "";
    return (text || "").trim() || (list && list.dataset.untitled) || "";
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function refreshRow(row, position) {
    const name = nameOf(row);
    const pos = row.querySelector("[data-reorder-position]");
    if (pos && position) pos.textContent = String(position);
    const input = row.querySelector("[data-reorder-name]");
    const title = row.querySelector("[data-reorder-title]");
    if (input && title) title.textContent = name;
    row.querySelectorAll("[data-label-template]").forEach((el) => {
      el.setAttribute("aria-label", fill(el.dataset.labelTemplate, { name: name }));
    });
  }

  function refresh(list) {
    rowsOf(list).forEach((row, index) => refreshRow(row, index + 1));
  }

  function announce(list, key, row) {
    const status = document.querySelector('[data-reorder-status="' + list.id + '"]');
    const template = list.dataset[key];
    if (!status || !template) return;
    const rows = rowsOf(list);
    status.textContent = fill(template, { name: row ? nameOf(row) : "", position: rows.indexOf(row) + 1, count: rows.length });
  }

  function changed(list, row, key) {
    refresh(list);
    announce(list, key, row);
    list.dispatchEvent(new CustomEvent("reorder:change", { bubbles: true }));
  }

  function move(row, direction, button) {
    const list = row.parentElement;
    const rows = rowsOf(list);
    const index = rows.indexOf(row);
    const target = direction === "up" ? rows[index - 1] : rows[index + 1];
    if (target) {
      if (direction === "up") target.before(row);
      else target.after(row);
    }
    // Moving a row takes the focus out of it; give it back to the same button.
    button.focus();
    changed(list, row, "moved");
  }

  function remove(row) {
    const list = row.parentElement;
    const rows = rowsOf(list);
    const index = rows.indexOf(row);
    const name = nameOf(row);
    const neighbour = rows[index + 1] || rows[index - 1];
    row.remove();
    refresh(list);
    const status = document.querySelector('[data-reorder-status="' + list.id + '"]');
    if (status && list.dataset.removed) status.textContent = fill(list.dataset.removed, { name: name });
    // The focus goes to the next row's Remove button, else to the Add button.
    const next = (neighbour && neighbour.querySelector("[data-remove]")) || document.querySelector('[data-reorder-list="' + list.id + '"]');
    if (next) next.focus();
    list.dispatchEvent(new CustomEvent("reorder:change", { bubbles: true }));
  }

  function add(button) {
    const template = document.getElementById(button.dataset.reorderAdd);
    const list = document.getElementById(button.dataset.reorderList);
    if (!template || !list) return;
    added += 1;
    const key = "n" + Date.now().toString(36) + added;
    const holder = document.createElement("template");
    holder.innerHTML = template.innerHTML.split("__key__").join(key).trim();
    const row = holder.content.firstElementChild;
    list.appendChild(row);
    changed(list, row, "added");
    const first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const mover = target.closest("[data-move]");
    if (mover) {
      const row = mover.closest("[data-reorder-row]");
      if (row) { event.preventDefault(); move(row, mover.dataset.move, mover); }
      return;
    }
    const remover = target.closest("[data-remove]");
    if (remover) {
      const row = remover.closest("[data-reorder-row]");
      if (row) { event.preventDefault(); remove(row); }
      return;
    }
    const adder = target.closest("[data-reorder-add]");
    if (adder) { event.preventDefault(); add(adder); }
  });

  document.addEventListener("input", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target || !target.hasAttribute("data-reorder-name")) return;
    const row = target.closest("[data-reorder-row]");
    if (row) refreshRow(row, 0);
  });

  // --- drag and drop -------------------------------------------------------------------

  function rowAt(event) {
    const target = event.target instanceof Element ? event.target : null;
    const row = target && target.closest("[data-reorder-row]");
    return row && dragged && row.parentElement === dragged.parentElement ? row : null;
  }

  function clearMarks() {
    document.querySelectorAll(".drop-before, .drop-after").forEach((el) => el.classList.remove("drop-before", "drop-after"));
  }

  document.addEventListener("dragstart", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const handle = target && target.closest("[data-drag-handle]");
    const row = handle && handle.closest("[data-reorder-row]");
    if (!row) return;
    dragged = row;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", nameOf(row));
    try { event.dataTransfer.setDragImage(row, 16, 16); } catch (e) { /* not everywhere */ }
  });

  document.addEventListener("dragover", (event) => {
    const row = rowAt(event);
    if (!row) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks();
    if (row !== dragged) {
      const rows = rowsOf(row.parentElement);
      row.classList.add(rows.indexOf(dragged) < rows.indexOf(row) ? "drop-after" : "drop-before");
    }
  });

  document.addEventListener("drop", (event) => {
    const row = rowAt(event);
    if (!row) return;
    event.preventDefault();
    const moving = dragged;
    clearMarks();
    if (row === moving) return;
    // Dropped on a row further down: it goes after that row; further up: before it.
    const rows = rowsOf(row.parentElement);
    if (rows.indexOf(moving) < rows.indexOf(row)) row.after(moving);
    else row.before(moving);
    changed(row.parentElement, moving, "moved");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearMarks();
  });

  function init() {
    document.querySelectorAll("[data-reorder]").forEach(refresh);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
