// Charts drawn from data the page renders with Django's json_script (CSP: no inline script).
// A container <div data-chart="stance-pie|group-bar"> is sized by CSS (.chart-box).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("opinion-chart-data");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const colours = ["#2fb344", "#9ba9be", "#d63939", "#e6e7e9"];
  const charts = [];
  const draw = {
    "stance-pie": (el) => ({
      color: colours,
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0 },
      series: [{
        type: "pie", radius: ["40%", "70%"], center: ["50%", "45%"],
        label: { formatter: "{b}\n{d}%" },
        data: data.stance,
      }],
    }),
    "group-bar": (el) => ({
      color: colours,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 40, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.groups, inverse: true },
      series: data.series.map((s) => ({ name: s.name, type: "bar", stack: "total", data: s.data, barMaxWidth: 28 })),
    }),
  };
  document.querySelectorAll("[data-chart]").forEach((el) => {
    const build = draw[el.dataset.chart];
    if (!build) return;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build(el));
    charts.push(chart);
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
