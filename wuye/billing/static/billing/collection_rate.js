// The collection-rate page's two charts (ECharts, vendored): the month rate of the year
// against its target line, and income by method. Data comes from the page's json_script.
// Amounts come formatted by the server (format_yuan), as everywhere else.

// Every chart here: drawn as SVG (its labels are DOM text a browser test measures), in the
// page's font, and laid out again by `layoutFor(width)` — `{ height, option }` — whenever its
// box changes width, since a phone's layout differs from a desktop's in more than scale.
// `data-drawn` holds the width the chart was last laid out for, once it has finished drawing.
function mountChart(box, layoutFor) {
  const chart = echarts.init(box, null, { renderer: "svg" });
  const fontFamily = getComputedStyle(box).fontFamily;
  let laidOutFor = 0;
  // ECharts may finish inside setOption (nothing to animate), so this listens from the start.
  chart.on("finished", () => { box.dataset.drawn = String(laidOutFor); });
  new ResizeObserver(() => {
    if (box.clientWidth === laidOutFor) return;
    laidOutFor = box.clientWidth;
    const { height, option } = layoutFor(laidOutFor);
    box.style.height = `${height}px`;
    chart.resize();
    delete box.dataset.drawn;
    chart.setOption(
      {
        ...option, animation: false, textStyle: { fontFamily },
        tooltip: { confine: true, ...option.tooltip },
      },
      { notMerge: true },
    );
  }).observe(box);
}

// Labels are spaced by their line height, which ECharts reserves: 12 px text on 20 px lines
// keeps a gap between neighbours however the browser's glyph boxes round.
const LABEL = { fontSize: 12, lineHeight: 20 };

// What a chart says instead of drawing an empty box when it has nothing to show.
function saying(text, height) {
  const textStyle = { ...LABEL, fontSize: 14, fontWeight: "normal", color: "#616e7c" };
  return { height, option: { title: { text, left: "center", top: "middle", textStyle } } };
}

function rateLayout(data) {
  if (data.rates.every((rate) => rate == null)) {
    return (width) => saying(data.labels.nothingDue, width < 480 ? 120 : 300);
  }
  return () => ({ height: 300, option: {
    tooltip: { trigger: "axis", valueFormatter: (value) => (value == null ? "—" : `${value}%`) },
    legend: { top: 0, textStyle: LABEL, data: [data.labels.rate, data.labels.target] },
    grid: { left: 4, right: 12, top: 36, bottom: 4, containLabel: true },
    xAxis: { type: "category", data: data.months, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [
      { name: data.labels.rate, type: "bar", data: data.rates },
      {
        name: data.labels.target, type: "line", symbol: "none",
        data: data.months.map(() => data.target), lineStyle: { type: "dashed" },
      },
    ],
  } });
}

// Income by method: a donut, and a legend naming every method with its amount and share. The
// slices carry no labels of their own — a thin slice has no room for one, and the legend
// already says it all. On a wide card the legend stands beside the donut, its amounts on a
// second line; on a narrow one it goes under the donut, one line a method. A legend line still
// too long for its room is cut with "…" rather than leave the card.
function incomeLayout(data) {
  const values = data.methods.map((m) => Math.max(m.value, 0));
  // A method's share of the slices; one that took no more than it paid back has none.
  const legendText = Object.fromEntries(data.methods.map((m, i) => {
    if (values[i] <= 0) return [m.name, m.amount];
    return [m.name, `${m.amount} · ${echarts.number.getPercentWithPrecision(values, i, 1)}%`];
  }));
  return (width) => {
    const narrow = width < 480;
    if (!data.methods.length) return saying(data.labels.none, narrow ? 120 : 300);
    const itemHeight = narrow ? LABEL.lineHeight : 2 * LABEL.lineHeight;
    const legendHeight = data.methods.length * (itemHeight + 8);
    const height = narrow ? 220 + legendHeight : Math.max(300, legendHeight + 40);
    // The donut's room: the left half of a wide card, above the legend on a narrow one.
    const room = narrow
      ? { x: width / 2, y: 110, w: width, h: 220 }
      : { x: width * 0.25, y: height / 2, w: width * 0.5, h: height };
    const outer = Math.max(24, Math.min(room.w / 2 - 16, room.h / 2 - 16, 100));
    const legendWidth = (narrow ? width : width * 0.46) - 30;
    const rich = { name: { ...LABEL, color: "#1f2933" }, amount: { ...LABEL, color: "#616e7c" } };
    return { height, option: {
      tooltip: {
        trigger: "item",
        formatter: (p) => `${p.marker}${echarts.format.encodeHTML(p.name)}<br>${legendText[p.name]}`,
      },
      legend: {
        orient: "vertical", itemGap: 8, itemHeight: 12, itemWidth: 18,
        ...(narrow ? { left: 16, bottom: 4 } : { left: width * 0.54, top: "middle" }),
        formatter: (name) => (narrow
          ? `{name|${name}}  {amount|${legendText[name]}}`
          : `{name|${name}}\n{amount|${legendText[name]}}`),
        textStyle: { ...LABEL, rich, width: legendWidth, overflow: "truncate" },
      },
      series: [{
        name: data.labels.net, type: "pie", center: [room.x, room.y], radius: [outer * 0.55, outer],
        label: { show: false }, labelLine: { show: false }, stillShowZeroSum: false,
        // A method that paid back more than it took is no slice; the legend still shows its amount.
        data: data.methods.map((m, i) => ({ name: m.name, value: values[i] })),
      }],
    } };
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("collection-charts");
  if (!source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const rateBox = document.getElementById("rate-chart");
  if (rateBox) mountChart(rateBox, rateLayout(data));
  const incomeBox = document.getElementById("income-chart");
  if (incomeBox) mountChart(incomeBox, incomeLayout(data));
});
