// Keyboard: "/" focuses the page's own search box (a list's filter), else the global search in
// the top bar; Ctrl+K / Cmd+K always focuses the global search.
document.addEventListener("keydown", (event) => {
  const global = document.querySelector("[data-global-search]");
  if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K")) {
    if (global) { event.preventDefault(); global.focus(); global.select(); }
    return;
  }
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const tag = (document.activeElement && document.activeElement.tagName) || "";
  if (["INPUT", "TEXTAREA", "SELECT"].includes(tag)) return;
  const box = document.querySelector("main input[type=search]") || global;
  if (box) { event.preventDefault(); box.focus(); }
});

// Close an open top-bar menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary").focus();
  });
});
