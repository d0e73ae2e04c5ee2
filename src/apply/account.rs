//! One account's turn in a run: its publisher built through the registry
//! (whatever its platform), its credential checked for what its posts
//! need, then its [`AccountRun`].

use super::*;

/// What the account's work asks of its token beyond publishing.
fn needs(ctx: &Context<'_>, entries: &[&PlanEntry]) -> crate::auth::Needs {
    let comments = entries.iter().any(|e| {
        e.action == Action::Update
            || ctx.posts.get(&e.key()).is_some_and(|p| {
                p.post.fields.first_comment.is_some() || p.post.fields.comments == Some(false)
            })
    });
    let delete = ctx.options.prune && entries.iter().any(|e| e.action == Action::Removed);
    crate::auth::Needs { comments, delete }
}

/// One account's work, handed to the registry, which calls it with the
/// account's publisher (see [`crate::platform::with_publisher`]).
pub(super) struct AccountJob<'r, 'c, 'j> {
    pub(super) run: &'r mut Run<'c, 'j>,
    pub(super) name: &'r str,
    pub(super) entries: &'r [&'r PlanEntry],
}

impl AccountWork for AccountJob<'_, '_, '_> {
    type Output = Result<(), StateError>;

    async fn run<P: Publisher>(self, publisher: P) -> Result<(), StateError> {
        // The token first: an expired token or a missing scope fails the
        // account's posts before anything is made.
        if !self.run.check_token(self.name, self.entries).await {
            return Ok(());
        }
        self.run.account(self.name, publisher, self.entries).await
    }
}

/// What every account's run shares.
pub(super) struct Run<'c, 'j> {
    pub(super) ctx: &'c Context<'c>,
    pub(super) journal: &'j mut Journal<'c>,
    pub(super) outcomes: &'j mut Vec<Outcome>,
    pub(super) progress: &'j mut dyn Progress,
    pub(super) warnings: &'j mut Vec<String>,
    /// The account's username, from the token check.
    pub(super) username: Option<String>,
}

impl Run<'_, '_> {
    /// Every post of the account failed for one reason: said once for the
    /// account, then one short line per post.
    pub(super) fn fail_all(&mut self, name: &str, entries: &[&PlanEntry], why: &str) {
        self.progress.line(&format!("✗ account {name}: {why}"));
        for e in entries {
            self.progress.line(&format!(
                "✗ {}: not attempted (account {name}, see above)",
                e.file
            ));
            self.outcomes.push(outcome(
                e,
                Verdict::Failed,
                &self.journal.state,
                format!("account {name}: {why}"),
            ));
        }
    }

    /// Checks the account's credential for what its posts need; false when
    /// it cannot publish (its posts are failed). A platform that cannot be
    /// reached for the check is a warning: the run's own calls retry and
    /// classify, and the check must not be what stops a publish.
    pub(super) async fn check_token(&mut self, name: &str, entries: &[&PlanEntry]) -> bool {
        let Some(account) = self.ctx.config.accounts.get(name) else {
            return true;
        };
        let needs = needs(self.ctx, entries);
        let inspected =
            crate::auth::inspect(self.ctx.config, name, account, Timestamp::now(), needs).await;
        match inspected {
            Ok(i) => {
                self.username.clone_from(&i.username);
                for w in &i.warnings {
                    self.progress.line(&format!("warning: account {name}: {w}"));
                    self.warnings.push(format!("account {name}: {w}"));
                }
                if !i.usable() {
                    self.fail_all(name, entries, &i.errors.join("; "));
                    return false;
                }
            }
            Err(e) => self.progress.line(&format!(
                "warning: account {name}: could not check the token: {e}"
            )),
        }
        true
    }

    /// One account's work through its platform's publisher.
    pub(super) async fn account<P: Publisher>(
        &mut self,
        name: &str,
        publisher: P,
        entries: &[&PlanEntry],
    ) -> Result<(), StateError> {
        AccountRun {
            ctx: self.ctx,
            account: name.to_string(),
            publisher,
            journal: self.journal,
            outcomes: self.outcomes,
            progress: self.progress,
            stopped: None,
            recent: HashMap::new(),
            held: None,
            username: self.username.take(),
        }
        .run(entries)
        .await
    }
}
