#!/usr/bin/env bash
# Runs postwright for the action: validate, plan (with a sticky pull-request
# comment) or apply, and writes the step outputs. postwright itself reads the
# config, fetches and pushes the state branch, and masks the account tokens.
# Inputs arrive only through the environment (INPUT_*); nothing here is run
# through eval, and `args` is split into words.
set -euo pipefail

command="${INPUT_COMMAND:-plan}"
workdir="${INPUT_WORKING_DIRECTORY:-.}"
out_dir="${RUNNER_TEMP:-$(mktemp -d)}/postwright"
mkdir -p "$out_dir"
extra=()
read -r -a extra <<< "${INPUT_ARGS:-}" || true
global=(--repo "$workdir")
if [ -n "${INPUT_CONFIG:-}" ]; then global+=(--config "$INPUT_CONFIG"); fi

output() {
  echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"
}

# Secrets are masked by the runner; copies of them are not. postwright itself
# names the values of the token variables its config lists (::add-mask:: on
# stderr, before anything else); the GitHub token is masked here.
if [ -n "${INPUT_GITHUB_TOKEN:-}" ]; then echo "::add-mask::$INPUT_GITHUB_TOKEN"; fi

# The git backend's state branch is fetched and pushed by postwright itself.
if [ "${INPUT_PUSH_STATE:-false}" = "true" ]; then
  echo "::notice title=postwright::push-state is no longer needed: postwright pushes the state branch itself after every step ([state] remote in postwright.toml); remove the input"
fi

sticky_comment() {
  local plan_md="$1"
  case "${GITHUB_EVENT_NAME:-}" in pull_request | pull_request_target) ;; *) return 0 ;; esac
  [ "${INPUT_COMMENT:-true}" = "true" ] || return 0
  [ -n "${INPUT_GITHUB_TOKEN:-}" ] && [ -f "${GITHUB_EVENT_PATH:-}" ] || return 0
  local pr
  pr="$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")"
  [ -n "$pr" ] || return 0
  local api="${GITHUB_API_URL:-https://api.github.com}"
  local repo="$GITHUB_REPOSITORY"
  local marker='<!-- postwright-plan -->'
  # The token goes in a header file, not on curl's command line.
  local headers="$out_dir/headers"
  (umask 077; printf 'Authorization: Bearer %s\nAccept: application/vnd.github+json\nContent-Type: application/json\nX-GitHub-Api-Version: 2022-11-28\n' "$INPUT_GITHUB_TOKEN" > "$headers")
  local id="" page list
  for page in 1 2 3 4 5 6 7 8 9 10; do
    list="$(curl -fsS -H @"$headers" "$api/repos/$repo/issues/$pr/comments?per_page=100&page=$page")" || {
      echo "::warning title=postwright::cannot list the pull request's comments; the plan is in the job summary"
      rm -f "$headers"
      return 0
    }
    id="$(jq -r --arg m "$marker" 'map(select((.body // "") | startswith($m))) | .[0].id // empty' <<< "$list")"
    if [ -n "$id" ] || [ "$(jq length <<< "$list")" -lt 100 ]; then break; fi
  done
  jq -n --arg body "$marker"$'\n'"$(cat "$plan_md")" '{body: $body}' > "$out_dir/comment.json"
  if [ -n "$id" ]; then
    curl -fsS -X PATCH -H @"$headers" --data-binary @"$out_dir/comment.json" \
      "$api/repos/$repo/issues/comments/$id" > /dev/null \
      && echo "updated the plan comment on #$pr" \
      || echo "::warning title=postwright::cannot update the plan comment"
  else
    curl -fsS -X POST -H @"$headers" --data-binary @"$out_dir/comment.json" \
      "$api/repos/$repo/issues/$pr/comments" > /dev/null \
      && echo "commented the plan on #$pr" \
      || echo "::warning title=postwright::cannot comment the plan (a fork's pull request has a read-only token)"
  fi
  rm -f "$headers"
}

