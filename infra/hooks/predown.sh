#!/bin/sh
# azd predown: remove what the hooks created outside the controller's resource group (azd down
# then deletes that resource group). Your ML and Log Analytics workspaces are left as they were,
# apart from the removals below.
. "$(dirname -- "$0")/lib.sh"

if [ -z "${CONTROLLER_IDENTITY_PRINCIPAL_ID:-}" ] || [ -z "${AML_WORKSPACE_RESOURCE_ID:-}" ]; then
  info "nothing provisioned in this environment; nothing to remove outside the resource group"
  exit 0
fi
require_az_login

found=$(existing_system_topic)
if [ -n "$found" ]; then
  topic=$(printf '%s' "$found" | cut -f1)
  topic_group=$(printf '%s' "$found" | cut -f2)
  topic_id="/subscriptions/$(ml_subscription)/resourceGroups/$topic_group/providers/Microsoft.EventGrid/systemTopics/$topic"
  info "removing event subscription $EVENT_SUBSCRIPTION_NAME from system topic $topic"
  az resource delete --ids "$topic_id/eventSubscriptions/$EVENT_SUBSCRIPTION_NAME" --only-show-errors >/dev/null 2>&1 || true
  # Delete the topic only if this environment created it and nothing else subscribes to it.
  created_by=$(az resource show --ids "$topic_id" --query "tags.\"aml-rollout-env\"" --output tsv --only-show-errors 2>/dev/null || true)
  others=$(az eventgrid system-topic event-subscription list --subscription "$(ml_subscription)" --resource-group "$topic_group" \
    --system-topic-name "$topic" --query "length(@)" --output tsv --only-show-errors 2>/dev/null || printf 'unknown')
  if [ "$created_by" = "${AZURE_ENV_NAME:-}" ] && [ "$others" = "0" ]; then
    info "removing system topic $topic"
    az resource delete --ids "$topic_id" --only-show-errors >/dev/null
  else
    info "keeping system topic $topic (not created by this environment, or other subscriptions use it)"
  fi
fi

for endpoint in $(printf '%s' "${AML_ENDPOINT_NAMES:-}" | tr ',' ' '); do
  info "removing diagnostic setting $DIAGNOSTIC_SETTING_NAME from endpoint $endpoint"
  az monitor diagnostic-settings delete --name "$DIAGNOSTIC_SETTING_NAME" \
    --resource "$AML_WORKSPACE_RESOURCE_ID/onlineEndpoints/$endpoint" --only-show-errors >/dev/null 2>&1 || true
done

for scope in "$AML_WORKSPACE_RESOURCE_ID" "${TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID:-}"; do
  [ -n "$scope" ] || continue
  # Filter by principal id in the query (no --assignee): that needs no Microsoft Graph lookup.
  assignments=$(az role assignment list --scope "$scope" \
    --query "[?principalId=='$CONTROLLER_IDENTITY_PRINCIPAL_ID'].id" --output tsv --only-show-errors 2>/dev/null || true)
  if [ -n "$assignments" ]; then
    info "removing the controller identity's role assignments on $scope"
    # shellcheck disable=SC2086 # one id per word is what --ids takes
    az role assignment delete --ids $assignments --only-show-errors >/dev/null
  fi
done
