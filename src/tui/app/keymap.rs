//! Key bindings: one table of verbs drives both key handling and the help
//! screen, so the two can never disagree.

use std::collections::BTreeMap;

use crate::tui::app::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask for: the verbs of the keymap (not the planner's
/// per-object `plan::model::Action`). Names are the `[keys]` entries of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Mark,
    ClearMarks,
    Copy,
    Move,
    Compare,
    MarkDifferences,
    Batch,
    Status,
    Filter,
    Refresh,
    Versions,
    Connection,
    Buckets,
    Pause,
    CancelJob,
    RetryFailed,
    Close,
    Confirm,
    Yes,
    No,
    EditDestination,
    EditRewrite,
    TogglePolicy,
    ToggleSse,
    ReplicationSummary,
}

/// Where a key is pressed; the same key may mean different verbs in
/// different contexts (`enter` opens in a pane and confirms in the preview).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Tree,
    Buckets,
    Transfers,
    Preview,
    Status,
    JobDetails,
    Connection,
    Confirm,
    BatchForm,
    Help,
}

impl Context {
    pub const ALL: [Context; 10] = [
        Context::Tree,
        Context::Buckets,
        Context::Transfers,
        Context::Preview,
        Context::Status,
        Context::JobDetails,
        Context::Connection,
        Context::Confirm,
        Context::BatchForm,
        Context::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Tree => "Bucket pane",
            Context::Buckets => "Bucket list",
            Context::Transfers => "Transfers",
            Context::Preview => "Copy/move preview",
            Context::Status => "Bucket status",
            Context::JobDetails => "Job details",
            Context::Connection => "Connection picker",
            Context::Confirm => "Confirmation",
            Context::BatchForm => "S3 Batch Operations form (letters type into the field)",
            Context::Help => "Help",
        }
    }
}

use Context as C;

const NAV: &[Context] = &[
    C::Tree,
    C::Buckets,
    C::Transfers,
    C::Preview,
    C::Status,
    C::JobDetails,
    C::Connection,
    C::Help,
];
const MAIN: &[Context] = &[C::Tree, C::Buckets, C::Transfers];

/// One row of the table: verb, config name, what it does, where it applies.
pub struct VerbInfo {
    pub action: Verb,
    pub name: &'static str,
    pub description: &'static str,
    pub contexts: &'static [Context],
}

