//! Human formatting of sizes, counts, rates, durations and dates.

use chrono::{DateTime, Utc};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// IEC units with one decimal: `512 B`, `4.1 KiB`, `3.2 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    // 1023.96 would print as "1024.0 KiB"; carry into the next unit instead.
    if format!("{v:.1}") == "1024.0" && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Thousands separators: `1,204`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count in at most four characters where a column has no room for
/// every digit: `999`, `1.2k`, `200k`, `1.2M`. Rounded down, so a short form
/// never claims more than was done; the unit letter says it is short.
pub fn count_short(n: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (1_000_000_000_000_000_000, "E"),
        (1_000_000_000_000_000, "P"),
        (1_000_000_000_000, "T"),
        (1_000_000_000, "G"),
        (1_000_000, "M"),
        (1_000, "k"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            let whole = n / size;
            return if whole < 10 {
                format!("{whole}.{}{unit}", (n % size) / (size / 10))
            } else {
                format!("{whole}{unit}")
            };
        }
    }
    n.to_string()
}

/// `bytes` without the space and the `iB`: `4.1K`, `6.3M`, `512B`.
pub fn bytes_short(n: u64) -> String {
    bytes(n).replace("iB", "").replace(' ', "")
}

/// `full` when it fits in `width` characters, else `short`.
pub fn fitting(width: usize, full: String, short: impl FnOnce() -> String) -> String {
    if self::width(&full) <= width {
        full
    } else {
        short()
    }
}

pub fn byte_rate(per_sec: f64) -> String {
    format!("{}/s", bytes(per_sec.max(0.0).round() as u64))
}

pub fn object_rate(per_sec: f64) -> String {
    let v = per_sec.max(0.0);
    if v < 10.0 && v > 0.0 {
        format!("{v:.1} obj/s")
    } else {
        format!("{} obj/s", count(v.round() as u64))
    }
}

/// `45s`, `3m12s`, `1h02m`, `2d03h`.
pub fn duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d{h:02}h")
    } else if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A transfer rate: bytes and objects per second.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rate {
    pub bytes: f64,
    pub objects: f64,
}

/// Seconds left at `rate`, by bytes when the job has any, else by objects.
/// `None` when nothing moves (paused, stalled, finished). The CLI and the
/// TUI both use this, so one job shows one ETA.
pub fn eta_secs(objects_left: u64, bytes_left: u64, rate: Rate) -> Option<u64> {
    if bytes_left > 0 && rate.bytes > 0.0 {
        return Some((bytes_left as f64 / rate.bytes).ceil() as u64);
    }
    if objects_left > 0 && rate.objects > 0.0 {
        return Some((objects_left as f64 / rate.objects).ceil() as u64);
    }
    None
}

pub fn eta(secs: Option<u64>) -> String {
    secs.map(duration).unwrap_or_else(|| "—".into())
}

/// `2024-01-02 10:11` in UTC: listings compare across time zones.
pub fn datetime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A text progress bar of `width` cells.
pub fn bar(done: u64, total: u64, width: usize) -> String {
    let ratio = ratio(done, total);
    let filled = ((ratio * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

pub fn ratio(done: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    }
}

pub fn percent(done: u64, total: u64) -> String {
    format!("{:.0}%", (ratio(done, total) * 100.0).floor())
}

/// Terminal cells `s` takes: CJK and emoji take two, combining marks none.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` with control characters shown as their Unicode pictures (`␊` for a
/// newline, `␉` for a tab), so a key that holds them is seen and cannot move
/// the terminal's cursor.
pub fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .map(|c| match c as u32 {
            n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('�'),
            0x7f => '␡',
            _ if hidden(c) => '�',
            _ => c,
        })
        .collect()
}

/// Characters that draw nothing or reorder what follows (controls, bidi
/// overrides, zero-width spaces, line separators): a key holding them could
/// read as another key in a move's preview.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c as u32,
            0x00ad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xfeff
        )
}

/// The longest run of grapheme clusters (a character with its combining
/// marks or emoji modifiers) that fits in `room` cells, measured as the
/// terminal draws them.
fn take_cells<'a>(graphemes: impl Iterator<Item = &'a str>, room: usize) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut used = 0;
    for g in graphemes {
        let w = UnicodeWidthStr::width(g);
        if used + w > room {
            break;
        }
        used += w;
        out.push(g);
    }
    out
}

