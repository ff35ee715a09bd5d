// The supervision dashboard: one ECharts chart per figure, drawn from the data the page
// renders with json_script (CSP: no inline script); every text is translated on the
// server. Clicking a bar, a slice or a point opens the list behind it. The links under
// each chart hold the same figures without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  // Tooltips are HTML; department names and grade labels come from user data.
  const esc = (v) => String(v).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const byKey = {};
  data.charts.forEach((c) => { byKey[c.key] = c; });
  // Neutral colours for categories whose order says nothing about severity (a grade
  // code's severity differs between schemes); red is kept for overdue work and high risk.
  const palette = ["#206bc4", "#4299e1", "#ae3ec9", "#f59f00", "#0ca678", "#4263eb", "#74b816", "#9ba9be"];
  // risk level (5 = highest) and remediation state -> colour, whatever slices are empty
  const riskColours = { 5: "#d63939", 4: "#f76707", 3: "#f59f00", 2: "#74b816", 1: "#2fb344" };
  const progressColours = { done: "#2fb344", open: "#206bc4", overdue: "#d63939" };

  const pie = (c) => ({
    color: palette,
    tooltip: { trigger: "item", formatter: (p) => `${esc(p.name)}：${p.value}（${p.percent}%）` },
    legend: { bottom: 0, type: "scroll" },
    series: [{
      type: "pie", radius: ["35%", "65%"], top: 0, bottom: 32,
      label: { formatter: "{b} {c}" },
      data: c.items.filter((i) => i.value).map((i) => ({
        name: i.label, value: i.value, url: i.url,
        itemStyle: c.key === "remediation" ? { color: progressColours[i.code] }
          : c.key === "risk" ? { color: riskColours[i.code] } : undefined,
      })),
    }],
  });
  const bar = (c) => {
    const horizontal = c.key === "department" || c.key === "overdue_department" || c.key === "overdue_kind";
    const cat = { type: "category", data: c.items.map((i) => i.label), inverse: horizontal, axisLabel: { interval: 0, width: 120, overflow: "truncate" } };
    const val = { type: "value", minInterval: 1 };
    return {
      color: [c.key.startsWith("overdue") ? "#d63939" : "#206bc4"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? cat : val,
      series: [{
        type: "bar", barMaxWidth: 28, label: { show: true, position: horizontal ? "right" : "top" },
        data: c.items.map((i) => ({ value: i.value, url: i.url })),
      }],
    };
  };
  const line = (c) => ({
    color: ["#f59f00", "#9ba9be"],
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 16, top: 24, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: c.items.map((i) => i.label) },
    yAxis: { type: "value", minInterval: 1 },
    series: c.series.map((s, n) => ({
      name: s.name, type: n === 0 ? "line" : "bar", smooth: true, symbolSize: 7, barMaxWidth: 24,
      z: n === 0 ? 3 : 2,
      data: c.items.map((i) => ({ value: i[s.field], url: i.url })),
    })),
  });
  const build = { pie, bar, line };
  const charts = [];
  document.querySelectorAll("[data-dashboard-chart]").forEach((el) => {
    const c = byKey[el.dataset.dashboardChart];
    if (!c || !build[c.kind]) return;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build[c.kind](c));
    chart.on("click", (p) => {
      const url = p.data && p.data.url;
      if (url && url.startsWith("/")) window.location.assign(url);
    });
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((ch) => ch.resize()));
});
