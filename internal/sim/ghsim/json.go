package ghsim

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"strings"
	"time"
)

// The JSON below follows the shapes of GitHub's OpenAPI description
// (github/rest-api-description, as packaged in @octokit/openapi 23.0.2; see
// testdata/github): the same keys as its examples, so go-github decodes the
// simulator's answers into the same fields as GitHub's.

type object = map[string]any

// timeJSON formats t as GitHub does: RFC 3339, UTC, whole seconds.
func timeJSON(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// stableID derives a positive ID from a name, so the same repository always
// gets the same ID.
func stableID(name string) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strings.ToLower(name)))
	return int64(h.Sum32()%900_000_000) + 100_000_000
}

func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "0%d:%s%d", len(kind), kind, id))
}

// fakeSHA is a stable 40-hex commit SHA for a run that was given none.
func fakeSHA(seed string) string {
	sum := sha1.Sum([]byte(seed))
	return hex.EncodeToString(sum[:])
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// userJSON is a simple-user object.
func (s *Server) userJSON(login string) object {
	id := stableID("user/" + login)
	u := s.apiURL + "/users/" + login
	return object{
		"login":               login,
		"id":                  id,
		"node_id":             nodeID("User", id),
		"avatar_url":          s.webURL + "/avatars/" + login,
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            s.webURL + "/" + login,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                "User",
		"site_admin":          false,
	}
}

// repoURLTemplates are the hypermedia URLs of a minimal-repository, relative
// to the repository's API URL.
var repoURLTemplates = map[string]string{
	"forks_url":         "/forks",
	"keys_url":          "/keys{/key_id}",
	"collaborators_url": "/collaborators{/collaborator}",
	"teams_url":         "/teams",
	"hooks_url":         "/hooks",
	"issue_events_url":  "/issues/events{/number}",
	"events_url":        "/events",
	"assignees_url":     "/assignees{/user}",
	"branches_url":      "/branches{/branch}",
	"tags_url":          "/tags",
	"blobs_url":         "/git/blobs{/sha}",
	"git_tags_url":      "/git/tags{/sha}",
	"git_refs_url":      "/git/refs{/sha}",
	"trees_url":         "/git/trees{/sha}",
	"statuses_url":      "/statuses/{sha}",
	"languages_url":     "/languages",
	"stargazers_url":    "/stargazers",
	"contributors_url":  "/contributors",
	"subscribers_url":   "/subscribers",
	"subscription_url":  "/subscription",
	"commits_url":       "/commits{/sha}",
	"git_commits_url":   "/git/commits{/sha}",
	"comments_url":      "/comments{/number}",
	"issue_comment_url": "/issues/comments{/number}",
	"contents_url":      "/contents/{+path}",
	"compare_url":       "/compare/{base}...{head}",
	"merges_url":        "/merges",
	"archive_url":       "/{archive_format}{/ref}",
	"downloads_url":     "/downloads",
	"issues_url":        "/issues{/number}",
	"pulls_url":         "/pulls{/number}",
	"milestones_url":    "/milestones{/number}",
	"notifications_url": "/notifications{?since,all,participating}",
	"labels_url":        "/labels{/name}",
	"releases_url":      "/releases{/id}",
	"deployments_url":   "/deployments",
}

// repoJSON is a minimal-repository object for fullName ("owner/name").
// primary is for a run's repository, which GitHub sends with git_url,
// ssh_url and a description, unlike its head_repository.
func (s *Server) repoJSON(fullName string, primary bool) object {
	owner, name, _ := strings.Cut(fullName, "/")
	id := stableID(fullName)
	u := s.apiURL + "/repos/" + fullName
	r := object{
		"id":          id,
		"node_id":     nodeID("Repository", id),
		"name":        name,
		"full_name":   fullName,
		"owner":       s.userJSON(owner),
		"private":     true,
		"html_url":    s.webURL + "/" + fullName,
		"description": nil,
		"fork":        !strings.EqualFold(fullName, s.fullName()),
		"url":         u,
	}
	for k, v := range repoURLTemplates {
		r[k] = u + v
	}
	if primary {
		r["description"] = "Simulated by ecs-rollback's ghsim"
		host := strings.TrimPrefix(strings.TrimPrefix(s.webURL, "http://"), "https://")
		r["git_url"] = "git://" + host + "/" + fullName + ".git"
		r["ssh_url"] = "git@" + host + ":" + fullName + ".git"
	}
	return r
}

// fullRepoJSON is the answer to GET /repos/{owner}/{repo}.
func (s *Server) fullRepoJSON(defaultBranch string) object {
	r := s.repoJSON(s.fullName(), true)
	r["default_branch"] = defaultBranch
	r["visibility"] = "private"
	r["clone_url"] = s.webURL + "/" + s.fullName() + ".git"
	r["archived"] = false
	r["disabled"] = false
	// The rest of what full-repository requires, with the values of a
	// quiet private repository.
	created := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	rest := object{
		"forks": 0, "forks_count": 0, "open_issues": 0, "open_issues_count": 0, "size": 1024,
		"stargazers_count": 0, "watchers": 0, "watchers_count": 0, "network_count": 0, "subscribers_count": 1,
		"has_issues": true, "has_projects": false, "has_wiki": false, "has_pages": false, "has_discussions": false,
		"homepage": nil, "language": "Go", "mirror_url": nil, "license": nil,
		"svn_url":    s.webURL + "/" + s.fullName(),
		"created_at": timeJSON(created), "updated_at": timeJSON(created.Add(24 * time.Hour)), "pushed_at": timeJSON(created.Add(24 * time.Hour)),
	}
	maps.Copy(r, rest)
	return r
}

// runJSON is a workflow-run object. Like GitHub's examples, a run in a list
// has no previous_attempt_url and referenced_workflows keys; a run fetched
// alone (full) has both.
func (s *Server) runJSON(r Run, full bool) object {
	u := fmt.Sprintf("%s/repos/%s/actions/runs/%d", s.apiURL, s.fullName(), r.ID)
	var conclusion any
	if r.Conclusion != "" {
		conclusion = r.Conclusion
	}
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = r.RunStartedAt
		if r.Status == "completed" {
			updated = r.RunStartedAt.Add(2 * time.Minute)
		}
	}
	o := object{
		"id":                  r.ID,
		"name":                r.Name,
		"node_id":             nodeID("WorkflowRun", r.ID),
		"check_suite_id":      r.ID + 1_000_000,
		"check_suite_node_id": nodeID("CheckSuite", r.ID+1_000_000),
		"head_branch":         r.HeadBranch,
		"head_sha":            r.HeadSHA,
		"path":                r.WorkflowPath,
		"run_number":          r.RunNumber,
		"event":               r.Event,
		"display_title":       r.DisplayTitle,
		"status":              r.Status,
		"conclusion":          conclusion,
		"workflow_id":         r.WorkflowID,
		"url":                 u,
		"html_url":            fmt.Sprintf("%s/%s/actions/runs/%d", s.webURL, s.fullName(), r.ID),
		"pull_requests":       []any{},
		"created_at":          timeJSON(r.CreatedAt),
		"updated_at":          timeJSON(updated),
		"actor":               s.userJSON(r.Actor),
		"run_attempt":         r.RunAttempt,
		"run_started_at":      timeJSON(r.RunStartedAt),
		"triggering_actor":    s.userJSON(r.Actor),
		"jobs_url":            u + "/jobs",
		"logs_url":            u + "/logs",
		"check_suite_url":     fmt.Sprintf("%s/repos/%s/check-suites/%d", s.apiURL, s.fullName(), r.ID+1_000_000),
		"artifacts_url":       u + "/artifacts",
		"cancel_url":          u + "/cancel",
		"rerun_url":           u + "/rerun",
		"workflow_url":        fmt.Sprintf("%s/repos/%s/actions/workflows/%d", s.apiURL, s.fullName(), r.WorkflowID),
		"head_commit": object{
			"id":        r.HeadSHA,
			"tree_id":   fakeSHA("tree/" + r.HeadSHA),
			"message":   r.DisplayTitle,
			"timestamp": timeJSON(r.CreatedAt.Add(-time.Minute)),
			"author":    object{"name": r.Actor, "email": r.Actor + "@users.noreply.github.com"},
			"committer": object{"name": "GitHub", "email": "noreply@github.com"},
		},
		"repository":      s.repoJSON(s.fullName(), true),
		"head_repository": s.repoJSON(r.HeadRepository, false),
	}
	if full {
		o["previous_attempt_url"] = nil
		if r.RunAttempt > 1 {
			o["previous_attempt_url"] = fmt.Sprintf("%s/attempts/%d", u, r.RunAttempt-1)
		}
		refs := make([]object, 0, len(r.ReferencedWorkflows))
		for _, rw := range r.ReferencedWorkflows {
			ref := object{"path": rw.Path, "sha": rw.SHA}
			if rw.Ref != "" {
				ref["ref"] = rw.Ref
			}
			refs = append(refs, ref)
		}
		o["referenced_workflows"] = refs
	}
	return o
}

