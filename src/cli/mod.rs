//! The command line: parse arguments, run a command, return an exit code.
//! The top-level parser and the dispatch are here; each group's commands,
//! with their help texts, in its own file: the publishing pipeline
//! ([`publish`]), the commands that only look ([`inspect`]) and those that
//! set a repo and its accounts up ([`setup`]).

mod inspect;
mod publish;
mod setup;

pub use inspect::{InspectCommand, SchemaKind, StateCommand};
pub use publish::PublishCommand;
pub use setup::{AuthCommand, MediaArg, SetupCommand};

use crate::commands::{Exit, Failure, Globals};
use crate::report::{self, Format};
use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 problems (invalid posts, a failed publish, a bad config or token, a file that cannot be written);
2 plan --detailed-exitcode: apply has work to do; apply --detailed-exitcode: a due post is held
for a person (duplicate, overdue, possible twin); 64 usage error; 130 apply stopped by a signal.
Docs: the README of the postwright repository lists every post field and rule id.";

/// Publish social posts kept as files in a git repository: validate them,
/// plan what is due, publish each exactly once.
#[derive(Debug, Parser)]
#[command(name = "postwright", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// The content repo (holding postwright.toml).
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The config file [default: DIR/postwright.toml].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format [default: github when GITHUB_ACTIONS=true, else human].
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Colour human output: auto (on a terminal, unless NO_COLOR is set;
    /// CLICOLOR_FORCE=1 forces it), always, never. Files (--out) and the
    /// json, markdown and github formats are never coloured.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

// The commands, by group (a doc comment here would become help text);
// `display_order` on each keeps `--help`'s list in the order people meet
// them (validate, plan, apply, state, status, init, auth, preview, import,
// schema), across the groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Publish(PublishCommand),
    #[command(flatten)]
    Inspect(InspectCommand),
    #[command(flatten)]
    Setup(SetupCommand),
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    fn choice(self) -> anstream::ColorChoice {
        match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        }
    }
}

/// Runs postwright with these arguments (the first is the program name) and
/// returns the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // clap prints --help and usage errors itself, before --color is parsed:
    // it is told the flag's value up front.
    let command = <Cli as clap::CommandFactory>::command().color(clap_color(&args));
    let parsed = command
        .try_get_matches_from(&args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            }
            .code();
        }
    };
    // The one gate for colour on stdout and stderr: anstream passes the
    // codes human output carries through to a terminal, and drops them for
    // pipes and files, with NO_COLOR, or with --color never.
    let choice = cli.color.choice();
    choice.write_global();
    let resolved = anstream::AutoStream::choice(&std::io::stdout());
    let raw: Box<dyn Write> = Box::new(std::io::BufWriter::with_capacity(
        1 << 16,
        std::io::stdout().lock(),
    ));
    let out: Box<dyn Write> = if resolved == anstream::ColorChoice::Never {
        Box::new(Stripped(raw))
    } else {
        Box::new(anstream::AutoStream::new(raw, resolved))
    };
    let mut stdout = WholeWrites(out);
    match execute(&cli, &mut stdout) {
        Ok(exit) => exit.code(),
        Err(failure) => {
            // Said once, here, unless the command already said it in its
            // format.
            if let Some(message) = failure.message() {
                let error = report::style::paint(report::style::ERROR, "error");
                anstream::eprintln!("{error}: {message}");
                // In the chosen format too: an Actions run shows it as an error.
                if chosen_format(&cli).ok() == Some(Format::Github) {
                    let _ = writeln!(
                        stdout,
                        "::error title=postwright::{}",
                        report::github::escape_data(message)
                    );
                }
            }
            failure.exit().code()
        }
    }
}

/// stdout as the commands see it: each write reaches the terminal or pipe
/// whole and at once. anstream strips colour codes chunk by chunk, and on a
/// line-buffered stdout that was a system call a line — 7,500 of them for a
/// 10,000-post plan; under it is a buffer, flushed after every write (a
/// command writes its report in one piece, or a line at a time).
struct WholeWrites<W: Write>(W);

