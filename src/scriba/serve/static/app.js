// The Scriba web page: send a file to the API, draw the page with its word boxes, show text and Markdown,
// offer the JSON and Markdown for download. Plain browser APIs; nothing is fetched from other sites.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { file: null, doc: null, markdown: "", pageIndex: 0, image: null, imageFor: -1 };

function headers() {
  const key = $("apikey").value.trim();
  return key ? { Authorization: "Bearer " + key } : {};
}

function setStatus(message, isError = false) {
  $("status").textContent = message;
  $("status").classList.toggle("error", isError);
}

async function apiError(resp) {
  try {
    const body = await resp.json();
    return body.error || JSON.stringify(body);
  } catch (_) {
    return resp.status + " " + resp.statusText;
  }
}

async function loadModels() {
  const select = $("model");
  try {
    const resp = await fetch("/v1/models", { headers: headers() });
    if (!resp.ok) throw new Error(await apiError(resp));
    const body = await resp.json();
    select.replaceChildren();
    for (const m of body.models) {
      const opt = document.createElement("option");
      opt.value = m.name; opt.textContent = m.name; opt.selected = m.name === body.default;
      select.append(opt);
    }
  } catch (_) {
    // An API key may be needed first; the server's default model is used meanwhile.
    if (!select.options.length) select.append(new Option("default", ""));
  }
}

async function readFile(file) {
  state.file = file; state.doc = null; state.image = null; state.imageFor = -1; state.pageIndex = 0;
  const mode = $("mode").value;
  const form = new FormData();
  form.append("file", file, file.name);
  const model = $("model").value;
  const url = mode === "parse" ? "/v1/parse" : "/v1/ocr?format=json" + (model ? "&model=" + encodeURIComponent(model) : "");
  setStatus("Reading " + file.name + " …");
  const t0 = performance.now();
  let resp;
  try {
    resp = await fetch(url, { method: "POST", body: form, headers: headers() });
  } catch (e) {
    setStatus("The server cannot be reached: " + e.message, true); return;
  }
  if (!resp.ok) { setStatus(file.name + ": " + (await apiError(resp)) + " (HTTP " + resp.status + ")", true); return; }
  const body = await resp.json();
  if (mode === "parse") {
    state.doc = body.document; state.markdown = body.markdown;
  } else {
    state.doc = body;
    const md = await fetch("/v1/export?format=md", {
      method: "POST", body: JSON.stringify(body), headers: { ...headers(), "Content-Type": "application/json" },
    });
    state.markdown = md.ok ? await md.text() : "";
  }
  const pages = state.doc.pages.length;
  const words = state.doc.pages.reduce((n, p) => n + pageWords(p).length, 0);
  setStatus(`${file.name}: ${pages} page(s), ${words} words in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  $("result").hidden = false;
  $("text").textContent = state.doc.pages.map((p) => p.text).join("\n\n");
  ScribaMarkdown.render(state.markdown, $("markdown"));
  await showPage(0);
}

function pageLines(page) { return page.blocks.flatMap((b) => b.lines || []); }
function pageWords(page) { return pageLines(page).flatMap((l) => l.words || []); }

async function pageImage(index) {
  const file = state.file;
  const isPdf = file.type === "application/pdf" || /\.pdf$/i.test(file.name);
  if (!isPdf && index === 0) {
    try { return await createImageBitmap(file); } catch (_) { /* TIFF and friends: let the server render */ }
  }
  const form = new FormData();
  form.append("file", file, file.name);
  const resp = await fetch("/v1/render?page=" + (index + 1), { method: "POST", body: form, headers: headers() });
  if (!resp.ok) return null;
  return await createImageBitmap(await resp.blob());
}

function strokePolygon(ctx, polygon) {
  if (!polygon || polygon.length < 3) return false;
  ctx.beginPath();
  ctx.moveTo(polygon[0][0], polygon[0][1]);
  for (const [x, y] of polygon.slice(1)) ctx.lineTo(x, y);
  ctx.closePath();
  ctx.stroke();
  return true;
}

async function showPage(index) {
  const page = state.doc.pages[index];
  state.pageIndex = index;
  $("pageinfo").textContent = `page ${index + 1} of ${state.doc.pages.length}`;
  $("prev").disabled = index === 0;
  $("next").disabled = index >= state.doc.pages.length - 1;
  if (state.imageFor !== index) { state.image = await pageImage(index); state.imageFor = index; }
  const canvas = $("canvas");
  canvas.width = Math.max(1, page.width); canvas.height = Math.max(1, page.height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (state.image) ctx.drawImage(state.image, 0, 0, canvas.width, canvas.height);
  let boxes = 0;
  ctx.lineWidth = Math.max(1.5, page.width / 700);
  if ($("showlines").checked) {
    ctx.strokeStyle = "rgba(230, 120, 0, 0.9)";
    for (const line of pageLines(page)) boxes += strokePolygon(ctx, line.polygon) ? 1 : 0;
  }
  if ($("showwords").checked) {
    ctx.strokeStyle = "rgba(0, 90, 255, 0.9)";
    for (const word of pageWords(page)) boxes += strokePolygon(ctx, word.polygon) ? 1 : 0;
  }
  canvas.dataset.boxes = String(boxes);
  canvas.dataset.page = String(index);
}

function download(name, text, type) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function stem() { return (state.file ? state.file.name : "result").replace(/\.[^.]+$/, ""); }

function setup() {
  const drop = $("drop");
  $("file").addEventListener("change", (e) => { if (e.target.files[0]) readFile(e.target.files[0]); });
  for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  drop.addEventListener("drop", (e) => { const f = e.dataTransfer.files[0]; if (f) readFile(f); });
  $("prev").addEventListener("click", () => showPage(state.pageIndex - 1));
  $("next").addEventListener("click", () => showPage(state.pageIndex + 1));
  $("showwords").addEventListener("change", () => state.doc && showPage(state.pageIndex));
  $("showlines").addEventListener("change", () => state.doc && showPage(state.pageIndex));
  $("apikey").addEventListener("change", loadModels);
  $("dl-json").addEventListener("click", () => download(stem() + ".json", JSON.stringify(state.doc, null, 2), "application/json"));
  $("dl-md").addEventListener("click", () => download(stem() + ".md", state.markdown, "text/markdown"));
  loadModels();
}

setup();
