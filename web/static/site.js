// Small enhancements shared by every page; pages work without them. No inline handlers: the pages'
// Content-Security-Policy allows scripts from this origin only.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
