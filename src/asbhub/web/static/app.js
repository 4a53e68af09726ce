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

// Wide tables scroll sideways in their own box on a phone instead of widening the page. The
// box is a named region that takes focus, so keyboard users can scroll it too.
function tableName(table) {
  if (table.caption && table.caption.textContent.trim()) return table.caption.textContent.trim();
  const heading = document.evaluate(
    "preceding::*[self::h1 or self::h2 or self::h3][1]", table, null,
    XPathResult.FIRST_ORDERED_NODE_TYPE, null,
  ).singleNodeValue;
  return heading ? heading.textContent.trim() : "Table";
}
function wrapTables(root) {
  const tables = root.tagName === "TABLE" ? [root] : root.querySelectorAll("table");
  for (const table of tables) {
    if (!table.closest("main") || table.parentElement.classList.contains("app-table-wrap")) continue;
    const wrap = document.createElement("div");
    wrap.className = "app-table-wrap";
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", tableName(table));
    // Moving a node blurs what has focus inside it (htmx has just put focus back there).
    const focused = table.contains(document.activeElement) ? document.activeElement : null;
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
    if (focused) focused.focus({ preventScroll: true });
  }
}

function enhance(root) {
  wrapTables(root);
  drawCharts(root);
  drawMaps(root);
}

window.addEventListener("load", () => enhance(document));
document.body.addEventListener("htmx:afterSettle", (event) => enhance(event.target));

// The contact queue: after each refresh, say what is new (the live region) and keep the
// keyboard in the list when the item it was on has gone (taken by someone else).
let queueBefore = null;
let focusWasInQueue = false;
function queueItems(root) {
  return new Set([...root.querySelectorAll("[data-queue-item]")].map((a) => a.dataset.queueItem));
}
function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}
document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.target.id !== "queue") return;
  queueBefore = queueItems(event.detail.target);
  focusWasInQueue = event.detail.target.contains(document.activeElement);
});
document.body.addEventListener("htmx:afterSwap", (event) => {
  const queue = event.detail.target;
  if (queue.id !== "queue" || queueBefore === null) return;
  const added = [...queueItems(queue)].filter((item) => !queueBefore.has(item));
  const chats = added.filter((item) => item.startsWith("chat-")).length;
  const reports = added.length - chats;
  const parts = [];
  if (chats) parts.push(plural(chats, "new chat waiting", "new chats waiting"));
  if (reports) parts.push(plural(reports, "new report", "new reports"));
  const news = document.getElementById("queue-news");
  if (news && parts.length) news.textContent = `${parts.join(", ")}.`;
  if (focusWasInQueue && !queue.contains(document.activeElement)) {
    queue.focus({ preventScroll: true });
  }
  queueBefore = null;
});
