//! Include/exclude filters and the rewrite rule, applied to relative keys.

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RuleError {
    #[error("invalid glob {glob:?}: {message}")]
    Glob { glob: String, message: String },
    #[error("invalid rewrite {0:?}: expected 'REGEX=>REPLACEMENT'")]
    RewriteSyntax(String),
    #[error("invalid rewrite regex {regex:?}: {message}")]
    RewriteRegex { regex: String, message: String },
}

/// Ordered include/exclude globs; the last one that matches decides, and a key
/// no rule matches is included (the AWS CLI's semantics). `*` crosses `/`.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    rules: Vec<(bool, GlobMatcher)>,
}

impl Filters {
    pub fn new(rules: &[(bool, String)]) -> Result<Filters, RuleError> {
        let mut out = Vec::with_capacity(rules.len());
        for (include, glob) in rules {
            let m = GlobBuilder::new(glob)
                .literal_separator(false)
                .backslash_escape(true)
                .build()
                .map_err(|e| RuleError::Glob {
                    glob: glob.clone(),
                    message: e.kind().to_string(),
                })?
                .compile_matcher();
            out.push((*include, m));
        }
        Ok(Filters { rules: out })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn accepts(&self, rel_key: &str) -> bool {
        self.rules
            .iter()
            .rev()
            .find(|(_, m)| m.is_match(rel_key))
            .map(|(inc, _)| *inc)
            .unwrap_or(true)
    }
}

/// `REGEX=>REPLACEMENT` on the relative key (`$1`, `${name}` in the replacement).
#[derive(Debug, Clone)]
pub struct Rewrite {
    regex: Regex,
    replacement: String,
}

impl Rewrite {
    pub fn parse(spec: &str) -> Result<Rewrite, RuleError> {
        let (re, rep) = spec
            .split_once("=>")
            .ok_or_else(|| RuleError::RewriteSyntax(spec.to_string()))?;
        let regex = Regex::new(re).map_err(|e| RuleError::RewriteRegex {
            regex: re.to_string(),
            message: e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string(),
        })?;
        Ok(Rewrite {
            regex,
            replacement: rep.to_string(),
        })
    }

    pub fn apply(&self, rel_key: &str) -> String {
        self.regex
            .replace_all(rel_key, self.replacement.as_str())
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rules: &[(bool, &str)]) -> Filters {
        Filters::new(
            &rules
                .iter()
                .map(|(i, g)| (*i, g.to_string()))
                .collect::<Vec<_>>(),
        )
        .expect("valid globs")
    }

    #[test]
    fn last_match_wins() {
        type Case<'a> = (&'a [(bool, &'a str)], &'a str, bool);
        let cases: &[Case] = &[
            (&[], "a/b.txt", true),
            (&[(false, "*")], "a/b.txt", false),
            (&[(false, "*"), (true, "*.txt")], "a/b.txt", true),
            (&[(false, "*"), (true, "*.txt")], "a/b.jpg", false),
            (&[(true, "*.txt"), (false, "a/*")], "a/b.txt", false),
            (&[(false, "logs/*")], "logs/x/y", false),
            (&[(false, "logs/*")], "other/logs/x", true),
        ];
        for (rules, key, want) in cases {
            assert_eq!(f(rules).accepts(key), *want, "{rules:?} {key}");
        }
    }

    #[test]
    fn rewrite() {
        let r = Rewrite::parse(r"^(\d{4})-(\d{2})/=>year=$1/month=$2/").expect("valid");
        assert_eq!(r.apply("2024-05/a.csv"), "year=2024/month=05/a.csv");
        assert_eq!(r.apply("other/a.csv"), "other/a.csv");
        assert!(matches!(
            Rewrite::parse("no-arrow"),
            Err(RuleError::RewriteSyntax(_))
        ));
        assert!(matches!(
            Rewrite::parse("(=>x"),
            Err(RuleError::RewriteRegex { .. })
        ));
        assert!(Filters::new(&[(true, "a[".into())]).is_err());
    }
}
