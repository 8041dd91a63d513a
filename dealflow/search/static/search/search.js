// The global search box: htmx fills the dropdown as you type; arrow keys move through the
// results (aria-activedescendant), Enter opens the highlighted one (or the full results page),
// Escape closes the dropdown.
(() => {
  "use strict";
  const input = document.querySelector("[data-global-search]");
  if (!input) return;
  const list = document.getElementById(input.getAttribute("aria-controls"));
  let active = -1;

  const options = () => Array.from(list.querySelectorAll("[role=option]"));

  function open(show) {
    list.hidden = !show;
    input.setAttribute("aria-expanded", show ? "true" : "false");
    if (!show) highlight(-1);
  }

  function highlight(index) {
    const items = options();
    items.forEach((item, i) => {
      item.setAttribute("aria-selected", i === index ? "true" : "false");
      item.classList.toggle("active", i === index);
    });
    active = index >= 0 && index < items.length ? index : -1;
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== list) return;
    active = -1;
    open(list.innerHTML.trim() !== "" && input.value.trim() !== "");
  });

  input.addEventListener("input", () => { if (!input.value.trim()) open(false); });

  input.addEventListener("keydown", (event) => {
    const items = options();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden || !items.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(active < 0 ? (step > 0 ? 0 : items.length - 1) : (active + step + items.length) % items.length);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      window.location.assign(items[active].href);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      open(false);
    }
  });

  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-global-search-form]")) open(false);
  });
  input.addEventListener("focus", () => { if (list.innerHTML.trim() && input.value.trim()) open(true); });
})();
