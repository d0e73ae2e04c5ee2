//! `postwright preview`: the feed before it goes out, as a static site.

use super::{read_plan, Exit, Failure, Globals, Planned};
use crate::report::Format;
use std::io::Write;
use std::path::Path;

pub fn preview(
    g: &Globals,
    format: Format,
    out_dir: &Path,
    at: Option<&str>,
    base: Option<&str>,
    out: &mut dyn Write,
) -> Result<Exit, Failure> {
    let Planned {
        mut plan,
        config,
        posts,
        state,
        ..
    } = read_plan(g, format, at, out)?;
    if let Some(doubt) = &plan.state_unknown {
        eprint!(
            "{}",
            crate::report::style::strip(&crate::report::doubt_human(doubt))
        );
    }
    // The tiles a pull request adds or changes, highlighted.
    if let Some(base) = base {
        match crate::plan::base::touched(&g.repo, base) {
            Ok(touched) => plan.mark_touched(
                base,
                &touched,
                &super::plan_cmd::media_paths(&posts),
                &config.content,
            ),
            Err(e) => eprintln!("warning: {e}; no tile is highlighted"),
        }
    }
    // One card a post: its entry on a platform with a grid (the feed as
    // the grid shows it), else its first; its other platforms' versions
    // are shown in the card, each as its platform draws it.
    let on_grid =
        |p: Option<crate::platform::Platform>| p.is_some_and(|p| p.spec().capabilities(None).grid);
    let mut kept: std::collections::HashSet<String> = plan
        .entries
        .iter()
        .filter(|e| on_grid(e.platform))
        .map(|e| e.id.clone())
        .collect();
    plan.entries
        .retain(|e| on_grid(e.platform) || kept.insert(e.id.clone()));
    let mut valid = std::collections::HashMap::new();
    let mut others: std::collections::HashMap<&str, Vec<_>> = std::collections::HashMap::new();
    for c in &posts {
        let Some(id) = c.id.as_deref() else { continue };
        let Some(main) = plan.entries.iter().find(|e| e.id == id) else {
            continue;
        };
        for v in &c.valid {
            if Some(v.account.as_str()) == main.account.as_deref() {
                valid.insert(id, v);
            } else if v.platform != main.platform.unwrap_or_default()
                && !others
                    .get(id)
                    .is_some_and(|o: &Vec<&crate::validate::ValidPost>| {
                        o.iter().any(|w| w.platform == v.platform)
                    })
            {
                others.entry(id).or_default().push(v);
            }
        }
    }
    let inputs = crate::preview::Inputs {
        repo: &g.repo,
        plan: &plan,
        state: &state,
        posts: valid,
        others,
        tz: &config.timezone,
    };
    match crate::preview::write(&inputs, out_dir) {
        Ok(tiles) => {
            let _ = writeln!(
                out,
                "wrote {}: {tiles} posts on the grid, {} in all",
                out_dir.join("index.html").display(),
                plan.entries.len()
            );
            Ok(Exit::Ok)
        }
        Err(e) => Err(Failure::Io(format!("--out {}: {e}", out_dir.display()))),
    }
}