/// Order matters: when two verbs of one context share a key, the earlier wins.
pub const ACTIONS: &[VerbInfo] = &[
    VerbInfo {
        action: Verb::Close,
        name: "close",
        description: "close the dialog / clear the filter",
        contexts: &[
            C::Preview,
            C::Status,
            C::JobDetails,
            C::Connection,
            C::Confirm,
            C::BatchForm,
            C::Help,
            C::Buckets,
            C::Tree,
        ],
    },
    VerbInfo {
        action: Verb::Yes,
        name: "yes",
        description: "yes",
        contexts: &[C::Confirm],
    },
    VerbInfo {
        action: Verb::No,
        name: "no",
        description: "no",
        contexts: &[C::Confirm],
    },
    VerbInfo {
        action: Verb::Confirm,
        name: "confirm",
        description: "queue the job / choose / next field, then submit",
        contexts: &[C::Preview, C::Connection, C::BatchForm],
    },
    VerbInfo {
        action: Verb::Batch,
        name: "batch",
        description: "run on S3 Batch Operations (a complete plan it can express)",
        contexts: &[C::Preview],
    },
    VerbInfo {
        action: Verb::EditDestination,
        name: "edit_destination",
        description: "edit the destination prefix",
        contexts: &[C::Preview],
    },
    VerbInfo {
        action: Verb::EditRewrite,
        name: "edit_rewrite",
        description: "edit the rewrite rule REGEX=>REPLACEMENT",
        contexts: &[C::Preview],
    },
    VerbInfo {
        action: Verb::TogglePolicy,
        name: "toggle_policy",
        description: "cycle overwrite / skip existing / skip identical",
        contexts: &[C::Preview],
    },
    VerbInfo {
        action: Verb::ToggleSse,
        name: "toggle_sse",
        description:
            "cycle the copies' encryption: destination default / AES256 / aws:kms / as the source",
        contexts: &[C::Preview],
    },
    VerbInfo {
        action: Verb::ReplicationSummary,
        name: "replication_summary",
        description: "per-object replication status under the cursor's prefix",
        contexts: &[C::Status],
    },
    VerbInfo {
        action: Verb::Quit,
        name: "quit",
        description: "quit (asks while jobs run)",
        contexts: &[C::Tree, C::Buckets, C::Transfers, C::Confirm],
    },
    VerbInfo {
        action: Verb::Help,
        name: "help",
        description: "this help",
        contexts: &[
            C::Tree,
            C::Buckets,
            C::Transfers,
            C::Preview,
            C::Status,
            C::JobDetails,
            C::Help,
        ],
    },
    VerbInfo {
        action: Verb::FocusNext,
        name: "focus_next",
        description: "focus next: left, right, transfers / next field",
        contexts: &[C::Tree, C::Buckets, C::Transfers, C::BatchForm],
    },
    VerbInfo {
        action: Verb::FocusPrev,
        name: "focus_prev",
        description: "focus previous / previous field",
        contexts: &[C::Tree, C::Buckets, C::Transfers, C::BatchForm],
    },
    VerbInfo {
        action: Verb::Up,
        name: "up",
        description: "cursor up",
        contexts: NAV,
    },
    VerbInfo {
        action: Verb::Down,
        name: "down",
        description: "cursor down",
        contexts: NAV,
    },
    VerbInfo {
        action: Verb::PageUp,
        name: "page_up",
        description: "page up",
        contexts: NAV,
    },
    VerbInfo {
        action: Verb::PageDown,
        name: "page_down",
        description: "page down",
        contexts: NAV,
    },
    VerbInfo {
        action: Verb::Top,
        name: "top",
        description: "first row",
        contexts: NAV,
    },
    VerbInfo {
        action: Verb::Bottom,
        name: "bottom",
        description: "last row",
        contexts: NAV,
    },
    VerbInfo {
        action: Verb::Open,
        name: "open",
        description: "open bucket / expand-collapse prefix / load more / job details",
        contexts: &[C::Tree, C::Buckets, C::Transfers, C::Connection],
    },
    VerbInfo {
        action: Verb::Back,
        name: "back",
        description: "collapse / go to parent / back to bucket list",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Mark,
        name: "mark",
        description: "mark or unmark the row (source pane)",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::ClearMarks,
        name: "clear_marks",
        description: "clear all marks",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Copy,
        name: "copy",
        description: "copy the marks into the right pane's open folder (preview first)",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Move,
        name: "move",
        description: "move the marks into the right pane's open folder (preview first)",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Compare,
        name: "compare",
        description: "compare mode on/off: the left open folder against the right one",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::MarkDifferences,
        name: "mark_differences",
        description: "mark on the left what is only there or different (compare mode)",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Status,
        name: "status",
        description: "bucket status: versioning, replication, ownership...",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Filter,
        name: "filter",
        description: "filter the listed names",
        contexts: &[C::Tree, C::Buckets],
    },
    VerbInfo {
        action: Verb::Refresh,
        name: "refresh",
        description: "reload",
        contexts: &[C::Tree, C::Buckets, C::Status],
    },
    VerbInfo {
        action: Verb::Versions,
        name: "versions",
        description: "list the object's versions",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Connection,
        name: "connection",
        description: "switch the pane's connection",
        contexts: &[C::Tree, C::Buckets],
    },
    VerbInfo {
        action: Verb::Buckets,
        name: "buckets",
        description: "back to the bucket list",
        contexts: &[C::Tree],
    },
    VerbInfo {
        action: Verb::Pause,
        name: "pause",
        description: "pause / resume the job",
        contexts: &[C::Transfers, C::JobDetails],
    },
    VerbInfo {
        action: Verb::CancelJob,
        name: "cancel_job",
        description: "cancel the job (resumable later)",
        contexts: &[C::Transfers, C::JobDetails],
    },
    VerbInfo {
        action: Verb::RetryFailed,
        name: "retry_failed",
        description: "retry the job's failed objects",
        contexts: &[C::Transfers, C::JobDetails],
    },
];

