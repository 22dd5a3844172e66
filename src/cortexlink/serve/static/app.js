// cortexlink dashboard: plain JavaScript, no build step. Talks to the same server's API with the
// bearer token typed in (or given as #token=... in the URL: a fragment never reaches the server).
"use strict";

const $ = (id) => document.getElementById(id);
const STATE_ROWS = ["x", "y", "target_x", "target_y", "decoded_vx", "decoded_vy", "intended_vx", "intended_vy", "live"];
const WORKSPACE = 12;          // the cursor task's +-workspace (cm)
const TRAIL = 120, TRACE = 300;
const ui = { graph: null, running: false, sockets: [], trail: [], trace: [], heat: null, crossings: null, timer: null, seenEvents: 0 };

function token() { return $("token").value.trim(); }

function say(text) { $("message").textContent = text || ""; }

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + token() } };
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const res = await fetch(path, opts);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && (typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail))) || res.statusText);
  return data;
}

// -- streams -----------------------------------------------------------------------------------
function openStream(name, rate, onData) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/streams/${encodeURIComponent(name)}?graph=${ui.graph}&rate=${rate}`);
  const graph = ui.graph;
  let ended = false;
  ws.onopen = () => ws.send(JSON.stringify({ token: token() }));
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.error) { ended = true; if (msg.error !== "ended") say(`${name}: ${msg.detail}`); return; }
    if (msg.last) onData(msg);
  };
  // dropped for being slow (or a network hiccup): come back while the graph runs
  ws.onclose = () => {
    ui.sockets = ui.sockets.filter((s) => s !== ws);
    if (!ended && ui.graph === graph && ui.running) setTimeout(() => { if (ui.graph === graph) openStream(name, rate, onData); }, 1000);
  };
  ui.sockets.push(ws);
}

function closeStreams() { const open = ui.sockets; ui.sockets = []; ui.graph = null; open.forEach((ws) => ws.close()); }

function onState(msg) {
  const s = {};
  STATE_ROWS.forEach((k, i) => { s[k] = msg.last[i]; });
  ui.trail.push([s.x, s.y]); if (ui.trail.length > TRAIL) ui.trail.shift();
  ui.trace.push([s.decoded_vx, s.decoded_vy, s.intended_vx, s.intended_vy]); if (ui.trace.length > TRACE) ui.trace.shift();
  $("cursor-pos").textContent = `x ${s.x.toFixed(2)}  y ${s.y.toFixed(2)}  ${s.live ? "closed loop" : "calibrating"}`;
  drawTask(s); drawVelocity();
}

// messages carry running totals: the counts since the last message are the difference
function onCrossings(msg) {
  const prev = ui.crossings; ui.crossings = msg;
  if (!prev || msg.count <= prev.count) return;   // the first message, or a fresh feed after a reconnect
  const n = msg.count - prev.count, sums = msg.total.map((v, i) => v - prev.total[i]);
  ui.heat = ui.heat ? ui.heat.map((v, i) => 0.8 * v + 0.2 * (sums[i] / n)) : sums.map((v) => v / n);
  drawHeat();
}

// -- drawing -----------------------------------------------------------------------------------
function toCanvas(c, x, y) { return [(x / WORKSPACE + 1) * c.width / 2, (1 - y / WORKSPACE) * c.height / 2]; }

function drawTask(s) {
  const c = $("task"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const [tx, ty] = toCanvas(c, s.target_x, s.target_y);
  g.fillStyle = "#2e7d32"; g.beginPath(); g.arc(tx, ty, 2 / WORKSPACE * c.width / 2, 0, 2 * Math.PI); g.fill();
  g.strokeStyle = "#7fd1ff55"; g.beginPath();
  ui.trail.forEach(([x, y], i) => { const [px, py] = toCanvas(c, x, y); i ? g.lineTo(px, py) : g.moveTo(px, py); });
  g.stroke();
  const [cx, cy] = toCanvas(c, s.x, s.y);
  g.fillStyle = "#7fd1ff"; g.beginPath(); g.arc(cx, cy, 7, 0, 2 * Math.PI); g.fill();
}

function drawVelocity() {
  const c = $("velocity"), g = c.getContext("2d"), h = c.height, w = c.width;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#2a313c"; g.beginPath(); g.moveTo(0, h / 4); g.lineTo(w, h / 4); g.moveTo(0, 3 * h / 4); g.lineTo(w, 3 * h / 4); g.stroke();
  const scale = (h / 4) / 25;   // +-25 cm/s fills each half
  [[0, "#7fd1ff", h / 4], [2, "#ffb36b", h / 4], [1, "#7fd1ff", 3 * h / 4], [3, "#ffb36b", 3 * h / 4]].forEach(([k, colour, mid]) => {
    g.strokeStyle = colour; g.beginPath();
    ui.trace.forEach((v, i) => { const x = i * w / TRACE, y = mid - v[k] * scale; i ? g.lineTo(x, y) : g.moveTo(x, y); });
    g.stroke();
  });
}

function drawHeat() {
  const c = $("heat"), g = c.getContext("2d"), v = ui.heat, n = v.length;
  const cols = Math.ceil(Math.sqrt(n * c.width / c.height)), rows = Math.ceil(n / cols);
  const cw = c.width / cols, ch = c.height / rows, top = Math.max(1e-9, ...v);
  g.clearRect(0, 0, c.width, c.height);
  v.forEach((val, i) => {
    const a = val / top;
    g.fillStyle = `rgb(${Math.round(255 * a)}, ${Math.round(120 * a)}, ${Math.round(40 + 60 * (1 - a))})`;
    g.fillRect((i % cols) * cw, Math.floor(i / cols) * ch, cw - 1, ch - 1);
  });
}

function drawHistogram(node) {
  const c = $("hist"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const h = node && node.e2e_histogram;
  if (!h || !h.counts.length) return;
  $("hist-node").textContent = node.nickname;
  const logs = h.edges_us.map((e) => Math.log10(Math.max(e, 1))), lo = Math.min(...logs), hi = Math.max(...logs) + 0.05;
  const top = Math.max(...h.counts), bw = Math.max(2, c.width / ((hi - lo) / 0.0188 + 1));
  g.fillStyle = "#7fd1ff";
  h.counts.forEach((n, i) => {
    const x = (logs[i] - lo) / (hi - lo) * (c.width - bw), bh = n / top * (c.height - 16);
    g.fillRect(x, c.height - 14 - bh, bw, bh);
  });
  g.fillStyle = "#9fb3c8";
  g.fillText(`${h.edges_us[0].toFixed(0)} us`, 2, c.height - 2);
  g.fillText(`${h.edges_us[h.edges_us.length - 1].toFixed(0)} us`, c.width - 60, c.height - 2);
}

// -- status ------------------------------------------------------------------------------------
const fmt = (v) => (v === null || v === undefined ? "-" : Math.round(v).toString());

function showStatus(st) {
  ui.running = st.running;
  $("graph-state").textContent = `${st.id} ${st.running ? "running" : "stopped"} ${st.elapsed_s.toFixed(0)} s`;
  $("graph-state").className = "state" + (st.running ? " running" : "");
  $("drops").textContent = `drops ${st.drops}`;
  const body = $("latency").querySelector("tbody");
  body.innerHTML = "";
  st.nodes.forEach((n) => {
    const tr = document.createElement("tr");
    [n.nickname, n.state.replace("NODE_", ""), fmt(n.e2e_p50_us), fmt(n.e2e_p99_us), fmt(n.e2e_max_us),
      fmt(n.process_p99_us), n.dropped].forEach((v) => { const td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
    body.appendChild(tr);
  });
  const sinks = st.nodes.filter((n) => n.chunks_out === 0 && n.e2e_histogram.counts.length);
  drawHistogram(sinks[sinks.length - 1] || st.nodes[st.nodes.length - 1]);
  const fresh = st.events.slice(Math.max(0, st.events.length - 30));
  $("events").innerHTML = fresh.reverse().map((e) => `<li>${e.t.toFixed(1)} s ${escapeHtml(e.node)} ${escapeHtml(e.state)} ${escapeHtml(e.message)}</li>`).join("");
  const kinds = Object.fromEntries(st.nodes.map((n) => [n.nickname, n.kind]));
  const alerts = st.events.filter((e) => /seizure|safety/.test(kinds[e.node] || "") && e.state === "NODE_WARNING");
  $("alerts").innerHTML = alerts.reverse().map((e) => `<li>${e.t.toFixed(1)} s ${escapeHtml(e.node)}: ${escapeHtml(e.message)}</li>`).join("") || "<li class=quiet>none</li>";
  if (!st.running && ui.timer) { clearInterval(ui.timer); ui.timer = null; }
}

function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`); }