case "$command" in
  install)
    # Only puts postwright on PATH (for steps that run it themselves).
    output exit-code 0
    exit 0
    ;;
  validate)
    set +e
    postwright "${global[@]}" --format github validate ${extra[@]+"${extra[@]}"}
    code=$?
    set -e
    output exit-code "$code"
    output has-changes false
    output published 0
    output plan-json ""
    exit "$code"
    ;;
  plan)
    plan_json="$out_dir/plan.json"
    plan_md="$out_dir/plan.md"
    # On a pull request the plan leads with the posts it touches, compared
    # with the base commit (postwright warns and lists every post when the
    # checkout lacks it: fetch-depth: 0).
    base=()
    if [ -f "${GITHUB_EVENT_PATH:-}" ]; then
      base_sha="$(jq -r '.pull_request.base.sha // empty' "$GITHUB_EVENT_PATH")"
      if [[ "$base_sha" =~ ^[0-9a-f]{40}$ ]]; then base=(--base "$base_sha"); fi
    fi
    set +e
    postwright "${global[@]}" --format json plan --detailed-exitcode --out "$plan_json" ${base[@]+"${base[@]}"} ${extra[@]+"${extra[@]}"}
    code=$?
    set -e
    output exit-code "$code"
    output has-changes "$([ "$code" = 2 ] && echo true || echo false)"
    output published 0
    output plan-json "$plan_json"
    # The listing and annotations for the log, the summary, the comment:
    # the same plan again, without the token check — or, with refresh, with
    # the live accounts read for the drift (the comment's run only: one
    # read per account).
    postwright "${global[@]}" --format github plan --offline ${extra[@]+"${extra[@]}"} || true
    rm -f "$plan_md"
    live=(--offline)
    if [ "${INPUT_REFRESH:-false}" = "true" ]; then live=(--refresh); fi
    postwright "${global[@]}" --format markdown plan "${live[@]}" --out "$plan_md" ${base[@]+"${base[@]}"} ${extra[@]+"${extra[@]}"} || true
    # The feed as it will look, for the reviewers: a static site the next
    # step uploads as an artifact, linked from the comment.
    preview_dir=""
    case "${GITHUB_EVENT_NAME:-}" in pull_request | pull_request_target)
      if [ "${INPUT_PREVIEW:-true}" = "true" ] && [ -s "$plan_md" ]; then
        if postwright "${global[@]}" preview --out "$out_dir/preview" ${base[@]+"${base[@]}"} >&2; then
          preview_dir="$out_dir/preview"
          runs="${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/${GITHUB_RUN_ID:-}"
          printf '\n🖼 **[See the feed](%s#artifacts)**: the grid, the calendar and every post as Instagram shows them (artifact `postwright-preview`; open `index.html`).\n' "$runs" >> "$plan_md"
        else
          echo "::warning title=postwright::the feed preview could not be made"
        fi
      fi
      ;;
    esac
    output preview-dir "$preview_dir"
    # No plan (a broken postwright.toml, say): the comment says why instead
    # of keeping the previous push's plan.
    if [ ! -s "$plan_md" ]; then
      {
        printf '### postwright plan\n\n**No plan: postwright stopped with exit code %s.** Fix these first:\n\n' "$code"
        postwright "${global[@]}" --format markdown validate 2>&1 || true
      } > "$plan_md"
    fi
    sticky_comment "$plan_md"
    if [ "$code" = 2 ]; then exit 0; fi
    exit "$code"
    ;;
  apply)
    report="$out_dir/apply.json"
    set +e
    postwright "${global[@]}" --format json apply --out "$report" ${extra[@]+"${extra[@]}"}
    code=$?
    set -e
    published=0
    changed=false
    if [ -s "$report" ]; then
      published="$(jq '[.results[] | select(.result == "published")] | length' "$report")"
      if [ "$(jq '[.results[] | select(.result != "deferred" and .result != "failed")] | length' "$report")" != 0 ]; then
        changed=true
      fi
      jq -r '
        def data: gsub("%"; "%25") | gsub("\r"; "%0D") | gsub("\n"; "%0A");
        def prop: data | gsub(":"; "%3A") | gsub(","; "%2C");
        (.warnings[]? | "::warning title=postwright::" + data),
        (.results[] | select(.result == "failed")
          | "::error file=" + (.file | prop) + ",line=1,title=postwright apply failed::" + (.message | data))
      ' "$report"
      if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        {
          echo "### postwright apply"
          echo
          echo "| result | post | permalink / message |"
          echo "|---|---|---|"
          jq -r '.results[] | "| \(.result) | `\(.file)` | \(.permalink // .message | gsub("\\|"; "\\|") | gsub("\n"; " ")) |"' "$report"
          echo
        } >> "$GITHUB_STEP_SUMMARY"
      fi
    fi
    output exit-code "$code"
    output has-changes "$changed"
    output published "$published"
    output plan-json ""
    exit "$code"
    ;;
  *)
    echo "::error title=postwright::unknown command '$command' (validate, plan or apply)"
    exit 64
    ;;
esac
