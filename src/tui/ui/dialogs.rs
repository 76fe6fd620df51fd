//! Dialogs drawn over the main screen: help, confirmations, bucket status,
//! job details and the connection picker here; the preview dialog and the
//! batch form in files of their own, framed by the helpers below.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{batch, fmt, preview, spinner, theme};
use crate::s3::model::{BucketStatus, Field, ReplicationRule, VersioningState};
use crate::tui::app::dialogs::{
    choice_settings, ConnChoice, ConnectionPicker, Dialog, JobDetails, StatusDialog, SummarySlot,
};
use crate::tui::app::input::TextInput;
use crate::tui::app::layout::centered;
use crate::tui::app::{App, Verb};

pub fn draw(frame: &mut Frame, app: &App, dialog: &Dialog, screen: Rect) {
    match dialog {
        Dialog::Help { scroll } => help(frame, app, *scroll, screen),
        Dialog::Preview(p) => preview::draw(frame, app, p, screen),
        Dialog::Confirm(c) => confirm(frame, app, &c.title, &c.lines, screen),
        Dialog::Status(s) => status(frame, app, s, screen),
        Dialog::JobDetails(d) => job_details(frame, app, d, screen),
        Dialog::Connection(c) => connection(frame, app, c, screen),
        Dialog::BatchForm(f) => batch::draw(frame, app, f, screen),
    }
}

/// Clears and frames a dialog of at most `w` x `h`; returns its inner area.
pub(super) fn frame_dialog(
    frame: &mut Frame,
    screen: Rect,
    w: u16,
    h: u16,
    title: Line<'static>,
    footer: Line<'static>,
) -> Rect {
    let area = centered(screen, w, h);
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme::border(true))
        .title_top(title)
        .title_bottom(footer);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub(super) fn key_hint(app: &App, pairs: &[(Verb, &str)]) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, (a, label)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme::dim()));
        }
        spans.push(Span::styled(app.keymap.first_key(*a), theme::key()));
        spans.push(Span::raw(format!(" {label}")));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

fn help(frame: &mut Frame, app: &App, scroll: usize, screen: Rect) {
    let w = screen.width.saturating_sub(4).min(100);
    let h = screen.height.saturating_sub(2);
    let inner = frame_dialog(
        frame,
        screen,
        w,
        h,
        Line::styled(" Help — keys from your config ", theme::title()),
        key_hint(app, &[(Verb::Up, "scroll"), (Verb::Close, "close")]),
    );
    let mut lines = Vec::new();
    for (title, rows) in app.keymap.help() {
        lines.push(Line::styled(title.to_string(), theme::title()));
        for (keys, desc) in rows {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<18} ", fmt::truncate_end(&keys, 18)),
                    theme::key(),
                ),
                Span::raw(desc),
            ]));
        }
        lines.push(Line::raw(""));
    }
    let scroll = scroll.min(lines.len().saturating_sub(inner.height as usize));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
}

pub(super) fn input_line(label: &str, input: &TextInput) -> Line<'static> {
    let (before, after): (String, String) = {
        let chars: Vec<char> = input.text.chars().collect();
        let cut = input.cursor.min(chars.len());
        (chars[..cut].iter().collect(), chars[cut..].iter().collect())
    };
    Line::from(vec![
        Span::styled(label.to_string(), theme::title()),
        Span::raw(before),
        Span::styled("▏", theme::key()),
        Span::raw(after),
    ])
}

