//! GitHub Actions workflow commands (`::error file=…::message`).
//!
//! Escaping follows the runner's rules: in the message `%`, CR and LF are
//! percent-encoded; in property values `:` and `,` are too, or the runner
//! would split the properties there.

use crate::diagnostic::{Problem, Severity};

/// Escapes the message part of a workflow command.
/// Appends Markdown to the job summary (`$GITHUB_STEP_SUMMARY`) when the
/// runner set one; a summary that cannot be written is a warning.
pub fn append_step_summary(markdown: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, markdown.as_bytes()));
    if let Err(e) = written {
        eprintln!("warning: cannot write the job summary: {e}");
    }
}

pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation per problem; `prefix` is the repo path inside the checkout
/// (empty when the content repo is the checkout root), so annotations land
/// on the right file of the diff.
pub fn annotations(problems: &[&Problem], prefix: &str) -> String {
    let mut out = String::new();
    for p in problems {
        let level = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let file = if prefix.is_empty() {
            p.file.clone()
        } else {
            format!("{}/{}", prefix.trim_end_matches('/'), p.file)
        };
        let mut message = match &p.help {
            Some(h) => format!("{}\n{h}", p.message),
            None => p.message.clone(),
        };
        for n in &p.notes {
            message.push_str(&format!(
                "\nnote: {}:{}:{}: {}",
                n.file, n.line, n.column, n.message
            ));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            escape_property(&file),
            p.line,
            p.column,
            escape_property(p.rule.id()),
            escape_data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% done\nnext\r"), "50%25 done%0Anext%0D");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
