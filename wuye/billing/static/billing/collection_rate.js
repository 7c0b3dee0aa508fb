// The collection-rate page's two charts (ECharts, vendored): the month rate of the year
// against its target line, and income by method. Data comes from the page's json_script.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("collection-charts");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const charts = [];
  const rateBox = document.getElementById("rate-chart");
  if (rateBox) {
    const chart = echarts.init(rateBox);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [data.labels.rate, data.labels.target] },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [
        { name: data.labels.rate, type: "bar", data: data.rates },
        {
          name: data.labels.target, type: "line", symbol: "none",
          data: data.months.map(() => data.target), lineStyle: { type: "dashed" },
        },
      ],
    });
    charts.push(chart);
  }
  const incomeBox = document.getElementById("income-chart");
  if (incomeBox) {
    const chart = echarts.init(incomeBox);
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}: ¥{c} ({d}%)" },
      series: [{ name: data.labels.net, type: "pie", radius: ["35%", "65%"], data: data.methods }],
    });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
});
