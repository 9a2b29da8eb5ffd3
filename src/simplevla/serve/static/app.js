// The page of `simplevla serve`: one session per tab, control over the JSON API, live frames over a
// WebSocket. Everything the server or the user wrote is shown with textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const canvas = $("scene");
const ctx = canvas.getContext("2d");
let info = null; // GET /api/info
let sid = null; // this tab's session id
let socket = null; // the live-run WebSocket of `sid`
let seed = 0;
let framesSeen = 0;
let drawn = 0; // the sequence number of the last frame drawn (frames may decode out of order)

function showError(message) {
  $("error").textContent = message || "";
}

async function api(method, path, body) {
  const options = { method, headers: { "Content-Type": "application/json" } };
  if (body !== undefined) options.body = JSON.stringify(body);
  const res = await fetch(path, options);
  let data;
  try {
    data = await res.json();
  } catch (e) {
    data = { error: `${res.status} ${res.statusText}` };
  }
  if (!res.ok) {
    const err = new Error(data.error || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
}

function drawMarkers(xy) {
  if (!xy) return;
  const w = canvas.width, h = canvas.height;
  const px = (x) => x * w, py = (y) => (1 - y) * h; // table units, y up -> canvas pixels, y down
  ctx.lineWidth = 3;
  ctx.strokeStyle = "#e0218a";
  ctx.beginPath();
  ctx.arc(px(xy[0]), py(xy[1]), 18, 0, 2 * Math.PI);
  ctx.stroke();
  const gx = px(xy[2]), gy = py(xy[3]);
  ctx.strokeStyle = "#0a7d8c";
  ctx.beginPath();
  ctx.moveTo(gx - 14, gy - 14); ctx.lineTo(gx + 14, gy + 14);
  ctx.moveTo(gx + 14, gy - 14); ctx.lineTo(gx - 14, gy + 14);
  ctx.stroke();
}

function showFrame(f) {
  framesSeen += 1;
  const number = framesSeen;
  $("frames").textContent = String(framesSeen);
  const img = new Image();
  img.onload = () => {
    if (number < drawn) return;
    drawn = number;
    ctx.imageSmoothingEnabled = false; // nearest-neighbour: the env's own pixels, only larger
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    drawMarkers(f.task_xy);
  };
  img.src = "data:image/png;base64," + f.frame;
  $("status").textContent = `step ${f.step} of ${f.max_steps}` + (f.done ? ", ended" : "");
  const outcome = $("outcome");
  outcome.textContent = f.outcome || "-";
  outcome.className = f.outcome ? (f.success ? "success" : "failure") : "";
  if (f.instruction !== undefined) $("used").textContent = f.instruction;
  if (f.reading !== undefined) showReading(f.reading);
}

function showReading(r) {
  $("reading").textContent = r && r.reading ? r.reading : "(this policy does not expose a reading)";
  $("understood").textContent = r && r.reading ? (r.understood ? "yes" : "no") : "-";
}

function showState(s) {
  sid = s.session;
  seed = s.seed;
  $("seed").value = String(s.seed);
  $("instruction").value = s.instruction;
  $("task").textContent = s.task;
  $("group").value = s.group === null ? "" : s.group;
  const box = $("examples");
  box.replaceChildren();
  for (const ex of s.examples) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = ex.text;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = ex.kind;
    b.appendChild(kind);
    b.addEventListener("click", () => { $("instruction").value = ex.text; });
    box.appendChild(b);
  }
  $("gif").href = `/api/sessions/${sid}/episode.gif`;
  $("mp4").href = `/api/sessions/${sid}/episode.mp4`;
  $("mp4").hidden = !info.formats.includes("mp4");
  showFrame(s);
}

function fillGroups(suite) {
  const s = info.suites[suite];
  $("group-label").textContent = s.group === "family" ? "Family" : "Task";
  const select = $("group");
  select.replaceChildren();
  const any = document.createElement("option");
  any.value = "";
  any.textContent = "any";
  select.appendChild(any);
  for (const g of s.groups) {
    const o = document.createElement("option");
    o.value = g;
    o.textContent = g;
    select.appendChild(o);
  }
}

function chosenGroup() {
  return $("group").value === "" ? null : $("group").value;
}

function closeSocket() {
  if (socket) socket.close();
  socket = null;
}

async function openSession(body) {
  closeSocket();
  if (sid) api("DELETE", `/api/sessions/${sid}`).catch(() => {});
  sid = null;
  showState(await api("POST", "/api/sessions", { suite: $("suite").value, ...body }));
}

// A scene at `newSeed` with its own wording (or `instruction`); a new session if this one is gone.
async function loadScene(newSeed, instruction) {
  const body = { seed: newSeed, group: chosenGroup() };
  if (instruction !== undefined) body.instruction = instruction;
  try {
    if (!sid) return await openSession(body);
    showState(await api("POST", `/api/sessions/${sid}/reset`, body));
  } catch (e) {
    if (e.status === 404 || e.status === 410) return openSession(body);
    throw e;
  }
}

function connect() {
  return new Promise((resolve, reject) => {
    if (socket && socket.readyState === WebSocket.OPEN) return resolve(socket);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/sessions/${sid}/live`);
    ws.onopen = () => { socket = ws; resolve(ws); };
    ws.onerror = () => reject(new Error("the live connection failed; is the server still running?"));
    ws.onclose = () => { if (socket === ws) socket = null; };
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "frame" || msg.type === "end") showFrame(msg);
      else if (msg.type === "paused") $("status").textContent = `paused at step ${msg.step}`;
      else if (msg.type === "error") showError(msg.error);
    };
  });
}

function guarded(fn) {
  return async () => {
    showError("");
    try {
      await fn();
    } catch (e) {
      showError(e.message);
    }
  };
}

$("run").addEventListener("click", guarded(async () => {
  const ws = await connect();
  ws.send(JSON.stringify({ op: "run", instruction: $("instruction").value }));
}));
$("step").addEventListener("click", guarded(async () => {
  showFrame(await api("POST", `/api/sessions/${sid}/step`, { instruction: $("instruction").value }));
}));
$("pause").addEventListener("click", guarded(async () => {
  if (socket) socket.send(JSON.stringify({ op: "pause" }));
}));
$("reset").addEventListener("click", guarded(() => loadScene(seed, $("instruction").value)));
$("new").addEventListener("click", guarded(() => loadScene(seed + 1)));
$("seed").addEventListener("change", guarded(() => loadScene(Number($("seed").value))));
$("group").addEventListener("change", guarded(() => loadScene(seed)));
$("suite").addEventListener("change", guarded(async () => {
  fillGroups($("suite").value);
  await openSession({ seed });
}));
window.addEventListener("pagehide", () => {
  if (sid) fetch(`/api/sessions/${sid}`, { method: "DELETE", keepalive: true });
});

guarded(async () => {
  info = await api("GET", "/api/info");
  const suites = Object.keys(info.suites);
  for (const name of suites) {
    const o = document.createElement("option");
    o.value = name;
    o.textContent = name;
    $("suite").appendChild(o);
  }
  $("suite-box").hidden = suites.length < 2;
  fillGroups(suites[0]);
  $("status").textContent = "opening a scene";
  await openSession({ seed: info.default_seed });
})();
