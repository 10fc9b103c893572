# Helpers shared by the azd hooks. POSIX sh on purpose: azure.yaml runs the hooks with `sh`
# (dash on Debian/Ubuntu), so no bash-isms. Sourced, never run directly.
#
# The hooks receive the azd environment as environment variables: the values you set with
# `azd env set` and the outputs of infra/main.bicep.

set -eu

HOOKS_DIR=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
INFRA_DIR=$(dirname -- "$HOOKS_DIR")

# The ModelRegistered subscription's name: one per azd environment (workload.bicep's
# eventSubscriptionName), so that two environments on one workspace keep their own.
EVENT_SUBSCRIPTION_NAME=$(printf '%s' "aml-rollout-${AZURE_ENV_NAME:-default}" | cut -c1-64)
# The diagnostic setting's name on each endpoint (also in infra/modules/endpoint-diagnostics.bicep).
DIAGNOSTIC_SETTING_NAME=aml-rollout

fail() {
  printf 'aml-rollout: error: %s\n' "$*" >&2
  exit 1
}

info() {
  printf 'aml-rollout: %s\n' "$*"
}

warn() {
  printf 'aml-rollout: warning: %s\n' "$*" >&2
}

lower() {
  printf '%s' "$1" | tr '[:upper:]' '[:lower:]'
}

# require_env NAME HINT: fail naming the variable and how to set it.
require_env() {
  eval "require_env_value=\${$1:-}"
  [ -n "$require_env_value" ] || fail "$1 is not set in the azd environment. $2"
}

# resource_id_segment ID INDEX: the INDEX-th '/'-separated segment (0 is the empty one before the
# first slash), so 2 = subscription id, 4 = resource group, 8 = resource name.
resource_id_segment() {
  printf '%s' "$1" | cut -d/ -f"$(($2 + 1))"
}