// branchJSON is the answer to GET /repos/{owner}/{repo}/branches/{branch}
// (branch-with-protection), with the keys clients read.
func (s *Server) branchJSON(name, sha string) object {
	u := s.apiURL + "/repos/" + s.fullName()
	return object{
		"name": name,
		"commit": object{
			"sha":      sha,
			"node_id":  nodeID("Commit", stableID(sha)),
			"url":      u + "/commits/" + sha,
			"html_url": s.webURL + "/" + s.fullName() + "/commit/" + sha,
		},
		"_links":         object{"self": u + "/branches/" + name, "html": s.webURL + "/" + s.fullName() + "/tree/" + name},
		"protected":      false,
		"protection":     object{"enabled": false, "required_status_checks": object{"enforcement_level": "off", "contexts": []any{}, "checks": []any{}}},
		"protection_url": u + "/branches/" + name + "/protection",
	}
}

// refJSON is a git-ref object for a lightweight tag or a branch.
func (s *Server) refJSON(ref, sha string) object {
	u := s.apiURL + "/repos/" + s.fullName() + "/git"
	return object{
		"ref":     ref,
		"node_id": base64.StdEncoding.EncodeToString([]byte("04:Ref" + ref)),
		"url":     u + "/" + ref,
		"object":  object{"type": "commit", "sha": sha, "url": u + "/commits/" + sha},
	}
}

