//! A one-line text field (filters, prefixes, rewrite rules, names).

use crate::tui::app::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub text: String,
    /// In characters, not bytes: keys and names are often not ASCII.
    pub cursor: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputOutcome {
    Changed,
    Moved,
    Submit,
    Cancel,
    Ignored,
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        TextInput { text, cursor }
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(self.text.len())
    }

    pub fn handle(&mut self, ev: &KeyEvent) -> InputOutcome {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match ev.code {
            KeyCode::Enter => InputOutcome::Submit,
            KeyCode::Esc => InputOutcome::Cancel,
            KeyCode::Char('u') if ctrl => {
                self.text.clear();
                self.cursor = 0;
                InputOutcome::Changed
            }
            KeyCode::Char('a') if ctrl => {
                self.cursor = 0;
                InputOutcome::Moved
            }
            KeyCode::Char('e') if ctrl => {
                self.cursor = len;
                InputOutcome::Moved
            }
            KeyCode::Char(_) if ctrl || ev.modifiers.contains(KeyModifiers::ALT) => {
                InputOutcome::Ignored
            }
            KeyCode::Char(c) => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                InputOutcome::Changed
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                InputOutcome::Changed
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                InputOutcome::Changed
            }
            KeyCode::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                InputOutcome::Moved
            }
            KeyCode::Right => {
                self.cursor = (self.cursor + 1).min(len);
                InputOutcome::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                InputOutcome::Moved
            }
            KeyCode::End => {
                self.cursor = len;
                InputOutcome::Moved
            }
            _ => InputOutcome::Ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_unicode_text() {
        let mut t = TextInput::new("日本");
        assert_eq!(t.handle(&k(KeyCode::Left)), InputOutcome::Moved);
        t.handle(&k(KeyCode::Char('x')));
        assert_eq!(t.text, "日x本");
        t.handle(&k(KeyCode::Backspace));
        t.handle(&k(KeyCode::Backspace));
        assert_eq!(t.text, "本");
        assert_eq!(t.handle(&k(KeyCode::Backspace)), InputOutcome::Ignored);
        t.handle(&k(KeyCode::Delete));
        assert_eq!(t.text, "");
        assert_eq!(t.handle(&k(KeyCode::Enter)), InputOutcome::Submit);
        assert_eq!(t.handle(&k(KeyCode::Esc)), InputOutcome::Cancel);
    }
}
