// asbhub's only first-party script. Loaded as a module after the vendored libraries; the CSP
// forbids inline script, so every behaviour is wired here from data-* attributes.
import { initAll } from "./vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// htmx requests carry the session's CSRF token as a header.
const csrf = document.querySelector('meta[name="csrf-token"]');
document.body.addEventListener("htmx:configRequest", (event) => {
  if (csrf) event.detail.headers["X-CSRF-Token"] = csrf.content;
});

function drawCharts(root) {
  if (!window.Chart) return;
  for (const canvas of root.querySelectorAll("canvas[data-chart]")) {
    if (canvas.dataset.drawn) continue;
    canvas.dataset.drawn = "1";
    const data = JSON.parse(canvas.dataset.chart);
    new window.Chart(canvas, {
      type: "line",
      data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "right" } },
        scales: { y: { beginAtZero: true, title: { display: true, text: "Incidents" } } },
      },
    });
  }
}

function drawMaps(root) {
  if (!window.L) return;
  for (const el of root.querySelectorAll("[data-map]")) {
    if (el.dataset.drawn) continue;
    el.dataset.drawn = "1";
    const spec = JSON.parse(el.dataset.map);
    // No tile server: the map shows the search circle and the incidents on a plain ground,
    // so nothing leaves the force network.
    const map = window.L.map(el, { attributionControl: false }).setView(spec.centre, 15);
    const circle = window.L.circle(spec.centre, { radius: spec.radius }).addTo(map);
    for (const p of spec.points) {
      const marker = window.L.circleMarker([p.lat, p.lon], { radius: 5 }).addTo(map);
      const link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.ref;
      marker.bindPopup(link);
    }
    map.fitBounds(circle.getBounds());
  }
}

function enhance(root) {
  drawCharts(root);
  drawMaps(root);
}

window.addEventListener("load", () => enhance(document));
document.body.addEventListener("htmx:afterSettle", (event) => enhance(event.target));