impl<W: Write> Write for WholeWrites<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf)?;
        self.0.flush()
    }

    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
        self.write_all(std::fmt::format(args).as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// stdout without colour: what anstream's stripping stream writes, the
/// plain runs written as they are ([`report::style::write_stripped`]).
struct Stripped<W: Write>(W);

impl<W: Write> Write for Stripped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        report::style::write_stripped(&mut self.0, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The `--color` of raw arguments, for clap's own output (help, usage
/// errors); auto when absent or not a known value.
fn clap_color(args: &[OsString]) -> clap::ColorChoice {
    let mut value = None;
    for (i, arg) in args.iter().enumerate() {
        match arg.to_str() {
            Some("--") => break,
            Some("--color") => value = args.get(i + 1).and_then(|v| v.to_str()),
            Some(a) => {
                if let Some(v) = a.strip_prefix("--color=") {
                    value = Some(v);
                }
            }
            None => {}
        }
    }
    match value {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    }
}

/// The formats a command prints, the first its fallback. `--format` with
/// another is a usage error rather than quietly ignored.
fn formats(command: &Command) -> (&'static str, &'static [Format]) {
    match command {
        Command::Publish(c) => c.formats(),
        Command::Inspect(c) => c.formats(),
        Command::Setup(c) => c.formats(),
    }
}

fn format_name(f: Format) -> String {
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// The format the command prints: `--format`, or GitHub's where the
/// command has it (in Actions), else the command's own.
fn chosen_format(cli: &Cli) -> Result<Format, Failure> {
    let (name, supported) = formats(&cli.command);
    match cli.format {
        Some(f) if !supported.contains(&f) => {
            let list: Vec<String> = supported.iter().map(|f| format_name(*f)).collect();
            Err(Failure::Usage(format!(
                "`{name}` has no --format {}: it prints {}",
                format_name(f),
                list.join(", ")
            )))
        }
        Some(f) => Ok(f),
        None => Ok(Some(Format::default_for_env())
            .filter(|f| supported.contains(f))
            .unwrap_or(supported[0])),
    }
}

/// What running a command came to: its exit, or the failure to say.
type Outcome = Result<Exit, Failure>;

fn execute(cli: &Cli, out: &mut dyn Write) -> Outcome {
    let g = Globals {
        repo: cli.repo.clone(),
        config: cli.config.clone(),
    };
    let format = chosen_format(cli)?;
    match &cli.command {
        Command::Publish(c) => c.execute(&g, format, out),
        Command::Inspect(c) => c.execute(&g, format, out),
        Command::Setup(c) => c.execute(&g, format, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_parser_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_the_commands_in_their_order_across_the_groups() {
        let help = Cli::command().render_help().to_string();
        let order = [
            "validate", "plan", "apply", "state", "status", "init", "auth", "preview", "import",
            "schema", "help",
        ];
        let at: Vec<usize> = order
            .iter()
            .map(|name| {
                help.find(&format!("\n  {name} "))
                    .unwrap_or_else(|| panic!("{name} is not listed:\n{help}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{help}");
    }

    #[test]
    fn each_command_names_itself_for_format_errors() {
        for (args, name) in [
            (&["postwright", "validate"][..], "validate"),
            (&["postwright", "state", "show"], "state"),
            (&["postwright", "import", "--account", "a"], "import"),
            (&["postwright", "schema"], "schema"),
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(formats(&cli.command).0, name, "{args:?}");
        }
        let cli = Cli::try_parse_from([
            "postwright",
            "--format",
            "markdown",
            "preview",
            "--out",
            "x",
        ])
        .unwrap();
        let Err(Failure::Usage(message)) = chosen_format(&cli) else {
            panic!("preview prints no markdown");
        };
        assert_eq!(
            message,
            "`preview` has no --format markdown: it prints human"
        );
    }
}
