#!/usr/bin/env bash
# A blue/green deployment with CodeDeploy on Berth, end to end, with the AWS CLI:
#   1. starts Berth (or uses the one AWS_ENDPOINT_URL points at),
#   2. creates an ECS cluster, the v1 and v2 task definitions, an ALB with two target groups
#      (blue, green), a production and a test listener, the CODE_DEPLOY service running v1, the
#      hook (a Lambda function), and a CodeDeploy application and deployment group,
#   3. deploys v2 with CodeDeployDefault.ECSCanary10Percent5Minutes while load.js sends a steady
#      load through the production listener and prints, every second, which versions answered,
#   4. prints the result: the deployment's status, the split after it, and the failed requests.
# BREAK=1 ./run.sh makes v2's hook report Failed: the deployment rolls back to v1.
# Everything it started and made is removed on exit, Ctrl-C included. See README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
BREAK="${BREAK:-0}"
NAME=bg-demo

say() { printf '\n== %s\n' "$*"; }
die() {
  printf 'run.sh: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Tools: node (Berth, the app, the load), the AWS CLI (v2 preferred, v1 works), a zip maker.

command -v node >/dev/null || die "needs Node.js 20 or later (node is not on PATH)."
BERTH_CLI="$repo/dist/src/cli/main.js"
[[ -f $BERTH_CLI ]] || die "Berth is not built: run 'npm ci' in $repo first."
# What `npx berth` runs. Called directly so that the pid of a Berth started in the background is
# Berth's own (npm exec does not pass SIGTERM on to the command it runs).
berth() { node "$BERTH_CLI" "$@"; }

if [[ -n ${AWS_CLI:-} ]]; then
  AWS="$AWS_CLI" # a chosen one, e.g. AWS_CLI=aws for v1 where v2 is installed too
elif [[ -x /usr/bin/aws ]]; then
  AWS=/usr/bin/aws
elif command -v aws >/dev/null; then
  AWS="$(command -v aws)"
else
  die "needs the AWS CLI (v2 at /usr/bin/aws, or v1 as 'aws' on PATH); see https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
fi
if command -v zip >/dev/null; then
  zip_hook() { (cd hook && zip -q -X "$1" index.js); }
elif command -v python3 >/dev/null; then
  zip_hook() { python3 -m zipfile -c "$1" hook/index.js; }
else
  die "needs 'zip' or 'python3' to package the hook function."
fi

# ---------------------------------------------------------------------------------------------
# Clean-up: on any exit, Ctrl-C included.

work="$(mktemp -d "${TMPDIR:-/tmp}/berth-blue-green.XXXXXX")"
berth_pid=""
load_pid=""
watch_pid=""
own_berth=0
created=0

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  set +e
  [[ -z $watch_pid ]] || kill -TERM "$watch_pid" 2>/dev/null
  if [[ -n $load_pid ]]; then
    kill -TERM "$load_pid" 2>/dev/null
    wait "$load_pid" 2>/dev/null
  fi
  if ((own_berth)); then
    if [[ -n $berth_pid ]] && kill -0 "$berth_pid" 2>/dev/null; then
      echo "Stopping Berth (pid $berth_pid); its tasks end when its data dir is removed."
      kill -TERM "$berth_pid" 2>/dev/null
      for _ in $(seq 1 100); do kill -0 "$berth_pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$berth_pid" 2>/dev/null
      wait "$berth_pid" 2>/dev/null
    fi
  elif ((created)); then
    delete_resources
  fi
  rm -rf "$work"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A Berth started here that stopped (Ctrl-C reaches it too) ends the run, with its last words.
check_berth() {
  if ((own_berth)) && ! kill -0 "$berth_pid" 2>/dev/null; then
    die "Berth stopped; the end of its log:"$'\n'"$(tail -n 20 "$work/berth.log")"
  fi
}

# ---------------------------------------------------------------------------------------------
# Berth: the one AWS_ENDPOINT_URL names, or a new one on a free port with a temporary data dir.

if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
  [[ -n ${AWS_ACCESS_KEY_ID:-} && -n ${AWS_SECRET_ACCESS_KEY:-} ]] ||
    die "AWS_ENDPOINT_URL is set but not AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: run eval \"\$(npx berth env)\" first."
  export AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
  export AWS_DEFAULT_REGION="$AWS_REGION"
  say "Using the Berth at $AWS_ENDPOINT_URL (start it with --time-scale 60 for a one-minute demo)"
else
  own_berth=1
  data="$work/berth"
  say "Starting Berth: berth up --port 0 --time-scale 60 --data-dir $data"
  node "$BERTH_CLI" up --port 0 --time-scale 60 --data-dir "$data" >"$work/berth.log" 2>&1 &
  berth_pid=$!
  for _ in $(seq 1 300); do
    grep -q 'Then, e.g.:' "$work/berth.log" 2>/dev/null && break
    kill -0 "$berth_pid" 2>/dev/null || die "Berth exited at start:"$'\n'"$(cat "$work/berth.log")"
    sleep 0.2
  done
  grep -q 'Then, e.g.:' "$work/berth.log" || die "Berth did not start within 60 s:"$'\n'"$(cat "$work/berth.log")"
  exports="$(berth env --data-dir "$data")" || die "'berth env --data-dir $data' failed."
  eval "$exports"
  echo "Berth is up at $AWS_ENDPOINT_URL (log: berth.log in $work)"
fi
export AWS_PAGER=""

# The AWS CLI against Berth. --endpoint-url is given explicitly: AWS CLI v2 before 2.13 ignores
# AWS_ENDPOINT_URL. `awsq ... --query Q` prints one value (or a tab-separated row).
awsc() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
awsq() { awsc "$@" --output text; }
echo "AWS CLI: $("$AWS" --version 2>&1)"

# A file with <PLACEHOLDER>s replaced: render FILE NAME VALUE [NAME VALUE ...].
render() {
  local content
  content="$(<"$1")"
  shift
  while (($# >= 2)); do
    content="${content//"<$1>"/"$2"}"
    shift 2
  done
  printf '%s\n' "$content"
}

# A port nobody listens on at the given address, for a listener.
free_port() { node -e 'const s = require("node:net").createServer().listen(0, process.argv[1], () => { console.log(s.address().port); s.close(); });' "$1"; }

# What an external Berth keeps from this run is removed on exit (a Berth started here goes whole).
delete_resources() {
  echo "Removing what run.sh made on $AWS_ENDPOINT_URL ..."
  awsc deploy delete-application --application-name "$NAME" >/dev/null 2>&1
  awsc lambda delete-function --function-name "$NAME-hook" >/dev/null 2>&1
  awsc ecs delete-service --cluster "$NAME" --service web --force >/dev/null 2>&1
  for _ in $(seq 1 60); do
    [[ $(awsq ecs list-tasks --cluster "$NAME" --query 'length(taskArns)' 2>/dev/null) == 0 ]] && break
    sleep 1
  done
  [[ -n ${lb_arn:-} ]] && awsc elbv2 delete-load-balancer --load-balancer-arn "$lb_arn" >/dev/null 2>&1
  for tg in ${blue_tg:-} ${green_tg:-}; do awsc elbv2 delete-target-group --target-group-arn "$tg" >/dev/null 2>&1; done
  for td in ${td1:-} ${td2:-}; do awsc ecs deregister-task-definition --task-definition "$td" >/dev/null 2>&1; done
  awsc ecs delete-cluster --cluster "$NAME" >/dev/null 2>&1
}

if ((!own_berth)); then
  existing="$(awsq ecs describe-clusters --clusters "$NAME" --query 'clusters[?status==`ACTIVE`].clusterName' 2>/dev/null || true)"
  [[ -z $existing ]] || die "cluster '$NAME' already exists on $AWS_ENDPOINT_URL (an earlier run?): delete it and its service, or use a fresh Berth."
fi
created=1

# ---------------------------------------------------------------------------------------------
say "1/6 ECS: cluster '$NAME' (process driver: tasks are host processes) and task definitions v1, v2"
awsc ecs create-cluster --cluster-name "$NAME" --tags key=berth:driver,value=process >/dev/null
for v in 1 2; do render "taskdef-v$v.json" APP_DIR "$here/app" >"$work/taskdef-v$v.json"; done
td1="$(awsq ecs register-task-definition --cli-input-json "file://$work/taskdef-v1.json" --query taskDefinition.taskDefinitionArn)"
td2="$(awsq ecs register-task-definition --cli-input-json "file://$work/taskdef-v2.json" --query taskDefinition.taskDefinitionArn)"
echo "v1: $td1"
echo "v2: $td2"

# ---------------------------------------------------------------------------------------------
say "2/6 ELBv2: load balancer '$NAME', target groups blue and green, production and test listeners"
lb_arn="$(awsq elbv2 create-load-balancer --name "$NAME" --query 'LoadBalancers[0].LoadBalancerArn')"
read -r vpc address < <(awsq elbv2 describe-load-balancers --load-balancer-arns "$lb_arn" \
  --query 'LoadBalancers[0].[VpcId,AvailabilityZones[0].LoadBalancerAddresses[0].IpAddress]')
target_group() {
  awsq elbv2 create-target-group --name "$1" --protocol HTTP --port 8080 --vpc-id "$vpc" --target-type instance \
    --health-check-path /health --health-check-interval-seconds 5 --health-check-timeout-seconds 3 \
    --healthy-threshold-count 2 --unhealthy-threshold-count 2 --query 'TargetGroups[0].TargetGroupArn'
}
blue_tg="$(target_group "$NAME-blue")"
green_tg="$(target_group "$NAME-green")"
for tg in "$blue_tg" "$green_tg"; do
  # A draining target gets 5 s (AWS's default is 300) before its task is stopped.
  awsc elbv2 modify-target-group-attributes --target-group-arn "$tg" --attributes Key=deregistration_delay.timeout_seconds,Value=5 >/dev/null
done
prod_port="$(free_port "$address")"
prod_listener="$(awsq elbv2 create-listener --load-balancer-arn "$lb_arn" --protocol HTTP --port "$prod_port" \
  --default-actions "Type=forward,TargetGroupArn=$blue_tg" --query 'Listeners[0].ListenerArn')"
test_port="$(free_port "$address")"
test_listener="$(awsq elbv2 create-listener --load-balancer-arn "$lb_arn" --protocol HTTP --port "$test_port" \
  --default-actions "Type=forward,TargetGroupArn=$blue_tg" --query 'Listeners[0].ListenerArn')"
prod_url="http://$address:$prod_port/"
echo "production listener: $prod_url"
echo "test listener:       http://$address:$test_port/"

# ---------------------------------------------------------------------------------------------
say "3/6 ECS: service 'web' (deployment controller CODE_DEPLOY) running v1, 2 tasks in target group blue"
awsc ecs create-service --cluster "$NAME" --service-name web --task-definition "$td1" --desired-count 2 \
  --deployment-controller type=CODE_DEPLOY \
  --load-balancers "targetGroupArn=$blue_tg,containerName=web,containerPort=8080" >/dev/null
echo -n "waiting until both v1 tasks are healthy in blue "
deadline=$((SECONDS + 180))
until [[ $(awsq elbv2 describe-target-health --target-group-arn "$blue_tg" --query "length(TargetHealthDescriptions[?TargetHealth.State=='healthy'])") == 2 ]]; do
  check_berth
  ((SECONDS < deadline)) || die "the v1 tasks did not get healthy within 3 minutes; see: aws ecs describe-services --cluster $NAME --services web"
  echo -n "."
  sleep 1
done
echo " ok"

# ---------------------------------------------------------------------------------------------
say "4/6 Lambda: the hook '$NAME-hook' (hook/index.js, nodejs20.x), BREAK=$BREAK"
zip_hook "$work/hook.zip"
account="$(cut -d: -f5 <<<"$lb_arn")"
awsc lambda create-function --function-name "$NAME-hook" --runtime nodejs20.x --handler index.handler \
  --role "arn:aws:iam::$account:role/$NAME-hook-role" --zip-file "fileb://$work/hook.zip" --timeout 30 \
  --environment "{\"Variables\":{\"BREAK\":\"$BREAK\",\"CHECK_URL\":\"$prod_url\"}}" >/dev/null
echo "made; it runs after production traffic moved (AfterAllowTraffic) and reports back to CodeDeploy"

# ---------------------------------------------------------------------------------------------
say "5/6 CodeDeploy: application '$NAME', deployment group 'web' (ECSCanary10Percent5Minutes, automatic rollback)"
awsc deploy create-application --application-name "$NAME" --compute-platform ECS >/dev/null
render deployment-group.json ACCOUNT_ID "$account" PROD_LISTENER_ARN "$prod_listener" TEST_LISTENER_ARN "$test_listener" >"$work/deployment-group.json"
awsc deploy create-deployment-group --cli-input-json "file://$work/deployment-group.json" >/dev/null
echo "made"

# ---------------------------------------------------------------------------------------------
say "6/6 Deploying v2 under load (load.js: which versions answered each second through $prod_url)"
node load.js "$prod_url" --summary "$work/load-summary" &
load_pid=$!
sleep 3

# The revision: appspec.yml with the v2 task definition, sent as the deployment's AppSpecContent.
node -e '
  const fs = require("node:fs");
  const [appspec, taskDefinition] = process.argv.slice(1);
  const content = fs.readFileSync(appspec, "utf8").replaceAll("<TASK_DEFINITION>", taskDefinition);
  process.stdout.write(JSON.stringify({
    applicationName: "bg-demo",
    deploymentGroupName: "web",
    description: "v2, canary 10% for 5 minutes",
    revision: { revisionType: "AppSpecContent", appSpecContent: { content } },
  }));' appspec.yml "$td2" >"$work/create-deployment.json"
deployment_id="$(awsq deploy create-deployment --cli-input-json "file://$work/create-deployment.json" --query deploymentId)"
echo "deployment $deployment_id created"

# `berth deployments watch` (when this Berth has it) shows the lifecycle and the split the API
# reports; through a pipe it prints a line per change, which mixes well with load.js's lines.
watch_flags=()
if ((own_berth)); then
  watch_flags=(--data-dir "$data")
else
  hostport="${AWS_ENDPOINT_URL#*://}"
  hostport="${hostport%%/*}"
  watch_flags=(--host "${hostport%:*}" --port "${hostport##*:}" --region "$AWS_REGION")
fi
have_watch=0
berth deployments --help >/dev/null 2>&1 && have_watch=1

status_of() { awsq deploy get-deployment --deployment-id "$1" --query deploymentInfo.status; }

# Prints the lines of file $1 not shown yet (complete lines only); `shown` counts them.
show_new() {
  local n
  n="$(wc -l <"$1")"
  if ((n > shown)); then
    sed -n "$((shown + 1)),${n}p" "$1"
    shown=$n
  fi
}

# Follows deployment $1 until it ends (at most 10 minutes) and sets `status` to how it ended.
# `berth deployments watch` writes to a file (so it prints a line per change, not a picture
# redrawn in place), shown here as it grows; without it, the status is polled with the CLI.
follow() {
  local id=$1 last="" shown=0 deadline=$((SECONDS + 600))
  status=""
  if ((have_watch)); then
    BERTH_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" BERTH_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
      node "$BERTH_CLI" deployments watch "$id" "${watch_flags[@]}" >"$work/watch-$id.out" 2>&1 &
    watch_pid=$!
    while kill -0 "$watch_pid" 2>/dev/null && ((SECONDS < deadline)); do
      check_berth
      sleep 0.5
      show_new "$work/watch-$id.out"
    done
    kill -TERM "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
    watch_pid=""
    show_new "$work/watch-$id.out"
  fi
  while ((SECONDS < deadline)); do
    check_berth
    status="$(status_of "$id")"
    if ((!have_watch)) && [[ $status != "$last" ]]; then
      echo "deployment $id: $status"
      last=$status
    fi
    case $status in Succeeded | Failed | Stopped) return ;; esac
    sleep 2
  done
  die "deployment $id did not end within 10 minutes"
}

follow "$deployment_id"
result="Deployment $deployment_id: $status"
rollback_status=""
if [[ $status != Succeeded ]]; then
  error="$(awsq deploy get-deployment --deployment-id "$deployment_id" --query 'deploymentInfo.errorInformation.message')"
  rollback_id="$(awsq deploy get-deployment --deployment-id "$deployment_id" --query 'deploymentInfo.rollbackInfo.rollbackDeploymentId')"
  [[ $error == None ]] || result+=" ($error)"
  if [[ -n $rollback_id && $rollback_id != None ]]; then
    echo "rolling back: deployment $rollback_id"
    ended=$status
    follow "$rollback_id"
    rollback_status=$status
    status=$ended
    result+="; rolled back by $rollback_id: $rollback_status"
  fi
fi

# The load goes on a few seconds after the deployment ended: what production answers now.
kill -USR2 "$load_pid"
sleep 3
kill -TERM "$load_pid"
wait "$load_pid" || true
load_pid=""
summary() { sed -n "s/^$1=//p" "$work/load-summary"; }
total="$(summary total)"
failed="$(summary failed)"
after_total="$(summary after_total)"
after_v1="$(summary after_v1)"
after_v2="$(summary after_v2)"

say "Result"
echo "$result"
echo "Production traffic after the deployment: v1 $after_v1% | v2 $after_v2% ($after_total requests)"
echo "Failed requests: $failed of $total"
if [[ $BREAK == 1 ]]; then
  if [[ $status == Failed && $rollback_status == Succeeded && $after_v1 == 100 && $failed == 0 && $after_total -gt 0 ]]; then
    echo "OK: v2's hook reported Failed, the deployment rolled back to v1, and no request failed."
  else
    echo "NOT OK: expected a rolled-back deployment, v1 answering all production traffic, and no failed request."
    exit 1
  fi
else
  if [[ $status == Succeeded && $after_v2 == 100 && $failed == 0 && $after_total -gt 0 ]]; then
    echo "OK: v2 took all production traffic, 10% first, and no request failed."
  else
    echo "NOT OK: expected a Succeeded deployment, v2 answering all production traffic, and no failed request."
    exit 1
  fi
fi
