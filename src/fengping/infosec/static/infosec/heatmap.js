// The risk heat map: likelihood × loss cells coloured by the risk level the scheme's risk
// matrix gives them, each showing its number of scenarios, drawn from the data the page
// renders with json_script (CSP: no inline script). A click on a cell opens the register
// filtered by that likelihood and loss; the table below is the fallback.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("risk-heatmap-data");
  const el = document.querySelector("[data-risk-heatmap]");
  if (!source || !el || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const t = data.text; // translated on the server
  const levels = ["1", "2", "3", "4", "5"];
  const count = {};
  data.cells.forEach((c) => { count[`${c.loss - 1},${c.likelihood - 1}`] = c.count; });
  const cells = data.zones.map(([x, y, level]) => [x, y, level, count[`${x},${y}`] || 0]);
  const colours = ["#2fb344", "#a8d86e", "#f7c948", "#f59f00", "#d63939"];
  const chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: {
      formatter: (p) =>
        `${t.cell.replace("{l}", p.value[1] + 1).replace("{f}", p.value[0] + 1).replace("{level}", data.level_labels[p.value[2] - 1])}<br>${t.count.replace("{n}", p.value[3])}`,
    },
    grid: { left: 64, right: 110, top: 16, bottom: 48 },
    xAxis: { type: "category", data: levels, name: t.loss, nameLocation: "middle", nameGap: 28 },
    yAxis: { type: "category", data: levels, name: t.likelihood, nameLocation: "middle", nameGap: 40 },
    visualMap: {
      type: "piecewise",
      dimension: 2,
      orient: "vertical",
      right: 0,
      top: "middle",
      pieces: data.level_labels.map((label, i) => ({ value: i + 1, label, color: colours[i] })).reverse(),
    },
    series: [
      {
        type: "heatmap",
        data: cells,
        itemStyle: { borderColor: "#fff", borderWidth: 2, opacity: 0.9 },
        label: { show: true, fontSize: 14, fontWeight: "bold", formatter: (p) => (p.value[3] ? p.value[3] : "") },
        emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } },
      },
    ],
  });
  chart.on("click", (p) => {
    const url = new URL(data.register, window.location.href);
    url.searchParams.set("likelihood", p.value[1] + 1);
    url.searchParams.set("loss", p.value[0] + 1);
    window.location.href = url.toString();
  });
  window.addEventListener("resize", () => chart.resize());
});
