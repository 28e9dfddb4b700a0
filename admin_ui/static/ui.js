// pawpay admin shell: optional enhancements only. Every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  // Forms marked data-confirm ask before a destructive action (deactivate, revoke).
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", () => navigator.clipboard.writeText(source.textContent.trim()));
  }
});
