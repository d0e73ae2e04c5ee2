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
    live_tiles: usize,
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
    // The grid shows each post's version for the platform with a grid
    // (once, even when the post also goes elsewhere); every other target
    // is shown as its platform's card.
    let on_grid = |p: crate::platform::Platform| p.spec().capabilities(None).grid;
    let valid = posts
        .iter()
        .filter_map(|c| c.valid.iter().find(|v| on_grid(v.platform)))
        .map(|v| (v.post.id.as_str(), v))
        .collect();
    let versions = posts
        .iter()
        .flat_map(|c| &c.valid)
        .map(|v| ((v.post.id.as_str(), v.account.as_str()), v))
        .collect();
    let inputs = crate::preview::Inputs {
        repo: &g.repo,
        plan: &plan,
        state: &state,
        posts: valid,
        versions,
        tz: &config.timezone,
        config: Some(&config),
        live_tiles,
    };
    match crate::preview::write(&inputs, out_dir) {
        Ok(written) => {
            let _ = writeln!(
                out,
                "wrote {}: {} on the grid, {} for other platforms, {} in the plan",
                out_dir.join("index.html").display(),
                crate::report::plural(written.tiles, "tile", "tiles"),
                crate::report::plural(written.cards, "card", "cards"),
                plan.entries.len()
            );
            Ok(Exit::Ok)
        }
        Err(e) => Err(Failure::Io(format!("--out {}: {e}", out_dir.display()))),
    }
}