# require_resource_id NAME PROVIDER/TYPE: the variable holds /subscriptions/<s>/resourceGroups/<rg>/providers/<PROVIDER/TYPE>/<name>.
require_resource_id() {
  eval "require_resource_id_value=\${$1:-}"
  example="/subscriptions/<subscription-id>/resourceGroups/<resource-group>/providers/$2/<name>"
  [ -n "$require_resource_id_value" ] || fail "$1 is not set. Run: azd env set $1 $example"
  case "$(lower "$require_resource_id_value")" in
    /subscriptions/*/resourcegroups/*/providers/"$(lower "$2")"/*) ;;
    *) fail "$1 is not a $2 resource id: '$require_resource_id_value' (expected $example)" ;;
  esac
  segments=$(printf '%s' "$require_resource_id_value" | awk -F/ '{ print NF }')
  [ "$segments" -eq 9 ] || fail "$1 has extra or missing path segments: '$require_resource_id_value' (expected $example)"
}

require_az_login() {
  command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is required by the hooks: https://learn.microsoft.com/cli/azure/install-azure-cli"
  az account show --output none >/dev/null 2>&1 || fail "the Azure CLI is not logged in. Run: az login (same tenant as azd auth login)"
}

# endpoint_names_json: AML_ENDPOINT_NAMES ("a,b" or "a b") as a JSON array, each name checked.
endpoint_names_json() {
  json='['
  separator=''
  for endpoint in $(printf '%s' "${AML_ENDPOINT_NAMES:-}" | tr ',' ' '); do
    case "$endpoint" in
      [A-Za-z]*) ;;
      *) fail "AML_ENDPOINT_NAMES: '$endpoint' is not an online endpoint name (starts with a letter)" ;;
    esac
    case "$endpoint" in
      *[!A-Za-z0-9-]*) fail "AML_ENDPOINT_NAMES: '$endpoint' is not an online endpoint name (letters, digits and dashes)" ;;
    esac
    json="$json$separator\"$endpoint\""
    separator=','
  done
  printf '%s]' "$json"
}

# The Event Grid trigger's name: the default of workload.bicep's eventGridFunctionName, so that the
# name lives in one place on the infra side.
event_grid_function_name() {
  name=$(sed -n "s/^param eventGridFunctionName string = '\([A-Za-z0-9_-]*\)'.*$/\1/p" "$INFRA_DIR/workload.bicep")
  [ -n "$name" ] || fail "cannot read the eventGridFunctionName default from $INFRA_DIR/workload.bicep"
  printf '%s' "$name"
}

ml_subscription() { resource_id_segment "$AML_WORKSPACE_RESOURCE_ID" 2; }

# existing_system_topic: "<name> <resource group> <identity type>" (tab-separated) of the
# workspace's Event Grid system topic, if it has one. A source can have only one system topic, so
# an existing one is reused rather than a second created.
existing_system_topic() {
  workspace=$(lower "$AML_WORKSPACE_RESOURCE_ID")
  tab=$(printf '\t')
  az eventgrid system-topic list --subscription "$(ml_subscription)" \
    --query "[].[name, source, resourceGroup, identity.type]" --output tsv --only-show-errors |
    while IFS="$tab" read -r topic source group identity; do
      if [ "$(lower "$source")" = "$workspace" ]; then
        printf '%s\t%s\t%s\n' "$topic" "$group" "$identity"
        break
      fi
    done
}

function_exists() {
  az functionapp function show \
    --resource-group "$AZURE_RESOURCE_GROUP" \
    --name "$AZURE_FUNCTION_APP_NAME" \
    --function-name "$1" \
    --output none --only-show-errors >/dev/null 2>&1
}

require_workload_inputs() {
  require_az_login
  require_resource_id AML_WORKSPACE_RESOURCE_ID Microsoft.MachineLearningServices/workspaces
  require_resource_id TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID Microsoft.OperationalInsights/workspaces
  for output in AZURE_ENV_NAME AZURE_LOCATION AZURE_SUBSCRIPTION_ID AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME \
    AZURE_FUNCTION_APP_ID CONTROLLER_IDENTITY_PRINCIPAL_ID HOST_STORAGE_ACCOUNT_ID DEAD_LETTER_CONTAINER_NAME; do
    require_env "$output" "It is an output of infra/main.bicep: run azd provision first."
  done
}

# deploy_workload true|false: deploy infra/workload.bicep; the argument says whether to create the
# ModelRegistered subscription (only once the Event Grid function exists).
deploy_workload() {
  topic=''
  topic_group=''
  topic_tags='{}'
  found=$(existing_system_topic)
  if [ -n "$found" ]; then
    topic=$(printf '%s' "$found" | cut -f1)
    topic_group=$(printf '%s' "$found" | cut -f2)
    topic_identity=$(printf '%s' "$found" | cut -f3)
    case "$topic_identity" in
      *UserAssigned*)
        fail "the workspace's system topic '$topic' (resource group $topic_group) has a user-assigned identity, which deploying aml-rollout would replace. Give it a system-assigned identity only, or delete it if nothing uses it, then run: azd hooks run postprovision" ;;
    esac
    # Keep the topic's own tags: a reused topic is not marked as created by this environment.
    topic_tags=$(az resource show \
      --ids "/subscriptions/$(ml_subscription)/resourceGroups/$topic_group/providers/Microsoft.EventGrid/systemTopics/$topic" \
      --query "tags || \`{}\`" --output json --only-show-errors | tr -d '\n')
    [ -n "$topic_tags" ] || topic_tags='{}'
    info "reusing the workspace's Event Grid system topic '$topic' (resource group $topic_group)"
  fi
  deployment_name=$(printf '%s' "aml-rollout-workload-$AZURE_ENV_NAME" | cut -c1-64)
  info "deploying infra/workload.bicep as '$deployment_name' (event subscription: $1)"
  # A plain assignment, so that a bad name stops the hook (set -e ignores failures inside arguments).
  endpoints=$(endpoint_names_json)
  # Optional parameters are passed only when set, so workload.bicep's defaults apply otherwise.
  set -- \
    amlWorkspaceResourceId="$AML_WORKSPACE_RESOURCE_ID" \
    targetLogAnalyticsWorkspaceResourceId="$TARGET_LOG_ANALYTICS_WORKSPACE_RESOURCE_ID" \
    controllerPrincipalId="$CONTROLLER_IDENTITY_PRINCIPAL_ID" \
    functionAppId="$AZURE_FUNCTION_APP_ID" \
    deadLetterStorageAccountId="$HOST_STORAGE_ACCOUNT_ID" \
    deadLetterContainerName="$DEAD_LETTER_CONTAINER_NAME" \
    deployEventSubscription="$1" \
    eventSubscriptionName="$EVENT_SUBSCRIPTION_NAME" \
    endpointNames="$endpoints" \
    tags="{\"aml-rollout-env\": \"$AZURE_ENV_NAME\"}"
  if [ -n "$topic" ]; then
    set -- "$@" systemTopicName="$topic" systemTopicResourceGroup="$topic_group" systemTopicTags="$topic_tags"
  fi
  az deployment sub create \
    --name "$deployment_name" \
    --location "$AZURE_LOCATION" \
    --subscription "$AZURE_SUBSCRIPTION_ID" \
    --template-file "$INFRA_DIR/workload.bicep" \
    --parameters "$@" \
    --output none --only-show-errors
}
