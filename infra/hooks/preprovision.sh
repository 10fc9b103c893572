#!/bin/sh
# azd preprovision: check the inputs before anything is created, and generate the approval-link
# signing secret into the azd environment when none was set.
. "$(dirname -- "$0")/lib.sh"

require_az_login
require_resource_id AML_WORKSPACE_RESOURCE_ID Microsoft.MachineLearningServices/workspaces
require_resource_id TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID Microsoft.OperationalInsights/workspaces
endpoint_names_json >/dev/null

case "${DURABLE_BACKEND:-azureStorage}" in
  azureStorage | durableTaskScheduler) ;;
  *) fail "DURABLE_BACKEND must be azureStorage or durableTaskScheduler, not '${DURABLE_BACKEND:-}'" ;;
esac

# Fail early, with the workspace named, rather than deep inside the deployment.
az resource show --ids "$AML_WORKSPACE_RESOURCE_ID" --output none --only-show-errors ||
  fail "cannot read the ML workspace $AML_WORKSPACE_RESOURCE_ID (does it exist, and may you read it?)"
az resource show --ids "$TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID" --output none --only-show-errors ||
  fail "cannot read the Log Analytics workspace $TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID"

if [ -z "${APPROVAL_LINK_SECRET:-}" ]; then
  info "generating APPROVAL_LINK_SECRET into the azd environment (48 random bytes, base64)"
  if command -v openssl >/dev/null 2>&1; then
    secret=$(openssl rand -base64 48 | tr -d '\n')
  elif command -v node >/dev/null 2>&1; then
    secret=$(node -e "process.stdout.write(require('node:crypto').randomBytes(48).toString('base64'))")
  else
    fail "APPROVAL_LINK_SECRET is not set and neither openssl nor node is there to generate one. Run: azd env set APPROVAL_LINK_SECRET <at least 32 random characters>"
  fi
  azd env set APPROVAL_LINK_SECRET "$secret"
else
  length=$(printf '%s' "$APPROVAL_LINK_SECRET" | wc -c)
  [ "$length" -ge 32 ] || fail "APPROVAL_LINK_SECRET must be at least 32 characters (it has $length)"
fi
