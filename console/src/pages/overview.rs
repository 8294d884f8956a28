//! An app at a glance: messages today and per day for 30 days (an inline SVG bar chart, with the same
//! numbers as a table for screen readers), active users, users, sockets connected now.

use confab_protocol::console::{DayCount, Overview};
use leptos::prelude::*;

use crate::api;
use crate::components::loaded;
use crate::format::plural;

/// The chart's drawing box.
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
const GAP: f64 = 2.0;

/// One bar: x, y, width, height in the drawing box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The bars of `days`, side by side, scaled to the busiest day (a day with messages is at least 1 unit
/// tall, so it never looks like none).
pub fn bars(days: &[DayCount]) -> Vec<Bar> {
    let max = days.iter().map(|d| d.count).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / days.len().max(1) as f64;
    days.iter()
        .enumerate()
        .map(|(i, day)| {
            let height = if day.count == 0 { 0.0 } else { (day.count as f64 / max * HEIGHT).max(1.0) };
            Bar { x: i as f64 * slot + GAP / 2.0, y: HEIGHT - height, width: (slot - GAP).max(1.0), height }
        })
        .collect()
}

/// The overview page.
#[component]
pub fn OverviewPage(app: String) -> impl IntoView {
    let path = api::app_path(&app, "/overview");
    let overview = LocalResource::new(move || {
        let path = path.clone();
        async move { api::get::<Overview>(&path).await }
    });
    view! {
        <h1>"Overview"</h1>
        {loaded(overview, |o| view! { <Numbers overview=o /> })}
    }
}

#[component]
fn Numbers(overview: Overview) -> impl IntoView {
    let total: u64 = overview.messages_per_day.iter().map(|d| d.count).sum();
    let days = overview.messages_per_day.clone();
    view! {
        <ul class="stats">
            <li><span class="stat">{overview.messages_today}</span>" messages today"</li>
            <li><span class="stat">{overview.active_users}</span>" active users (30 days)"</li>
            <li><span class="stat">{overview.users_total}</span>" users"</li>
            <li><span class="stat">{overview.sockets_now}</span>" sockets connected now"</li>
        </ul>
        <section aria-labelledby="per-day">
            <h2 id="per-day">"Messages per day"</h2>
            <p class="muted">{format!("{} in the last {} days (UTC).", plural(total, "message", "messages"), days.len())}</p>
            <Chart days=days.clone() />
            <details>
                <summary>"The numbers as a table"</summary>
                <div class="table-wrap" tabindex="0" role="region" aria-label="Messages per day">
                    <table>
                        <thead><tr><th scope="col">"Day"</th><th scope="col">"Messages"</th></tr></thead>
                        <tbody>
                            {days.into_iter().rev().map(|d| view! { <tr><td>{d.day}</td><td>{d.count}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </section>
    }
}

#[component]
fn Chart(days: Vec<DayCount>) -> impl IntoView {
    let max = days.iter().map(|d| d.count).max().unwrap_or(0);
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let label = format!("Bar chart of messages per day from {first} to {last}; the busiest day had {max}.");
    let shapes = bars(&days)
        .into_iter()
        .zip(days)
        .map(|(bar, day)| {
            view! {
                <rect x=bar.x.to_string() y=bar.y.to_string() width=bar.width.to_string() height=bar.height.to_string() class="bar">
                    <title>{format!("{}: {}", day.day, day.count)}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {}", HEIGHT + 1.0) role="img" aria-label=label preserveAspectRatio="none">
                <line x1="0" y1=HEIGHT.to_string() x2=WIDTH.to_string() y2=HEIGHT.to_string() class="axis" />
                {shapes}
            </svg>
            <figcaption class="chart-axis muted small"><span>{first}</span><span>{last}</span></figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(count: u64) -> DayCount {
        DayCount { day: "2026-01-01".into(), count }
    }

    #[test]
    fn bars_scale_to_the_busiest_day() {
        let b = bars(&[day(0), day(5), day(10)]);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].height, 0.0);
        assert_eq!(b[2].height, HEIGHT);
        assert_eq!(b[1].height, HEIGHT / 2.0);
        assert_eq!(b[1].y, HEIGHT / 2.0);
        assert!(b[1].x > b[0].x && b[2].x > b[1].x);
        // A quiet day among busy ones still shows.
        let tiny = bars(&[day(1), day(100_000)]);
        assert!(tiny[0].height >= 1.0);
        assert!(bars(&[]).is_empty());
    }
}
