// The few behaviours the workbench needs beyond htmx.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("[data-autosubmit]")) el.form.requestSubmit();
});
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle-nav]");
  if (toggle) document.body.classList.toggle("nav-open");
  const confirmEl = event.target.closest("[data-confirm]");
  if (confirmEl && !window.confirm(confirmEl.dataset.confirm)) event.preventDefault();
});
// Fields that apply to some kinds only: `data-show-for="repair complaint"` on the field's box,
// shown while the form's `data-show-by` select holds one of those values.
function applyShowFor(form) {
  const by = form.querySelector(`[name="${form.dataset.showBy}"]`);
  if (!by) return;
  form.querySelectorAll("[data-show-for]").forEach((box) => {
    box.hidden = !box.dataset.showFor.split(" ").includes(by.value);
  });
}
document.addEventListener("change", (event) => {
  const form = event.target.form;
  if (form && form.dataset.showBy && event.target.name === form.dataset.showBy) applyShowFor(form);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-show-by]").forEach(applyShowFor);
});
