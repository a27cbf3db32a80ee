// The public map: one point per facility, coloured by level and marked with the level's
// letter (colour is never the only signal), clustered so a province of 60,000 fits a screen.
// Without tiles (none configured, or offline) the points stand on a plain background.

const LEVELS = {
  SAFE: { name: "An toàn", css: "safe", letter: "A" },
  AT_RISK: { name: "Có nguy cơ", css: "at-risk", letter: "N" },
  UNSAFE: { name: "Không an toàn", css: "unsafe", letter: "K" },
  OVERDUE: { name: "Quá hạn đánh giá", css: "overdue", letter: "Q" },
  NOT_ASSESSED: { name: "Chưa đánh giá", css: "not-assessed", letter: "C" },
};
const ORDER = ["UNSAFE", "AT_RISK", "OVERDUE", "NOT_ASSESSED", "SAFE"];

const element = document.getElementById("map");
const summary = document.getElementById("map-summary");

function pointIcon(level) {
  const l = LEVELS[level];
  return L.divIcon({
    className: `point ${l.css}`,
    html: `<span aria-hidden="true">${l.letter}</span>`,
    iconSize: [22, 22],
  });
}

// A cluster shows how many facilities it holds, takes the colour of the level most of them
// have, and names every level's count in its tooltip (a red cluster of mostly green points
// would alarm; a green one hiding red points would mislead: the tooltip says both).
function clusterIcon(cluster) {
  const counts = {};
  for (const marker of cluster.getAllChildMarkers()) {
    counts[marker.options.level] = (counts[marker.options.level] || 0) + 1;
  }
  const most = ORDER.reduce((a, b) => ((counts[b] || 0) > (counts[a] || 0) ? b : a));
  const n = cluster.getChildCount();
  const parts = ORDER.filter((level) => counts[level]).map(
    (level) => `${counts[level]} ${LEVELS[level].name.toLowerCase()}`,
  );
  const label = `${n} cơ sở: ${parts.join(", ")}`;
  const size = n < 100 ? 34 : n < 1000 ? 42 : 50;
  return L.divIcon({
    className: `cluster ${LEVELS[most].css}`,
    html: `<span title="${label}" aria-label="${label}">${n}</span>`,
    iconSize: [size, size],
  });
}

function text(value) {
  const span = document.createElement("span");
  span.textContent = value;
  return span.innerHTML;
}

async function draw() {
  const response = await fetch(element.dataset.source, { credentials: "same-origin" });
  if (!response.ok) {
    summary.textContent = "Không tải được bản đồ. Hãy thử lại sau ít phút.";
    return;
  }
  const data = await response.json();
  // maxZoom on the map itself: without tiles nothing else tells the clusters where to stop.
  const map = L.map(element, { zoomControl: true, maxZoom: 18 });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, {
      maxZoom: 18,
      attribution: element.dataset.attribution || "",
    }).addTo(map);
  }
  // Chunked: a province of 60,000 points is added a slice at a time, the page staying
  // responsive; the map counts as drawn once the last slice is in.
  let drawn = () => {};
  const loaded = new Promise((resolve) => (drawn = resolve));
  const group = L.markerClusterGroup({
    chunkedLoading: true,
    chunkProgress: (processed, total) => {
      if (processed === total) drawn();
    },
    iconCreateFunction: clusterIcon,
    showCoverageOnHover: false,
    maxClusterRadius: 60,
    // At street level every facility is its own point, however close its neighbours.
    disableClusteringAtZoom: 17,
  });
  const icons = Object.fromEntries(Object.keys(LEVELS).map((k) => [k, pointIcon(k)]));
  const markers = [];
  const counts = {};
  for (const [lat, lon, level, district, name, date] of data.points) {
    counts[level] = (counts[level] || 0) + 1;
    const l = LEVELS[level];
    const marker = L.marker([lat, lon], {
      icon: icons[level],
      level,
      title: `${name}: ${l.name}`,
      alt: `${name}: ${l.name}`,
      keyboard: true,
    });
    marker.bindPopup(
      `<strong>${text(name)}</strong><br>${text(data.districts[district] || district)}<br>` +
        `<span class="dot ${l.css}" aria-hidden="true">${l.letter}</span> ${l.name}<br>` +
        (date ? `Tự đánh giá gần nhất: ${text(date.split("-").reverse().join("/"))}` : "Chưa tự đánh giá"),
    );
    markers.push(marker);
  }
  // The view first (the clusters need a zoom to be built for): `#zoom/latitude/longitude`
  // opens that place (a link to one facility's surroundings), also when only the fragment
  // changes; otherwise the whole province.
  const place = () => {
    const [zoom, lat, lon] = location.hash.slice(1).split("/").map(Number);
    if (!Number.isFinite(zoom) || !Number.isFinite(lat) || !Number.isFinite(lon)) return false;
    map.setView([lat, lon], Math.min(18, Math.max(1, zoom)));
    return true;
  };
  window.addEventListener("hashchange", place);
  if (!place()) {
    if (markers.length > 0) {
      map.fitBounds(L.latLngBounds(markers.map((marker) => marker.getLatLng())), {
        padding: [20, 20],
      });
    } else {
      map.setView([16.0, 106.0], 5);
    }
  }
  map.addLayer(group);
  group.addLayers(markers);
  if (markers.length === 0) drawn();
  await loaded;
  // What was drawn, for anyone checking the map against the reports (the browser tests do).
  element.dataset.points = String(markers.length);
  for (const [level, l] of Object.entries(LEVELS)) {
    element.setAttribute(`data-count-${l.css}`, String(counts[level] || 0));
  }
  element.dataset.ready = "true";
}

draw().catch((error) => {
  console.error("map:", error);
  summary.textContent = "Không tải được bản đồ. Hãy thử lại sau ít phút.";
});
