#!/usr/bin/env bash
# Smoke test of the real `mlspm` workbench in a 160x48 tmux terminal: overview → findings → one finding
# → back → quit, then check the terminal was restored (no alternate screen, the shell prompt back).
# Usage: scripts/tui_smoke.sh DATABASE   (exit 0 = passed; prints what it saw on failure)
set -euo pipefail
db="${1:?usage: $0 DATABASE}"
here="$(cd "$(dirname "$0")/.." && pwd)"
mlspm="${MLSPM:-$here/.venv/bin/mlspm}"
session="mlspm-smoke-$$"
command -v tmux >/dev/null || { echo "tmux is not installed"; exit 2; }

fail() { echo "FAIL: $*"; echo "----- screen -----"; tmux capture-pane -p -t "$session" || true; tmux kill-session -t "$session" 2>/dev/null || true; exit 1; }
wait_for() {  # wait_for TEXT [SECONDS]
  local deadline=$((SECONDS + ${2:-20}))
  until tmux capture-pane -p -t "$session" | grep -qF -- "$1"; do
    [ $SECONDS -lt $deadline ] || fail "did not see '$1'"
    sleep 0.2
  done
}

tmux new-session -d -s "$session" -x 160 -y 48 "bash --norc --noprofile"
tmux send-keys -t "$session" "PS1='smoke\$ '; clear" Enter
wait_for 'smoke$'
tmux send-keys -t "$session" "$mlspm --db '$db'" Enter
wait_for "open findings" 30            # the overview
wait_for "last analysis"
tmux send-keys -t "$session" f
wait_for "mlspm › findings"             # the findings list with its breadcrumb
wait_for "findings · enter open"
tmux send-keys -t "$session" Enter
wait_for "Evidence"                     # one finding, evidence tab
wait_for "page 1"
tmux send-keys -t "$session" Escape
wait_for "findings · enter open"
tmux send-keys -t "$session" Escape
wait_for "open findings"
tmux send-keys -t "$session" q
wait_for 'smoke$' 10
[ "$(tmux display -p -t "$session" '#{alternate_on}')" = "0" ] || fail "still on the alternate screen"
[ "$(tmux display -p -t "$session" '#{cursor_flag}')" = "1" ] || fail "the cursor is still hidden"
tmux kill-session -t "$session"
echo "PASS: overview → findings → finding → back → quit; terminal restored"
