// fengping's page behaviour. Kept tiny and CSP-clean (no inline script in templates).
document.addEventListener("DOMContentLoaded", () => {
  // Language switch: submit the form when the select changes.
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  // Copy buttons (e.g. a new API token shown once).
  document.querySelectorAll("[data-copy]").forEach((btn) => {
    btn.addEventListener("click", () => {
      const target = document.querySelector(btn.dataset.copy);
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim());
        btn.textContent = btn.dataset.copied || "OK";
      }
    });
  });
});
