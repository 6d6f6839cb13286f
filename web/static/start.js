// The start page's search: areas of every level and addresses (GET /api/search), each hit a link to the area's
// profile. Without this script the form lists matching areas on /areas.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.start-search");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const out = document.getElementById("start-result");
  const list = document.getElementById("start-hits");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    list.textContent = "";
    if (!text) return;
    out.textContent = "Suche …";
    let answer = {hits: []};
    try {
      const response = await fetch("/api/search?" + new URLSearchParams({q: text, limit: "15"}));
      if (response.ok) answer = await response.json();
    } catch (error) {
      out.textContent = "Die Suche ist gerade nicht erreichbar.";
      return;
    }
    out.textContent = answer.hits.length ? `${answer.hits.length} Treffer` : `Nichts gefunden: ${text}`;
    for (const hit of answer.hits) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/areas/${encodeURIComponent(hit.level)}/${encodeURIComponent(hit.key)}`;
      link.textContent = hit.kind === "address"
        ? `${hit.label} → ${hit.level_name_de} ${hit.name}`
        : `${hit.name} – ${hit.level_name_de} ${hit.key}${hit.parent_name ? " (" + hit.parent_name + ")" : ""}`;
      item.appendChild(link);
      list.appendChild(item);
    }
    if (answer.hits.length === 1) list.querySelector("a").focus();
  });
});