pub fn info(action: Verb) -> Option<&'static VerbInfo> {
    ACTIONS.iter().find(|a| a.action == action)
}

/// A key with the modifiers that matter. Shift is carried by the character
/// itself (`G`), so it is not a separate flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeyChord {
    pub fn plain(code: KeyCode) -> Self {
        KeyChord {
            code,
            ctrl: false,
            alt: false,
        }
    }

    pub fn from_event(ev: &KeyEvent) -> Self {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            // Terminals report ctrl-C as 'c' or 'C' depending on shift state.
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        KeyChord {
            code,
            ctrl,
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }

    /// Parse the config notation: `a`, `G`, `ctrl-c`, `alt-x`, `enter`, `f1`, `?`.
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text;
        loop {
            if rest.chars().count() <= 1 {
                break;
            }
            if let Some(r) = rest.strip_prefix("ctrl-") {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => KeyCode::F(n),
                    _ => return Err(format!("unknown key {text:?}")),
                },
                _ => return Err(format!("unknown key {text:?}")),
            },
        };
        Ok(KeyChord { code, ctrl, alt })
    }
}

/// The resolved bindings: for each verb, its chords and their display text.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    bindings: BTreeMap<Verb, Vec<(KeyChord, String)>>,
}

impl Keymap {
    /// Builds the keymap; problems (unknown verbs or keys) are returned so the
    /// caller can show them instead of silently dropping a binding.
    pub fn from_config(keys: &BTreeMap<String, Vec<String>>) -> (Keymap, Vec<String>) {
        let mut map = Keymap::default();
        let mut problems = Vec::new();
        for (name, chords) in keys {
            let Some(info) = ACTIONS.iter().find(|a| a.name == name) else {
                problems.push(format!("[keys] unknown action {name:?}"));
                continue;
            };
            let entry = map.bindings.entry(info.action).or_default();
            for text in chords {
                match KeyChord::parse(text) {
                    Ok(ch) => entry.push((ch, text.clone())),
                    Err(e) => problems.push(format!("[keys] {name}: {e}")),
                }
            }
        }
        (map, problems)
    }

    /// The verb `ev` means in `ctx`, if any.
    pub fn resolve(&self, ctx: Context, ev: &KeyEvent) -> Option<Verb> {
        let chord = KeyChord::from_event(ev);
        let found = ACTIONS
            .iter()
            .filter(|a| a.contexts.contains(&ctx))
            .find(|a| {
                self.bindings
                    .get(&a.action)
                    .is_some_and(|b| b.iter().any(|(c, _)| *c == chord))
            });
        if let Some(a) = found {
            return Some(a.action);
        }
        // Esc always closes, whatever the config says: a dialog must never trap the user.
        let closes = chord == KeyChord::plain(KeyCode::Esc)
            && ACTIONS
                .iter()
                .any(|a| a.action == Verb::Close && a.contexts.contains(&ctx));
        closes.then_some(Verb::Close)
    }