/// Cuts `s` to `width` cells with a leading `…`, keeping the end (the most
/// specific part of a key).
pub fn truncate_start(s: &str, width: usize) -> String {
    let s = visible(s);
    if self::width(&s) <= width {
        return s.into_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut tail = take_cells(s.graphemes(true).rev(), width - 1);
    tail.reverse();
    format!("…{}", tail.concat())
}

/// Cuts `s` to `width` cells with a trailing `…`.
pub fn truncate_end(s: &str, width: usize) -> String {
    let s = visible(s);
    if self::width(&s) <= width {
        return s.into_owned();
    }
    if width == 0 {
        return String::new();
    }
    let head = take_cells(s.graphemes(true), width - 1);
    format!("{}…", head.concat())
}

/// `s` padded or cut (at the end) to exactly `width` cells.
pub fn fit(s: &str, width: usize) -> String {
    pad(truncate_end(s, width), width)
}

/// `s` padded or cut (at the start) to exactly `width` cells.
pub fn fit_start(s: &str, width: usize) -> String {
    pad(truncate_start(s, width), width)
}

fn pad(cut: String, width: usize) -> String {
    // A wide character that did not fit leaves one cell: pad it too.
    let n = self::width(&cut);
    format!("{cut}{}", " ".repeat(width.saturating_sub(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_control_characters_are_measured_in_cells() {
        assert_eq!(width("日本.txt"), 8);
        assert_eq!(fit("日本.txt", 10), "日本.txt  ");
        assert_eq!(width(&fit("日本語のファイル名.txt", 9)), 9);
        assert_eq!(fit("日本語のファイル名.txt", 9), "日本語の…");
        assert_eq!(
            width(&fit("日本語", 4)),
            4,
            "a wide char that does not fit is padded"
        );
        assert_eq!(truncate_start("a/日本語.txt", 8), "…語.txt");
        assert_eq!(width(&fit_start("emoji-😀.txt", 6)), 6);
        assert_eq!(visible("new\nline\ttab"), "new␊line␉tab");
        assert_eq!(fit("tab\tname", 8), "tab␉name");
        assert!(matches!(visible("plain"), std::borrow::Cow::Borrowed(_)));
        // Emoji presentation sequences are one cluster of two cells.
        assert_eq!(width(&fit("❤️❤️❤️", 4)), 4);
        assert_eq!(width(&truncate_start("❤️❤️❤️", 4)), 3);
        assert_eq!(visible("a\u{202e}txt.exe"), "a�txt.exe");
        assert_eq!(visible("zero\u{200b}width"), "zero�width");
    }

    #[test]
    fn short_counts_fit_four_characters_and_never_round_up() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1.0k"),
            (1_299, "1.2k"),
            (13_961, "13k"),
            (199_999, "199k"),
            (200_000, "200k"),
            (1_250_000, "1.2M"),
            (999_999_999, "999M"),
            (3_000_000_000, "3.0G"),
            (u64::MAX, "18E"),
        ];
        for (n, want) in cases {
            assert_eq!(count_short(n), want, "{n}");
            assert!(count_short(n).len() <= 4, "{n}");
        }
        assert_eq!(bytes_short(512), "512B");
        assert_eq!(bytes_short(6_606_028), "6.3M");
        assert_eq!(fitting(5, "1,234".into(), || "x".into()), "1,234");
        assert_eq!(fitting(4, "1,234".into(), || "1.2k".into()), "1.2k");
    }
    use chrono::TimeZone;

    #[test]
    fn sizes() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (4198, "4.1 KiB"),
            (1024 * 1024 - 1, "1.0 MiB"),
            (3_435_973_837, "3.2 GiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (n, want) in cases {
            assert_eq!(bytes(n), want, "{n}");
        }
    }

    #[test]
    fn counts_and_rates() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1204), "1,204");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(byte_rate(1.25 * 1024.0 * 1024.0 * 1024.0), "1.2 GiB/s");
        assert_eq!(object_rate(412.4), "412 obj/s");
        assert_eq!(object_rate(2.5), "2.5 obj/s");
        assert_eq!(object_rate(0.0), "0 obj/s");
    }

    #[test]
    fn durations() {
        let cases = [
            (0, "0s"),
            (45, "45s"),
            (192, "3m12s"),
            (3720, "1h02m"),
            (183_600, "2d03h"),
        ];
        for (s, want) in cases {
            assert_eq!(duration(s), want);
        }
        assert_eq!(eta(None), "—");
    }

    #[test]
    fn dates_and_bars() {
        let t = Utc
            .with_ymd_and_hms(2024, 1, 2, 10, 11, 59)
            .single()
            .expect("valid date");
        assert_eq!(datetime(&t), "2024-01-02 10:11");
        assert_eq!(bar(83, 100, 10), "████████░░");
        assert_eq!(bar(5, 0, 4), "░░░░");
        assert_eq!(percent(1000, 1204), "83%");
        assert_eq!(percent(1, 1), "100%");
    }

    #[test]
    fn truncation() {
        assert_eq!(truncate_start("photos/2024/a.jpg", 8), "…4/a.jpg");
        assert_eq!(truncate_start("abc", 8), "abc");
        assert_eq!(truncate_end("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("abcdef", 4), "abc…");
    }
}