async function poll() {
  if (!ui.graph) return;
  try { showStatus(await api("GET", `/graphs/${ui.graph}`)); } catch (e) { say(e.message); }
}

function attach(st) {
  closeStreams();
  ui.graph = st.id; ui.running = st.running; ui.trail = []; ui.trace = []; ui.heat = null; ui.crossings = null;
  if (st.streams.cursor) openStream("cursor", 60, onState);
  if (st.streams.crossings) openStream("crossings", 10, onCrossings);
  showStatus(st);
  if (ui.timer) clearInterval(ui.timer);
  ui.timer = setInterval(poll, 500);
}

// -- controls ----------------------------------------------------------------------------------
async function start() {
  say("starting...");
  try {
    const res = await api("POST", "/graphs", { graph: $("graph-name").value, duration_s: Number($("duration").value) });
    say(""); attach(res.status);
  } catch (e) { say(e.message); }
}

async function stop() {
  if (!ui.graph) return;
  try { showStatus(await api("DELETE", `/graphs/${ui.graph}`)); } catch (e) { say(e.message); }
}

async function emergencyStop() {
  say("EMERGENCY STOP");
  try {
    const res = await api("POST", ui.graph ? `/graphs/${ui.graph}/stop-all` : "/stop-all");
    say("emergency stop: " + JSON.stringify(res.safety_nodes || res));
    poll();
  } catch (e) { say("emergency stop failed: " + e.message); }
}

async function connect() {
  sessionStorage.setItem("cortexlink-token", token());
  try {
    const names = await api("GET", "/graphs/available");
    $("graph-name").innerHTML = names.map((n) => `<option>${escapeHtml(n)}</option>`).join("");
    const running = (await api("GET", "/graphs")).filter((g) => g.running);
    if (running.length) attach(running[running.length - 1]);
    say("");
  } catch (e) { say(e.message); }
}

window.addEventListener("keydown", (ev) => { if (ev.key === "Escape") emergencyStop(); });
$("estop").addEventListener("click", emergencyStop);
$("start").addEventListener("click", start);
$("stop").addEventListener("click", stop);
$("token").addEventListener("change", connect);
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) history.replaceState(null, "", location.pathname);
$("token").value = fromHash || sessionStorage.getItem("cortexlink-token") || "";
if (token()) connect();
