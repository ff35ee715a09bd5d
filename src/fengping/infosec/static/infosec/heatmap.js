// The risk heat map: likelihood × loss cells with their scenario counts, drawn from the
// data the page renders with json_script (CSP: no inline script). A click on a cell opens
// the register filtered by that likelihood and loss; the table below is the fallback.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("risk-heatmap-data");
  const el = document.querySelector("[data-risk-heatmap]");
  if (!source || !el || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const levels = ["1", "2", "3", "4", "5"];
  const cells = data.cells.map((c) => [c.loss - 1, c.likelihood - 1, c.count]);
  const max = Math.max(1, ...data.cells.map((c) => c.count));
  const chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: {
      formatter: (p) => `可能性 ${p.value[1] + 1} × 损失 ${p.value[0] + 1}<br>风险场景 ${p.value[2]} 个`,
    },
    grid: { left: 64, right: 24, top: 16, bottom: 72 },
    xAxis: { type: "category", data: levels, name: "损失 F", nameLocation: "middle", nameGap: 28, splitArea: { show: true } },
    yAxis: { type: "category", data: levels, name: "可能性 L", nameLocation: "middle", nameGap: 40, splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: true, orient: "horizontal", left: "center", bottom: 0, inRange: { color: ["#f0f9e8", "#fdae61", "#d7191c"] } },
    series: [{ type: "heatmap", data: cells, label: { show: true, formatter: (p) => p.value[2] }, emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } } }],
  });
  chart.on("click", (p) => {
    const url = new URL(data.register, window.location.href);
    url.searchParams.set("likelihood", p.value[1] + 1);
    url.searchParams.set("loss", p.value[0] + 1);
    window.location.href = url.toString();
  });
  window.addEventListener("resize", () => chart.resize());
});
