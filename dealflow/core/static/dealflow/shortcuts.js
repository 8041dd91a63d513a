// Two-key shortcuts: press "n", then "s" within a second and a half, and the link marked
// data-shortcut="n s" opens (the quick-create "+ Sale"; "n a" is "+ Activity"). Keys typed into a field are left alone.
(() => {
  "use strict";
  let first = null;
  let timer = null;

  function typing(element) {
    if (!element) return false;
    const tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(document.activeElement) || document.querySelector("dialog[open]")) return;
    const key = (event.key || "").toLowerCase();
    if (key.length !== 1) return;
    if (first !== null) {
      // The last match wins: a card's own link (e.g. "n a" on a sale card, which links the new
      // activity to the sale) comes after the top bar's general one.
      const matches = document.querySelectorAll(`[data-shortcut="${first} ${key}"]`);
      const target = matches.length ? matches[matches.length - 1] : null;
      first = null;
      clearTimeout(timer);
      if (target) {
        event.preventDefault();
        target.click();
      }
      return;
    }
    if (document.querySelector(`[data-shortcut^="${key} "]`)) {
      first = key;
      clearTimeout(timer);
      timer = setTimeout(() => { first = null; }, 1500);
    }
  });
})();
