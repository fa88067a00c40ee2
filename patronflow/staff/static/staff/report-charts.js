// The staff report's charts. No inline script (the staff CSP allows scripts from our own
// origin only): the data and the words come from <script type="application/json"> blocks,
// which a browser never runs, and every chart draws into the <canvas data-chart="..."> that
// names it. Each canvas has a table or a text beside it for those who cannot see it.
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
  const percentTicks = { ticks: { callback: (value) => value + "%" } };

  const builders = {
    funnel: () => ({
      type: "bar",
      data: {
        labels: data.funnel.map((row) => row.label),
        datasets: ["sent", "delivered", "opened", "clicked"].map((key) => ({
          label: words[key],
          data: data.funnel.map((row) => row[key]),
        })),
      },
    }),
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
            spanGaps: false, // a week without a rate (too few mails) is a gap, not a line
          })),
        },
        options: { scales: { y: percentTicks } },
      };
    },
    lift: () => ({
      data: {
        labels: data.lift.map((row) => row.label),
        datasets: [
          {
            type: "bar",
            label: words.interval,
            data: data.lift.map((row) => [row.low, row.high]),
            barPercentage: 0.3,
          },
          {
            type: "line",
            label: words.lift,
            data: data.lift.map((row) => row.lift),
            showLine: false,
            pointRadius: 6,
          },
        ],
      },
      options: { indexAxis: "y" },
    }),
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
    }),
    benchmark: () => ({
      type: "bar",
      data: {
        labels: data.benchmark.map((row) => (row.library === "total" ? words.total : row.library)),
        datasets: ["click_rate", "dormant_mailed_rate", "dormant_held_out_rate"].map((key) => ({
          label: words[key],
          data: data.benchmark.map((row) => asPercent(row[key])),
        })),
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
