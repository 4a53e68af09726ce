// The public pages' module: turns on govuk-frontend's behaviours (conditional reveals, error
// summary focus). Without it every question still shows and the form still works.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Radios that reveal follow-up questions. Not govuk-frontend's radios module: it sets
// aria-expanded on each radio input, which ARIA does not allow on a radio (axe-core's
// aria-allowed-attr, critical). Here the radio only names what it controls, and the revealed
// questions follow it in reading order.
function revealRadios(group) {
  const inputs = group.querySelectorAll("input[type=radio][data-aria-controls]");
  const sync = () => {
    inputs.forEach((input) => {
      const target = document.getElementById(input.dataset.ariaControls);
      if (target) target.classList.toggle("govuk-radios__conditional--hidden", !input.checked);
    });
  };
  inputs.forEach((input) => input.setAttribute("aria-controls", input.dataset.ariaControls));
  group.addEventListener("change", sync);
  // A page restored from the back/forward cache keeps its checked radios.
  window.addEventListener("pageshow", sync);
  sync();
}
document.querySelectorAll("[data-app-reveal]").forEach(revealRadios);
