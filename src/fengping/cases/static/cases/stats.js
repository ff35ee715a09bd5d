// The statistics page of the cases app: trend charts per month and the share of each
// screening criterion's cases that had a petition, drawn from the data the page renders
// with json_script (CSP: no inline script); every text is translated on the server. The
// tables below the charts hold the same figures.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("stats-chart-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const t = data.text;
  // Tooltips are HTML; criterion labels come from a scheme an administrator uploaded.
  const esc = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const byCode = {};
  data.series.forEach((s) => { byCode[s.code] = s; });
  const line = (code, extra) => ({
    name: byCode[code].name, type: "line", smooth: true, symbolSize: 6, data: byCode[code].data, ...extra,
  });
  const trendBase = {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 16, top: 24, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
  };
  const draw = {
    screening: () => ({
      ...trendBase,
      color: ["#9ba9be", "#f59f00"],
      series: [
        { name: byCode.screened.name, type: "bar", data: byCode.screened.data, barMaxWidth: 28 },
        line("flagged"),
      ],
    }),
    work: () => ({
      ...trendBase,
      color: ["#206bc4", "#2fb344", "#ae3ec9", "#d63939", "#f76707"],
      series: [line("assessed"), line("resolved"), line("adjudicated"), line("petitions"),
        line("petitions_followed", { lineStyle: { type: "dashed" } })],
    }),
    criteria: () => {
      const c = data.criteria;
      return {
        color: ["#d63939"],
        tooltip: {
          trigger: "axis", axisPointer: { type: "shadow" },
          formatter: (ps) => ps.map((p) => `${esc(p.name)}<br>${esc(t.share)}：${p.value ?? "—"}<br>${esc(t.cases)}：${c.flagged[p.dataIndex]}`).join("<br>"),
        },
        grid: { left: 8, right: 32, top: 16, bottom: 24, containLabel: true },
        xAxis: { type: "value", max: 100, name: "%" },
        yAxis: { type: "category", data: c.labels, inverse: true },
        series: [{
          name: t.share, type: "bar", data: c.shares, barMaxWidth: 18,
          label: { show: true, position: "right", formatter: (p) => (p.value == null ? "" : `${p.value}%`) },
          markLine: c.overall == null ? undefined : {
            symbol: "none", lineStyle: { color: "#206bc4", type: "dashed" },
            label: { formatter: `${t.overall} ${c.overall}%` },
            data: [{ xAxis: c.overall }],
          },
        }],
      };
    },
  };
  const charts = [];
  document.querySelectorAll("[data-stats-chart]").forEach((el) => {
    const build = draw[el.dataset.statsChart];
    if (!build) return;
    if (el.dataset.statsChart === "criteria") el.style.height = `${Math.max(12, data.criteria.labels.length * 2 + 4)}rem`;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build());
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
