// The public pages' module: turns on govuk-frontend's behaviours (conditional reveals, error
// summary focus). Without it every question still shows and the form still works.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
