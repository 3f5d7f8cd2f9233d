// proxyseg compare mode: one upload, 2 to 4 methods, POST /api/compare, panels side by side + one legend.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const limits = document.body.dataset;
  const maxBytes = parseFloat(limits.maxUploadMb) * 1024 * 1024;
  const minM = parseInt(limits.minMethods, 10), maxM = parseInt(limits.maxMethods, 10);
  let file = null;

  function showError(msg) {
    const box = $("error");
    box.textContent = msg;
    box.hidden = !msg;
  }

  function busy(on) {
    $("spinner").hidden = !on;
    $("go").disabled = on;
    $("status").textContent = on ? "segmenting with every method…" : "";
  }

  function choose(f) {
    if (!f) return;
    file = f;
    const kb = f.size / 1024;
    $("filename").textContent = f.name + " (" + (kb < 1024 ? kb.toFixed(0) + " KB" : (kb / 1024).toFixed(1) + " MB") + ")";
    showError(f.size > maxBytes ? "This file is larger than the " + limits.maxUploadMb + " MB limit." : "");
  }

  $("file").addEventListener("change", (e) => choose(e.target.files[0]));
  const drop = $("drop");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => choose(e.dataTransfer.files[0]));
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); }
  });

  const bg = $("background"), thd = $("thd");
  bg.addEventListener("change", () => { thd.disabled = !bg.checked; });
  thd.addEventListener("input", () => { $("thdval").textContent = parseFloat(thd.value).toFixed(2); });

  const boxes = () => Array.from(document.querySelectorAll("#methods input[type=checkbox]"));
  function limitChoice() {  // at most maxM: the others are disabled until one is unchecked
    const n = boxes().filter((b) => b.checked).length;
    boxes().forEach((b) => { b.disabled = !b.checked && n >= maxM; });
  }
  boxes().forEach((b) => b.addEventListener("change", limitChoice));
  limitChoice();

  function figure(src, title, sub) {
    const fig = document.createElement("figure");
    const cap = document.createElement("figcaption");
    cap.textContent = title;
    cap.title = title;
    if (sub) {
      const s = document.createElement("small");
      s.textContent = sub;
      cap.appendChild(s);
    }
    const img = document.createElement("img");
    img.src = src;
    img.alt = title;
    fig.appendChild(cap);
    fig.appendChild(img);
    return fig;
  }

  function render(data) {
    const panels = $("panels");
    panels.textContent = "";
    panels.appendChild(figure(data.image_jpeg, "input", data.width + "×" + data.height + " px"));
    for (const p of data.panels) {
      panels.appendChild(figure(p.overlay_png, p.method, p.seconds.toFixed(2) + " s" + (p.vfm ? " · " + p.vfm : "")));
    }
    const table = $("legend");
    const head = table.tHead;
    head.textContent = "";
    const hr = head.insertRow();
    hr.appendChild(document.createElement("th"));
    hr.appendChild(document.createElement("th"));
    for (const m of data.methods) {
      const th = document.createElement("th");
      th.textContent = m;
      hr.appendChild(th);
    }
    const body = table.tBodies[0];
    body.textContent = "";
    for (const r of data.legend) {
      const tr = body.insertRow();
      const total = data.methods.reduce((a, m) => a + (r.shares[m] || 0), 0);
      tr.className = total > 0 ? "present" : "absent";
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.backgroundColor = r.color;  // CSSOM: allowed by the CSP
      tr.insertCell().appendChild(sw);
      tr.insertCell().textContent = r.name;
      for (const m of data.methods) {
        const td = tr.insertCell();
        td.className = "num";
        td.textContent = (100 * (r.shares[m] || 0)).toFixed(1) + "%";
      }
    }
    $("meta").textContent = data.seconds.toFixed(2) + " s in all · " + data.config +
      (data.background ? " · threshold " + data.prob_thd : "");
    $("result").hidden = false;
  }

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    const classes = $("classes").value.trim();
    const methods = boxes().filter((b) => b.checked).map((b) => b.value);
    if (!file) return showError("Choose or drop an image first.");
    if (file.size > maxBytes) return showError("This file is larger than the " + limits.maxUploadMb + " MB limit.");
    if (!classes) return showError("Type at least one class, e.g. 'cat, dog; puppy, sky'.");
    if (methods.length < minM || methods.length > maxM) {
      return showError("Choose " + minM + " to " + maxM + " methods to compare.");
    }
    const fd = new FormData();
    fd.append("image", file, file.name);
    fd.append("classes", classes);
    methods.forEach((m) => fd.append("methods", m));
    if (bg.checked) {
      fd.append("background", "1");
      fd.append("prob_thd", thd.value);
    }
    busy(true);
    try {
      const resp = await fetch("api/compare", { method: "POST", body: fd });
      let data = null;
      try { data = await resp.json(); } catch (_) { /* not JSON */ }
      if (!resp.ok || !data) {
        showError((data && data.error) || ("Request failed: HTTP " + resp.status + " " + resp.statusText));
        return;
      }
      render(data);
    } catch (err) {
      showError("Could not reach the server: " + err.message);
    } finally {
      busy(false);
    }
  });
})();
