// proxyseg web page: choose/drop an image, POST /api/segment, show overlay + legend. No dependencies.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const limits = document.body.dataset;
  const maxBytes = parseFloat(limits.maxUploadMb) * 1024 * 1024;
  let file = null;

  function showError(msg) {
    const box = $("error");
    box.textContent = msg;
    box.hidden = !msg;
  }

  function busy(on) {
    $("spinner").hidden = !on;
    $("go").disabled = on;
    $("status").textContent = on ? "segmenting…" : "";
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
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault();
    drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault();
    drop.classList.remove("over");
  }));
  drop.addEventListener("drop", (e) => choose(e.dataTransfer.files[0]));
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); }
  });

  const bg = $("background"), thd = $("thd");
  bg.addEventListener("change", () => { thd.disabled = !bg.checked; });
  thd.addEventListener("input", () => { $("thdval").textContent = parseFloat(thd.value).toFixed(2); });

  function renderLegend(rows) {
    const body = $("legend").tBodies[0];
    body.textContent = "";
    for (const r of rows) {
      const tr = body.insertRow();
      tr.className = r.share > 0 ? "present" : "absent";
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.backgroundColor = r.color;  // CSSOM: allowed by the CSP (no inline style attribute)
      tr.insertCell().appendChild(sw);
      tr.insertCell().textContent = r.name;
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = Math.round(r.share * 100) + "%";
      bar.style.backgroundColor = r.color;
      const cell = tr.insertCell();
      cell.className = "share";
      cell.appendChild(bar);
      tr.insertCell().textContent = (100 * r.share).toFixed(1) + "%";
    }
  }

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    const classes = $("classes").value.trim();
    if (!file) return showError("Choose or drop an image first.");
    if (file.size > maxBytes) return showError("This file is larger than the " + limits.maxUploadMb + " MB limit.");
    if (!classes) return showError("Type at least one class, e.g. 'cat, dog; puppy, sky'.");
    const fd = new FormData();
    fd.append("image", file, file.name);
    fd.append("classes", classes);
    if (bg.checked) {
      fd.append("background", "1");
      fd.append("prob_thd", thd.value);
    }
    busy(true);
    try {
      const resp = await fetch("api/segment", { method: "POST", body: fd });
      let data = null;
      try { data = await resp.json(); } catch (_) { /* not JSON */ }
      if (!resp.ok || !data) {
        showError((data && data.error) || ("Request failed: HTTP " + resp.status + " " + resp.statusText));
        return;
      }
      $("orig").src = data.image_jpeg;
      $("overlay").src = data.overlay_png;
      renderLegend(data.legend);
      const dl = $("download");
      dl.href = data.mask_png;
      dl.download = data.mask_filename;
      $("meta").textContent = data.width + "×" + data.height + " px · " + data.seconds.toFixed(2) + " s · " +
        data.config + (data.background ? " · threshold " + data.prob_thd : "");
      $("result").hidden = false;
    } catch (err) {
      showError("Could not reach the server: " + err.message);
    } finally {
      busy(false);
    }
  });
})();