fn confirm(frame: &mut Frame, app: &App, title: &str, lines: &[String], screen: Rect) {
    let w = lines
        .iter()
        .map(|l| fmt::width(l))
        .max()
        .unwrap_or(20)
        .max(30) as u16
        + 4;
    let h = lines.len() as u16 + 4;
    let inner = frame_dialog(
        frame,
        screen,
        w.min(screen.width),
        h,
        Line::styled(format!(" {title} "), theme::title()),
        key_hint(app, &[(Verb::Yes, "yes"), (Verb::No, "no")]),
    );
    let text: Vec<Line> = lines.iter().map(|l| Line::raw(l.clone())).collect();
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

fn field_text<T>(f: &Field<T>, show: impl Fn(&T) -> String) -> (String, Style) {
    match f {
        Field::Value(v) => (show(v), Style::new()),
        other => (other.unavailable_text().unwrap_or_default(), theme::dim()),
    }
}

/// A replication rule in plain words.
pub fn rule_text(r: &ReplicationRule) -> String {
    let mut s = format!(
        "{} ",
        if r.status == "Enabled" {
            "replicates"
        } else {
            "(disabled) would replicate"
        }
    );
    s.push_str(&r.filter);
    s.push_str(&format!(" to bucket {}", r.destination_bucket));
    if let Some(a) = &r.destination_account {
        s.push_str(&format!(" in account {a}"));
    }
    if let Some(c) = &r.destination_storage_class {
        s.push_str(&format!(" as {c}"));
    }
    let mut extras = Vec::new();
    if let Some(p) = r.priority {
        extras.push(format!("priority {p}"));
    }
    match r.delete_marker_replication {
        Some(true) => extras.push("delete markers too".into()),
        Some(false) => extras.push("not delete markers".into()),
        None => {}
    }
    if r.replication_time_control == Some(true) {
        extras.push("15-minute time control".into());
    }
    if r.existing_object_replication == Some(true) {
        extras.push("existing objects too".into());
    }
    if !extras.is_empty() {
        s.push_str(&format!(" ({})", extras.join(", ")));
    }
    if let Some(id) = &r.id {
        s.push_str(&format!(" [rule {id}]"));
    }
    s
}

fn status_lines(s: &BucketStatus) -> Vec<Line<'static>> {
    let row = |label: &str, (text, style): (String, Style)| {
        Line::from(vec![
            Span::styled(format!("{label:<13}"), theme::title()),
            Span::styled(text, style),
        ])
    };
    let mut lines = vec![
        row("bucket", (s.bucket.clone(), Style::new())),
        row("region", (s.region.clone(), Style::new())),
        row(
            "versioning",
            field_text(&s.versioning, |v| match v.status {
                // What a move from this bucket leaves behind.
                VersioningState::Suspended => {
                    format!("{} (was enabled; old versions kept)", v.summary())
                }
                _ => v.summary(),
            }),
        ),
    ];
    match &s.replication {
        Field::Value(r) => {
            lines.push(row(
                "replication",
                (
                    format!("{} rule(s), role {}", r.rules.len(), r.role),
                    Style::new(),
                ),
            ));
            for rule in &r.rules {
                lines.push(Line::raw(format!("  • {}", rule_text(rule))));
                let id = rule.id.clone().unwrap_or_else(|| "(no id)".into());
                let Some(check) = s.replication_checks.iter().find(|c| c.rule == id) else {
                    continue;
                };
                if check.problems.is_empty() {
                    let enabled = VersioningState::Enabled.word();
                    lines.push(Line::styled(
                        format!(
                            "      ✓ versioning {enabled} on both buckets, destination reachable"
                        ),
                        theme::ok(),
                    ));
                }
                for p in &check.problems {
                    lines.push(Line::styled(format!("      ⚠ {p}"), theme::warn()));
                }
            }
        }
        other => lines.push(row("replication", field_text(other, |_| String::new()))),
    }
    lines.push(row(
        "ownership",
        field_text(&s.ownership, |o| {
            let acl = if o.acls_enabled {
                "ACLs enabled"
            } else {
                "ACLs disabled"
            };
            format!("{} ({acl})", o.object_ownership)
        }),
    ));
    lines.push(row(
        "encryption",
        field_text(&s.encryption, |e| {
            let mut t = e.algorithm.clone();
            if let Some(k) = &e.kms_key_id {
                t.push_str(&format!(", key {k}"));
            }
            if e.bucket_key_enabled == Some(true) {
                t.push_str(", bucket key on");
            }
            t
        }),
    ));
    lines.push(row(
        "object lock",
        field_text(&s.object_lock, |l| {
            if !l.enabled {
                return "disabled".into();
            }
            let mut t = "enabled".to_string();
            if let Some(m) = &l.default_mode {
                t.push_str(&format!(", default {m}"));
                if let Some(d) = l.default_days {
                    t.push_str(&format!(" {d} days"));
                }
                if let Some(y) = l.default_years {
                    t.push_str(&format!(" {y} years"));
                }
            }
            t
        }),
    ));
    lines
}

