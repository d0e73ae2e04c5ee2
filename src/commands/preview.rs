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
    // The feed as the grid shows it: each post's version for a platform
    // with a grid, and no other target (a post to Instagram and Threads
    // would otherwise show twice, or as what Instagram does not show).
    let on_grid =
        |p: Option<crate::platform::Platform>| p.is_some_and(|p| p.spec().capabilities(None).grid);
    plan.entries.retain(|e| on_grid(e.platform));
    let valid = posts
        .iter()
        .filter_map(|c| c.valid.iter().find(|v| on_grid(Some(v.platform))))
        .map(|v| (v.post.id.as_str(), v))
        .collect();
    let inputs = crate::preview::Inputs {
        repo: &g.repo,
        plan: &plan,
        state: &state,
        posts: valid,
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
