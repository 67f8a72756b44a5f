//! SVG plots for the benchmark report (plotters, SVG backend, no font files needed): each
//! peer's time relative to Courier's per workload, and each runtime's time by number of workers.

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

use crate::report::{Measurement, RUNTIMES, ScalingPoint};

/// One colour per runtime of [`RUNTIMES`]; black is Courier's line at 1 and is not reused.
const COLOURS: [RGBColor; 5] = [
    RGBColor(0, 0, 0),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// A bar per peer and workload: its time over Courier's, on a log scale (a bar above the line
/// at 1 is slower than Courier, below it faster).
///
/// # Errors
/// When the file cannot be written.
#[expect(clippy::too_many_lines, reason = "one chart, built top to bottom")]
pub fn ratios(
    measurements: &[Measurement],
    workloads: &[String],
    path: &Path,
) -> anyhow::Result<()> {
    let peers = &RUNTIMES[1..];
    let bars = ratio_bars(measurements, workloads);
    let (low, high) = bars.iter().fold((0.5_f64, 2.0_f64), |(low, high), bar| {
        (low.min(bar.2 / 1.5), high.max(bar.2 * 1.5))
    });
    let root = SVGBackend::new(path, (1100, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    #[expect(clippy::cast_precision_loss, reason = "a handful of workloads")]
    let width = workloads.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "time / Courier's time, per workload (log scale; above 1: slower than Courier)",
            ("sans-serif", 18),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..width, (low..high).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    let names = workloads.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(workloads.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let index = x.floor();
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "small index"
            )]
            let name = names.get(index as usize).cloned().unwrap_or_default();
            if (x - index - 0.5).abs() < 0.01 {
                name
            } else {
                String::new()
            }
        })
        .y_desc("ratio")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    #[expect(clippy::cast_precision_loss, reason = "a handful of peers")]
    let bar_width = 0.8 / peers.len() as f64;
    for (slot, peer) in peers.iter().enumerate() {
        let colour = COLOURS[slot + 1];
        let series = bars
            .iter()
            .filter(|bar| bar.1 == slot)
            .map(|&(index, slot, ratio)| {
                #[expect(clippy::cast_precision_loss, reason = "small indices")]
                let left = index as f64 + 0.1 + slot as f64 * bar_width;
                Rectangle::new(
                    [(left, 1.0), (left + bar_width * 0.9, ratio)],
                    colour.filled(),
                )
            });
        chart
            .draw_series(series)
            .map_err(|e| anyhow!("{e}"))?
            .label(*peer)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart
        .draw_series(LineSeries::new(
            [(0.0, 1.0), (width, 1.0)],
            BLACK.stroke_width(2),
        ))
        .map_err(|e| anyhow!("{e}"))?
        .label("courier")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 10, y)], BLACK.stroke_width(2)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))
}

/// `(workload index, peer index, peer time / Courier's)` for every pair measured.
fn ratio_bars(measurements: &[Measurement], workloads: &[String]) -> Vec<(usize, usize, f64)> {
    let time = |workload: &str, runtime: &str| {
        measurements
            .iter()
            .find(|m| m.workload == workload && m.runtime == runtime)
            .map(|m| m.median_ns)
    };
    let mut bars = Vec::new();
    for (index, workload) in workloads.iter().enumerate() {
        for (slot, peer) in RUNTIMES[1..].iter().enumerate() {
            if let (Some(courier), Some(peer_ns)) =
                (time(workload, "courier"), time(workload, peer))
            {
                bars.push((index, slot, peer_ns / courier));
            }
        }
    }
    bars
}

/// A panel per workload: each runtime's median time by number of workers (log scale), a line
/// per runtime; a runtime of `single_thread` (actix: one arbiter thread, no worker count) is a
/// dashed level line at its one time.
///
/// # Errors
/// When the file cannot be written.
pub fn scaling(
    points: &[ScalingPoint],
    single_thread: &[Measurement],
    path: &Path,
) -> anyhow::Result<()> {
    let mut workloads: Vec<&str> = points.iter().map(|p| p.workload.as_str()).collect();
    workloads.dedup();
    let columns = 2;
    let rows = workloads.len().div_ceil(columns).max(1);
    #[expect(clippy::cast_possible_truncation, reason = "a handful of panels")]
    let height = 360 * rows as u32;
    let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let panels = root.split_evenly((rows, columns));
    for (panel, workload) in panels.iter().zip(&workloads) {
        let single: Vec<&Measurement> = single_thread
            .iter()
            .filter(|m| m.workload == *workload)
            .collect();
        scaling_panel(panel, workload, points, &single)?;
    }
    root.present().map_err(|e| anyhow!("{e}"))
}

/// One workload's panel of [`scaling`].
fn scaling_panel(
    panel: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    workload: &str,
    points: &[ScalingPoint],
    single: &[&Measurement],
) -> anyhow::Result<()> {
    let mine: Vec<&ScalingPoint> = points.iter().filter(|p| p.workload == workload).collect();
    let workers_max = mine.iter().map(|p| p.workers).max().unwrap_or(1).max(2);
    let times = mine
        .iter()
        .map(|p| p.median_ns)
        .chain(single.iter().map(|m| m.median_ns));
    let (low, high) = times.fold((f64::MAX, 1.0_f64), |(low, high), ns| {
        (low.min(ns / 1e6), high.max(ns / 1e6))
    });
    let mut chart = ChartBuilder::on(panel)
        .caption(
            format!("{workload}: time by workers (log scale)"),
            ("sans-serif", 16),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(60)
        .build_cartesian_2d(1..workers_max, ((low / 1.3)..(high * 1.3)).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("workers")
        .y_desc("ms per run")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for (index, runtime) in RUNTIMES.iter().enumerate() {
        let colour = COLOURS[index];
        let line: Vec<(u32, f64)> = mine
            .iter()
            .filter(|p| p.runtime == *runtime)
            .map(|p| (p.workers, p.median_ns / 1e6))
            .collect();
        let legend = move |(x, y)| PathElement::new([(x, y), (x + 10, y)], colour.stroke_width(2));
        if !line.is_empty() {
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?
                .label(*runtime)
                .legend(legend);
        } else if let Some(m) = single.iter().find(|m| m.runtime == *runtime) {
            let ms = m.median_ns / 1e6;
            let level = [(1, ms), (workers_max, ms)];
            chart
                .draw_series(DashedLineSeries::new(level, 8, 6, colour.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?
                .label(format!("{runtime} (one thread)"))
                .legend(legend);
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))
}