fn status(frame: &mut Frame, app: &App, d: &StatusDialog, screen: Rect) {
    let w = screen.width.saturating_sub(4).min(110);
    let h = screen.height.saturating_sub(2).min(30);
    let inner = frame_dialog(
        frame,
        screen,
        w,
        h,
        Line::styled(format!(" Status of {} ", d.bucket), theme::title()),
        key_hint(
            app,
            &[
                (Verb::ReplicationSummary, "per-object replication"),
                (Verb::Refresh, "reload"),
                (Verb::Close, "close"),
            ],
        ),
    );
    let tree = app.pane(d.side).tree().filter(|t| t.bucket == d.bucket);
    let mut lines = match tree.and_then(|t| t.status.as_ref()) {
        Some(Ok(s)) => status_lines(s),
        Some(Err(e)) => vec![Line::styled(format!("✖ {e}"), theme::error())],
        None => vec![Line::styled(
            format!("{} loading…", spinner(app)),
            theme::dim(),
        )],
    };
    if tree.is_some_and(|t| t.status_loading.is_some()) && lines.len() > 1 {
        lines.push(Line::styled(
            format!("{} refreshing…", spinner(app)),
            theme::dim(),
        ));
    }
    lines.push(Line::raw(""));
    let label = format!("objects under {:?}", d.prefix);
    match &d.summary {
        SummarySlot::NotRequested => lines.push(Line::from(vec![
            Span::styled(label, theme::title()),
            Span::styled(
                format!(
                    "  press {} to check each object's replication status",
                    app.keymap.first_key(Verb::ReplicationSummary)
                ),
                theme::dim(),
            ),
        ])),
        SummarySlot::Loading(_, prefix) => lines.push(Line::styled(
            format!("{} inspecting objects under {prefix:?}…", spinner(app)),
            theme::warn(),
        )),
        SummarySlot::Failed(e) => lines.push(Line::styled(format!("{label}: {e}"), theme::error())),
        SummarySlot::Loaded(sum) => {
            lines.push(Line::styled(
                format!("objects under {:?}", sum.prefix),
                theme::title(),
            ));
            let limit = if sum.truncated {
                " (limit reached)"
            } else {
                ""
            };
            lines.push(Line::raw(format!(
                "  {} inspected{limit}: {} completed · {} pending · {} failed · {} replica · {} not replicated · {} errors",
                fmt::count(sum.scanned),
                fmt::count(sum.completed),
                fmt::count(sum.pending),
                fmt::count(sum.failed),
                fmt::count(sum.replica),
                fmt::count(sum.none),
                fmt::count(sum.errors)
            )));
            if sum.missing > 0 {
                lines.push(Line::styled(
                    format!(
                        "  {} covered by a rule but never replicated (written before the rule; needs batch replication)",
                        fmt::count(sum.missing)
                    ),
                    theme::warn(),
                ));
            }
            for k in &sum.failed_keys {
                lines.push(Line::styled(format!("  FAILED {k}"), theme::error()));
            }
            for k in &sum.missing_keys {
                lines.push(Line::styled(format!("  NOT REPLICATED {k}"), theme::warn()));
            }
        }
    }
    let scroll = d
        .scroll
        .min(lines.len().saturating_sub(inner.height as usize));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        inner,
    );
}

