#!/bin/sh
# azd postprovision: grant the controller identity its roles on your ML and Log Analytics
# workspaces, create (or reuse) the workspace's Event Grid system topic, and send the listed
# endpoints' logs to Log Analytics. The ModelRegistered subscription waits for postdeploy unless
# the Event Grid function already exists (a re-provision of a deployed app).
. "$(dirname -- "$0")/lib.sh"

require_workload_inputs
if function_exists "$(event_grid_function_name)"; then
  deploy_workload true
else
  deploy_workload false
fi
