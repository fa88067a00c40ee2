// The results' charts, on the staff page and in the report file (which inlines this script).
// No inline script on the staff page (its CSP allows scripts from our own origin only): the
// data and the words come from <script type="application/json"> blocks, which a browser never
// runs, and every chart draws into the <canvas data-chart="..."> that names it. Each canvas
// has the table of its figures below it.
(function () {
  "use strict";

  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  const data = readJson("chart-data");
  const words = readJson("chart-labels");
  if (!data || !words || typeof Chart === "undefined") {
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  const asPercent = (value) => (value === null || value === undefined ? null : value * 100);
  const percentTicks = { ticks: { callback: (value) => value + "%" }, beginAtZero: true };

  const builders = {
    // One line per mail and variant; a week without a rate (too few mails) is a gap.
    "over-time": () => {
      const weeks = [...new Set(Object.values(data.over_time).flat().map((p) => p.x))].sort();
      return {
        type: "line",
        data: {
          labels: weeks,
          datasets: Object.entries(data.over_time).map(([series, points]) => ({
            label: series,
            data: weeks.map((week) => {
              const point = points.find((p) => p.x === week);
              return point ? asPercent(point.y) : null;
            }),
            spanGaps: false,
          })),
        },
        options: { scales: { y: percentTicks } },
      };
    },
    // A partial month is named so and drawn hollow at the end of a dashed line; a month
    // without imported loans has no point.
    baseline: () => ({
      type: "line",
      data: {
        labels: data.baseline.map((row) =>
          row.partial_through
            ? `${row.label} (${words.partial.replace("%(day)s", row.partial_through)})`
            : row.label,
        ),
        datasets: [
          {
            label: words.loans,
            data: data.baseline.map((row) => row.loans),
            pointBackgroundColor: (context) =>
              data.baseline[context.dataIndex]?.partial_through ? "#ffffff" : undefined,
            segment: {
              borderDash: (context) =>
                data.baseline[context.p1DataIndex].partial_through ? [3, 3] : undefined,
            },
          },
          {
            label: words.baseline,
            data: data.baseline.map((row) => row.baseline),
            borderDash: [6, 4],
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    }),
    // The change against the same months a year earlier, this library's beside its
    // comparison libraries', per measure with a verdict.
    comparison: () => ({
      type: "bar",
      data: {
        labels: data.comparison.map((row) => row.label),
        datasets: [
          { label: words.own, data: data.comparison.map((row) => asPercent(row.own)) },
          { label: words.others, data: data.comparison.map((row) => asPercent(row.others)) },
        ],
      },
      options: { scales: { y: percentTicks } },
    }),
  };

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const build = builders[canvas.dataset.chart];
    if (build) {
      new Chart(canvas, build());
    }
  });
})();