// artifactJSON is an artifact object; run is the run it belongs to, when
// the simulator knows it.
func (s *Server) artifactJSON(a *artifact, run *Run) object {
	u := fmt.Sprintf("%s/repos/%s/actions/artifacts/%d", s.apiURL, s.fullName(), a.id)
	wr := object{
		"id":                 a.runID,
		"repository_id":      stableID(s.fullName()),
		"head_repository_id": stableID(s.fullName()),
		"head_branch":        "",
		"head_sha":           "",
	}
	if run != nil {
		wr["head_repository_id"] = stableID(run.HeadRepository)
		wr["head_branch"] = run.HeadBranch
		wr["head_sha"] = run.HeadSHA
	}
	o := object{
		"id":                   a.id,
		"node_id":              nodeID("Artifact", a.id),
		"name":                 a.name,
		"size_in_bytes":        len(a.zip),
		"url":                  u,
		"archive_download_url": u + "/zip",
		"expired":              a.expired,
		"created_at":           timeJSON(a.createdAt),
		"expires_at":           timeJSON(a.expiresAt),
		"updated_at":           timeJSON(a.createdAt),
		"digest":               digest(a.zip),
		"workflow_run":         wr,
	}
	if s.noArtifactRun {
		delete(o, "workflow_run")
	}
	return o
}

// errorJSON is a basic-error object.
func errorJSON(status int, message, docs string) object {
	return object{"message": message, "documentation_url": docs, "status": fmt.Sprint(status)}
}