    /// Display text of a verb's keys, e.g. `q/ctrl-c`.
    pub fn keys_text(&self, action: Verb) -> String {
        self.bindings
            .get(&action)
            .map(|b| {
                b.iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// Each key of a verb as written in the config.
    pub fn key_texts(&self, action: Verb) -> Vec<&str> {
        self.bindings
            .get(&action)
            .map(|b| b.iter().map(|(_, t)| t.as_str()).collect())
            .unwrap_or_default()
    }

    /// The first key of a verb, for short hints.
    pub fn first_key(&self, action: Verb) -> String {
        self.bindings
            .get(&action)
            .and_then(|b| b.first())
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| "?".into())
    }

    /// Help rows: per context, (keys, description) for every bound verb.
    /// Help sections (title, rows of keys and description): first what works
    /// on the whole main screen, then what each context adds.
    pub fn help(&self) -> Vec<(&'static str, Vec<(String, &'static str)>)> {
        let everywhere = |a: &VerbInfo| MAIN.iter().all(|c| a.contexts.contains(c));
        let row = |a: &VerbInfo| {
            let keys = self.keys_text(a.action);
            (!keys.is_empty()).then_some((keys, a.description))
        };
        let mut out = vec![(
            "Main screen",
            ACTIONS
                .iter()
                .filter(|a| everywhere(a))
                .filter_map(row)
                .collect(),
        )];
        for ctx in Context::ALL {
            let rows: Vec<_> = ACTIONS
                .iter()
                .filter(|a| a.contexts.contains(&ctx) && !everywhere(a))
                .filter_map(row)
                .collect();
            if !rows.is_empty() {
                out.push((ctx.title(), rows));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_chords() {
        let cases = [
            ("a", KeyCode::Char('a'), false),
            ("G", KeyCode::Char('G'), false),
            ("ctrl-c", KeyCode::Char('c'), true),
            ("ctrl-C", KeyCode::Char('c'), true),
            ("enter", KeyCode::Enter, false),
            ("space", KeyCode::Char(' '), false),
            ("backtab", KeyCode::BackTab, false),
            ("f1", KeyCode::F(1), false),
            ("?", KeyCode::Char('?'), false),
            ("-", KeyCode::Char('-'), false),
        ];
        for (text, code, ctrl) in cases {
            let ch = KeyChord::parse(text).expect(text);
            assert_eq!((ch.code, ch.ctrl), (code, ctrl), "{text}");
        }
        assert!(KeyChord::parse("hyper-x").is_err());
        assert!(KeyChord::parse("f99").is_err());
    }

    #[test]
    fn every_action_has_a_default_binding() {
        let cfg = crate::config::Config::defaults();
        let (km, problems) = Keymap::from_config(&cfg.keys);
        assert!(problems.is_empty(), "{problems:?}");
        for a in ACTIONS {
            assert!(
                !km.keys_text(a.action).is_empty(),
                "{} has no default key",
                a.name
            );
        }
    }

    #[test]
    fn context_decides_meaning() {
        let cfg = crate::config::Config::defaults();
        let (km, _) = Keymap::from_config(&cfg.keys);
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(km.resolve(Context::Tree, &enter), Some(Verb::Open));
        assert_eq!(km.resolve(Context::Preview, &enter), Some(Verb::Confirm));
        assert_eq!(
            km.resolve(Context::Confirm, &enter),
            None,
            "a move needs an explicit yes"
        );
        let shift_r = key(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(
            km.resolve(Context::Transfers, &shift_r),
            Some(Verb::RetryFailed)
        );
        let ctrl_c = key(
            KeyCode::Char('C'),
            KeyModifiers::CONTROL | KeyModifiers::SHIFT,
        );
        assert_eq!(km.resolve(Context::Tree, &ctrl_c), Some(Verb::Quit));
    }

    #[test]
    fn esc_closes_even_when_unbound() {
        let mut keys = crate::config::Config::defaults().keys;
        keys.insert("close".into(), vec!["f10".into()]);
        let (km, _) = Keymap::from_config(&keys);
        let esc = key(KeyCode::Esc, KeyModifiers::NONE);
        assert_eq!(km.resolve(Context::Preview, &esc), Some(Verb::Close));
    }

    #[test]
    fn help_lists_every_bound_action_once_per_section() {
        let (km, _) = Keymap::from_config(&crate::config::Config::defaults().keys);
        let help = km.help();
        assert_eq!(help[0].0, "Main screen");
        assert!(help[0].1.iter().any(|(k, _)| k == "q/ctrl-c"));
        let tree = help
            .iter()
            .find(|(t, _)| *t == Context::Tree.title())
            .expect("tree section");
        assert!(tree
            .1
            .iter()
            .any(|(k, d)| k == "space" && d.contains("mark")));
        assert!(
            !tree.1.iter().any(|(k, _)| k == "q/ctrl-c"),
            "global keys are listed once"
        );
        for a in ACTIONS {
            let listed = help
                .iter()
                .any(|(_, rows)| rows.iter().any(|(_, d)| *d == a.description));
            assert!(listed, "{} missing from help", a.name);
        }
    }

    #[test]
    fn reports_bad_entries() {
        let mut keys = BTreeMap::new();
        keys.insert("fly".to_string(), vec!["x".to_string()]);
        keys.insert("quit".to_string(), vec!["hyper-q".to_string()]);
        let (_, problems) = Keymap::from_config(&keys);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