fn job_details(frame: &mut Frame, app: &App, d: &JobDetails, screen: Rect) {
    let w = screen.width.saturating_sub(4).min(130);
    let h = screen.height.saturating_sub(2);
    let inner = frame_dialog(
        frame,
        screen,
        w,
        h,
        Line::styled(format!(" Job #{} ", d.job), theme::title()),
        key_hint(
            app,
            &[
                (Verb::Pause, "pause/resume"),
                (Verb::CancelJob, "cancel"),
                (Verb::RetryFailed, "retry failed"),
                (Verb::Close, "close"),
            ],
        ),
    );
    let mut lines = Vec::new();
    if let Some(job) = app.transfers.jobs.iter().find(|j| j.id == d.job) {
        let p = &job.progress;
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", job.kind.as_str()), theme::title()),
            Span::styled(job.state.as_str().to_string(), theme::job_state(job.state)),
        ]));
        lines.push(Line::raw(format!("from {}", job.source)));
        lines.push(Line::raw(format!("to   {}", job.destination)));
        lines.push(Line::raw(format!(
            "{}/{} objects · {}/{} · copied {} · skipped {} · failed {} · deleted {} · retries {}{}",
            fmt::count(p.objects_done),
            fmt::count(p.objects_total),
            fmt::bytes(p.bytes_done),
            fmt::bytes(p.bytes_total),
            fmt::count(p.copied),
            fmt::count(p.skipped),
            fmt::count(p.failed),
            fmt::count(p.deleted),
            fmt::count(p.retries),
            if p.listing_done { "" } else { " · still listing" }
        )));
        if let Some(m) = &job.message {
            lines.push(Line::styled(m.clone(), theme::warn()));
        }
    } else {
        lines.push(Line::styled("this job is no longer listed", theme::dim()));
    }
    lines.push(Line::raw(""));
    match &d.failed {
        None => lines.push(Line::styled(
            format!("{} loading failed objects…", spinner(app)),
            theme::dim(),
        )),
        Some(Err(e)) => lines.push(Line::styled(
            format!("cannot load failed objects: {e}"),
            theme::error(),
        )),
        Some(Ok(f)) if f.is_empty() => lines.push(Line::styled("no failed objects", theme::ok())),
        Some(Ok(f)) => {
            lines.push(Line::styled(
                format!("failed objects ({}):", fmt::count(f.len() as u64)),
                theme::title(),
            ));
            for e in f {
                let version = e
                    .version_id
                    .as_deref()
                    .map(|v| format!(" (version {v})"))
                    .unwrap_or_default();
                lines.push(Line::from(vec![
                    Span::raw(format!("  {}{version} → {}: ", e.src_key, e.dst_key)),
                    Span::styled(e.reason.clone(), theme::error()),
                ]));
            }
        }
    }
    let scroll = d
        .scroll
        .min(lines.len().saturating_sub(inner.height as usize));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll as u16, 0)),
        inner,
    );
}

fn connection(frame: &mut Frame, app: &App, c: &ConnectionPicker, screen: Rect) {
    let h = c.choices.len() as u16 + 6;
    let inner = frame_dialog(
        frame,
        screen,
        64,
        h,
        Line::styled(
            format!(" Connection of the {} pane ", c.side.label().to_lowercase()),
            theme::title(),
        ),
        key_hint(app, &[(Verb::Confirm, "choose"), (Verb::Close, "cancel")]),
    );
    let current = &app.pane(c.side).conn;
    let other = &app.pane(c.side.other()).conn;
    let mut lines = vec![Line::from(vec![
        Span::styled("now: ", theme::title()),
        Span::raw(current.label()),
    ])];
    lines.push(Line::raw(""));
    for (i, choice) in c.choices.iter().enumerate() {
        let text = match choice {
            ConnChoice::Default => "AWS default credentials (environment, ~/.aws, SSO)".to_string(),
            ConnChoice::SameAsOther => format!("same as the other pane ({})", other.label()),
            ConnChoice::Named(n) => {
                let s = choice_settings(choice, &app.named_connections, other);
                let detail = s.map(|s| {
                    s.endpoint_url
                        .or(s.profile.map(|p| format!("profile {p}")))
                        .unwrap_or_default()
                });
                format!("{n}  {}", detail.unwrap_or_default())
            }
            ConnChoice::Profile => "AWS profile…".to_string(),
            ConnChoice::Endpoint => "endpoint URL (MinIO, Garage, R2, …)…".to_string(),
        };
        let style = if i == c.cursor {
            theme::cursor(true)
        } else {
            Style::new()
        };
        let marker = if i == c.cursor { "›" } else { " " };
        lines.push(Line::styled(format!("{marker}{text}"), style));
    }
    if let Some((choice, input)) = &c.input {
        let label = if *choice == ConnChoice::Profile {
            "profile: "
        } else {
            "endpoint URL: "
        };
        lines.push(input_line(label, input));
    }
    if let Some(e) = &c.error {
        lines.push(Line::styled(e.clone(), theme::error()));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
