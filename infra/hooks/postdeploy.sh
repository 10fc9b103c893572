#!/bin/sh
# azd postdeploy: the app (and so the Event Grid function) now exists; create the ModelRegistered
# subscription. Event Grid validates an AzureFunction destination on creation, which is why this
# cannot happen during provisioning.
. "$(dirname -- "$0")/lib.sh"

require_workload_inputs
function_name=$(event_grid_function_name)

# The host indexes the new package's functions shortly after the deployment; wait for it.
attempts=${AML_ROLLOUT_FUNCTION_WAIT_ATTEMPTS:-30}
attempt=1
until function_exists "$function_name"; do
  [ "$attempt" -lt "$attempts" ] || fail "function '$function_name' did not appear in $AZURE_FUNCTION_APP_NAME; is it registered with app.eventGrid('$function_name', ...) in functions/?"
  info "waiting for function '$function_name' ($attempt/$attempts)"
  attempt=$((attempt + 1))
  sleep "${AML_ROLLOUT_FUNCTION_WAIT_SECONDS:-10}"
done

deploy_workload true

# App settings that are Key Vault references must resolve; an unresolved one reaches the app as
# the literal reference text.
unresolved=$(az rest --method get \
  --url "https://management.azure.com${AZURE_FUNCTION_APP_ID}/config/configreferences/appsettings?api-version=2023-12-01" \
  --query "value[?properties.status != 'Resolved'].name" --output tsv --only-show-errors || true)
if [ -n "$unresolved" ]; then
  warn "Key Vault references not resolved yet: $(printf '%s' "$unresolved" | tr '\n' ' ')(role assignments can take a few minutes; then run: az functionapp restart -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME)"
fi

info "API: ${API_BASE_URL:-https://<app>/api}   (operator key: az functionapp keys list -g $AZURE_RESOURCE_GROUP -n $AZURE_FUNCTION_APP_NAME)"
