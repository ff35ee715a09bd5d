// A searchable select filled from a JSON endpoint (the people picker of a form).
//
//   <select name="person" data-picker-url="/…/people/"
//           data-picker-depends="#id_department"     the select whose value is sent as ?department=
//           data-picker-exclusive="#id_person_name"  an input used only when nothing is chosen here
//           data-picker-placeholder="…" data-picker-choose="…" data-picker-none="…" data-picker-more="…">
//
// The endpoint answers {"results": [{"id": 1, "text": "…"}], "more": false} for
// ?department=<id>&q=<text>; it decides who may be listed. Without JavaScript the select
// keeps what the server rendered (the people of the department submitted), so the form
// still works. Kept CSP-clean: no inline script or style; classes only.
(() => {
  "use strict";

  const find = (selector) => (selector ? document.querySelector(selector) : null);

  function setup(select) {
    const depends = find(select.dataset.pickerDepends);
    const exclusive = find(select.dataset.pickerExclusive);
    const emptyOption = select.querySelector('option[value=""]');
    const emptyLabel = emptyOption ? emptyOption.textContent : "";

    const search = document.createElement("input");
    search.type = "search";
    search.className = "form-control mb-1";
    search.autocomplete = "off";
    search.placeholder = select.dataset.pickerPlaceholder || "";
    search.setAttribute("aria-label", search.placeholder);
    search.setAttribute("aria-controls", select.id);
    search.dataset.pickerSearch = select.name;
    select.before(search);

    const note = document.createElement("div");
    note.className = "form-hint text-secondary";
    note.setAttribute("role", "status");
    note.setAttribute("aria-live", "polite");
    select.after(note);

    let timer = null;
    let asked = 0;

    function syncExclusive() {
      if (!exclusive) return;
      // A chosen user carries the name; the free-text name is for anyone else.
      exclusive.disabled = select.value !== "";
    }

    function fill(results, more, department) {
      const chosen = select.selectedOptions[0];
      const keep = chosen && chosen.value ? chosen : null;
      const options = [new Option(emptyLabel, "")];
      let kept = false;
      for (const row of results) {
        const option = new Option(row.text, String(row.id));
        if (keep && option.value === keep.value) {
          option.selected = true;
          kept = true;
        }
        options.push(option);
      }
      // A search that no longer lists the chosen person does not unchoose them.
      if (keep && !kept) {
        keep.selected = true;
        options.splice(1, 0, keep);
      }
      select.replaceChildren(...options);
      if (!department) {
        note.textContent = select.dataset.pickerChoose || "";
      } else if (more) {
        note.textContent = select.dataset.pickerMore || "";
      } else if (!results.length) {
        note.textContent = select.dataset.pickerNone || "";
      } else {
        note.textContent = "";
      }
      syncExclusive();
    }

    async function load() {
      const department = depends ? depends.value : "";
      const mine = ++asked;
      search.disabled = Boolean(depends) && !department;
      if (depends && !department) {
        fill([], false, "");
        return;
      }
      const url = new URL(select.dataset.pickerUrl, window.location.href);
      if (department) url.searchParams.set("department", department);
      const text = search.value.trim();
      if (text) url.searchParams.set("q", text);
      let data = { results: [], more: false };
      try {
        const response = await fetch(url, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (response.ok) data = await response.json();
      } catch (error) {
        // Offline or refused: an empty list, the free-text name still works.
      }
      if (mine !== asked) return; // a later search has been sent
      fill(data.results || [], Boolean(data.more), department || "-");
    }

    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(load, 250);
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault(); // searching, not submitting the form
        clearTimeout(timer);
        load();
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
    select.addEventListener("change", syncExclusive);
    if (depends) {
      depends.addEventListener("change", () => {
        search.value = "";
        select.value = "";
        load();
      });
    }
    // A form shown again carries the chosen department's people as the server rendered
    // them; load when it could not (no department yet, or one the browser restored).
    if (!depends || !depends.value || select.options.length <= 1) {
      load();
    } else {
      syncExclusive();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("select[data-picker-url]").forEach(setup);
  });
})();
