// The call list: j / Alt+ArrowDown opens the next member, k / Alt+ArrowUp the previous one.
// Keys typed into a field are left alone.
(() => {
  "use strict";
  function typing(element) {
    if (!element) return false;
    const tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.defaultPrevented || typing(document.activeElement)) return;
    let dir = null;
    if (event.altKey && event.key === "ArrowDown") dir = "next";
    else if (event.altKey && event.key === "ArrowUp") dir = "prev";
    else if (!event.altKey && event.key === "j") dir = "next";
    else if (!event.altKey && event.key === "k") dir = "prev";
    if (!dir) return;
    const link = document.querySelector(`[data-walk="${dir}"]`);
    if (link) {
      event.preventDefault();
      link.click();
    }
  });
})();
