#!/usr/bin/env bash
# The shell + CLI rollback this action replaces, reproduced faithfully for the
# benchmark (bench_test.go): what a deploy pipeline's "rollback" step
# typically does with curl, jq, unzip and the aws CLI.
#
#   1. GitHub: list the deploy workflow's successful runs on the branch, then
#      for each run, newest first and one at a time, list its artifacts; the
#      first run with the deployment-state artifact wins: download it
#      (following the 302 to the storage host), unzip it into a temporary
#      folder and read last-successful-image-tag.txt.
#   2. ECS: describe the service for its current task definition, list the
#      family's ACTIVE revisions newest first, then describe them one by one,
#      in sequence, until a container image carries the tag (at most
#      MAX_REVISIONS of them).
#   3. aws ecs update-service to that revision, then aws ecs wait
#      services-stable, which polls DescribeServices every 15 s.
#
# Every aws call is a new CLI process, as in such a script. Inputs come from
# the environment: GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN,
# DEPLOY_WORKFLOW, BRANCH, ARTIFACT_NAME, CLUSTER, SERVICE, MAX_REVISIONS and,
# optionally, ECS_ENDPOINT_URL (passed as --endpoint-url).
set -euo pipefail

: "${GITHUB_API_URL:=https://api.github.com}"
: "${ARTIFACT_NAME:=deployment-state}"
: "${MAX_REVISIONS:=20}"

ecs() {
  if [ -n "${ECS_ENDPOINT_URL:-}" ]; then
    aws ecs --endpoint-url "$ECS_ENDPOINT_URL" "$@"
  else
    aws ecs "$@"
  fi
}

gh_get() {
  curl -fsS -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" "$@"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. The last successful deployment's image tag.
api="$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/actions"
runs=$(gh_get "$api/workflows/$DEPLOY_WORKFLOW/runs?status=success&branch=$BRANCH" | jq -r '.workflow_runs[].id')
tag=""
for run in $runs; do
  url=$(gh_get "$api/runs/$run/artifacts" |
    jq -r --arg name "$ARTIFACT_NAME" '[.artifacts[] | select(.name == $name and (.expired | not))][0].archive_download_url // empty')
  if [ -z "$url" ]; then
    echo "run $run: no $ARTIFACT_NAME artifact"
    continue
  fi
  # curl drops the Authorization header when the redirect leaves the host.
  gh_get -L -o "$work/$run.zip" "$url"
  unzip -q -o "$work/$run.zip" -d "$work/$run"
  tag=$(tr -d '[:space:]' <"$work/$run/last-successful-image-tag.txt")
  echo "run $run: image tag $tag"
  break
done
if [ -z "$tag" ]; then
  echo "no previous successful deployment" >&2
  exit 1
fi

# 2. The newest revision carrying the tag.
current=$(ecs describe-services --cluster "$CLUSTER" --services "$SERVICE" \
  --query 'services[0].taskDefinition' --output text)
family=${current##*/}
family=${family%:*}
arns=$(ecs list-task-definitions --family-prefix "$family" --status ACTIVE --sort DESC \
  --query 'taskDefinitionArns[]' --output text)
target=""
n=0
for arn in $arns; do
  [ "$arn" != "$current" ] || continue
  n=$((n + 1))
  [ "$n" -le "$MAX_REVISIONS" ] || break
  images=$(ecs describe-task-definition --task-definition "$arn" \
    --query 'taskDefinition.containerDefinitions[].image' --output text)
  for image in $images; do
    if [ "${image##*:}" = "$tag" ]; then
      target=$arn
      break 2
    fi
  done
done
if [ -z "$target" ]; then
  echo "no ACTIVE revision of $family carries image tag $tag" >&2
  exit 1
fi

# 3. Roll back and wait.
echo "rolling back $SERVICE from $current to $target"
ecs update-service --cluster "$CLUSTER" --service "$SERVICE" --task-definition "$target" >/dev/null
ecs wait services-stable --cluster "$CLUSTER" --services "$SERVICE"
echo "rolled back $SERVICE to $target"
