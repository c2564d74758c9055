package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keelson-dev/keelson/apiserver/server/servertest"
)

// restTarget is a path a fuzzed REST request goes to, and the storage key of the object it names
// ("" for a collection).
type restTarget struct {
	path, key string
}

// restTargets are the paths the REST fuzz targets choose from: collections, the fixtures, a missing
// object, a missing namespace, and every subresource of the fixtures' kinds. Every object is in
// servertest.FuzzNamespace or cluster-scoped, so the harness can put storage back after each input.
var restTargets = []restTarget{
	{"/api/v1/namespaces/fz/configmaps", ""},
	{"/api/v1/namespaces/fz/configmaps/cm", servertest.FixtureKey("", "configmaps", "fz", "cm")},
	{"/api/v1/namespaces/fz/configmaps/missing", servertest.FixtureKey("", "configmaps", "fz", "missing")},
	{"/api/v1/configmaps", ""},
	{"/api/v1/namespaces/nope/configmaps", ""},
	{"/api/v1/namespaces/fz/pods", ""},
	{"/api/v1/namespaces/fz/pods/p", servertest.FixtureKey("", "pods", "fz", "p")},
	{"/api/v1/namespaces/fz/pods/q", servertest.FixtureKey("", "pods", "fz", "q")},
	{"/api/v1/namespaces/fz/pods/p/status", servertest.FixtureKey("", "pods", "fz", "p")},
	{"/api/v1/namespaces/fz/pods/q/binding", servertest.FixtureKey("", "pods", "fz", "q")},
	{"/api/v1/namespaces/fz/pods/p/binding", servertest.FixtureKey("", "pods", "fz", "p")},
	{"/api/v1/namespaces/fz/pods/p/eviction", servertest.FixtureKey("", "pods", "fz", "p")},
	{"/api/v1/namespaces/fz/pods/q/eviction", servertest.FixtureKey("", "pods", "fz", "q")},
	{"/api/v1/namespaces/fz/pods/p/log", servertest.FixtureKey("", "pods", "fz", "p")},
	{"/api/v1/namespaces/fz/pods/q/log", servertest.FixtureKey("", "pods", "fz", "q")},
	{"/apis/apps/v1/namespaces/fz/deployments", ""},
	{"/apis/apps/v1/namespaces/fz/deployments/d", servertest.FixtureKey("apps", "deployments", "fz", "d")},
	{"/apis/apps/v1/namespaces/fz/deployments/d/status", servertest.FixtureKey("apps", "deployments", "fz", "d")},
	{"/apis/apps/v1/namespaces/fz/deployments/d/scale", servertest.FixtureKey("apps", "deployments", "fz", "d")},
	{"/api/v1/nodes", ""},
	{"/api/v1/nodes/n", servertest.FixtureKey("", "nodes", "", "n")},
	{"/api/v1/nodes/n/status", servertest.FixtureKey("", "nodes", "", "n")},
}

// writeMethods and patchTypes are what the write fuzz targets choose from.
var (
	writeMethods = []string{http.MethodPost, http.MethodPut, http.MethodDelete}
	patchTypes   = []string{
		"application/merge-patch+json",
		"application/json-patch+json",
		"application/strategic-merge-patch+json",
		"application/apply-patch+yaml",
		"application/json",
		"application/vnd.kubernetes.protobuf",
	}
	bodyTypes = []string{"application/json", "application/vnd.kubernetes.protobuf", "application/yaml", ""}
)

const (
	// watchListen is how long a watch is read before the client goes away, unless it asked for a
	// timeout short enough to wait for.
	watchListen = time.Second
	// maxAwaitedWatchTimeout is the longest timeoutSeconds a watch is read to its end for.
	maxAwaitedWatchTimeout = 2
	// watchEndSlack is how long after its timeoutSeconds a watch may take to end.
	watchEndSlack = 3 * time.Second
	// maxResponseBytes bounds what is read of one answer.
	maxResponseBytes = 16 << 20
)

// pick returns the element of xs that a fuzzed selector names.
func pick[T any](xs []T, i int) T {
	return xs[uint(i)%uint(len(xs))]
}

// FuzzRESTRead sends GET to a fuzzed target with a fuzzed query: get, list, watch (each watch is
// read for a second, or to its end when it asked for timeoutSeconds of at most 2), the scale and log
// subresources, and every read parameter (resourceVersion, resourceVersionMatch, labelSelector,
// fieldSelector, limit, continue, watch, timeoutSeconds, allowWatchBookmarks, sendInitialEvents,
// includeObject, the pod-log options, pretty). "@RV@" in the query becomes the current revision.
func FuzzRESTRead(f *testing.F) {
	h := servertest.StartFuzz(f)
	f.Fuzz(func(t *testing.T, target int, query string) {
		tg := pick(restTargets, target)
		h.Do(t, keysOf(tg), false, func(ctx context.Context) bool {
			return sendREST(ctx, t, h, tg, http.MethodGet, "", query, nil)
		})
	})
}

// FuzzRESTWrite sends POST, PUT or DELETE with a fuzzed body of a fuzzed media type (JSON,
// Kubernetes protobuf, or one the server does not take) and a fuzzed query (dryRun, fieldManager,
// fieldValidation, gracePeriodSeconds, propagationPolicy, orphanDependents, pretty...) to a fuzzed
// target, subresources included (status, binding, eviction, scale). "@RV@" in the body or query
// becomes the target's current resourceVersion.
func FuzzRESTWrite(f *testing.F) {
	h := servertest.StartFuzz(f)
	f.Fuzz(func(t *testing.T, method, target, bodyType int, query string, body []byte) {
		tg, m := pick(restTargets, target), pick(writeMethods, method)
		h.Do(t, keysOf(tg), isDryRun(escapeQuery(query), m, body), func(ctx context.Context) bool {
			return sendREST(ctx, t, h, tg, m, pick(bodyTypes, bodyType), query, body)
		})
	})
}

// FuzzRESTPatch sends PATCH with a fuzzed patch of each type (JSON merge, JSON, strategic merge,
// server-side apply, and types the server refuses) and a fuzzed query (dryRun, fieldManager,
// fieldValidation, force...) to a fuzzed target, the status and scale subresources included.
func FuzzRESTPatch(f *testing.F) {
	h := servertest.StartFuzz(f)
	f.Fuzz(func(t *testing.T, target, patchType int, query string, patch []byte) {
		tg := pick(restTargets, target)
		h.Do(t, keysOf(tg), isDryRun(escapeQuery(query), http.MethodPatch, patch), func(ctx context.Context) bool {
			return sendREST(ctx, t, h, tg, http.MethodPatch, pick(patchTypes, patchType), query, patch)
		})
	})
}

func keysOf(tg restTarget) []string {
	if tg.key == "" {
		return nil
	}
	return []string{tg.key}
}

// isDryRun reports whether a request asks for a dry run, in its query or, for DELETE, in its body.
func isDryRun(query, method string, body []byte) bool {
	q, _ := url.ParseQuery(query)
	for _, v := range q["dryRun"] {
		if v == "All" {
			return true
		}
	}
	if method != http.MethodDelete {
		return false
	}
	var opts struct {
		DryRun []string `json:"dryRun"`
	}
	if json.Unmarshal(body, &opts) != nil {
		return false
	}
	for _, v := range opts.DryRun {
		if v == "All" {
			return true
		}
	}
	return false
}

// restRequest is one fuzzed REST request.
type restRequest struct {
	target                     restTarget
	method, contentType, query string
	body                       []byte
}

func (r *restRequest) String() string {
	return fmt.Sprintf("%s %s?%s (Content-Type %q) with body %s", r.method, r.target.path, r.query, r.contentType, truncate(r.body))
}

// sendREST makes one request and checks its answer (checkAnswer, readWatch, checkStrict). A
// dropped connection is how a handler's panic shows. It returns whether the server accepted the
// request.
func sendREST(ctx context.Context, t *testing.T, h *servertest.Fuzz, tg restTarget, method, contentType, query string, body []byte) bool {
	t.Helper()
	rv := h.ResourceVersion(ctx, tg.key)
	r := &restRequest{target: tg, method: method, contentType: contentType,
		query: escapeQuery(strings.ReplaceAll(query, "@RV@", rv)),
		body:  bytes.ReplaceAll(body, []byte("@RV@"), []byte(rv))}
	u := h.URL + tg.path
	if r.query != "" {
		u += "?" + r.query
	}
	reqCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, method, u, bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("build %s: %v", r, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := h.HTTP.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			t.Errorf("%s: no answer, the server dropped the connection: %v", r, err)
		}
		return false
	}
	defer func() { _ = resp.Body.Close() }()

	if method == http.MethodGet && resp.StatusCode == http.StatusOK && isWatch(r.query) && tg.key == "" {
		readWatch(ctx, t, resp, r, cancel)
		return true
	}
	got, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctx.Err() == nil {
			t.Errorf("%s: the answer (%s) broke off: %v", r, resp.Status, err)
		}
		return false
	}
	checkAnswer(t, r, resp.StatusCode, resp.Header.Get("Content-Type"), got)
	accepted := resp.StatusCode/100 == 2
	if accepted {
		checkStrict(t, r, got)
	}
	return accepted
}

// checkAnswer checks one answer's code and body.
func checkAnswer(t *testing.T, r *restRequest, code int, contentType string, body []byte) {
	t.Helper()
	if code >= 500 && !allowedServerError(code, body) {
		t.Errorf("%s: answered %d: %s", r, code, truncate(body))
		return
	}
	if code >= 400 {
		var st struct {
			Kind string `json:"kind"`
			Code int    `json:"code"`
		}
		if err := json.Unmarshal(body, &st); err != nil || st.Kind != "Status" || st.Code != code {
			t.Errorf("%s: answered %d without a Status of that code: %s", r, code, truncate(body))
		}
		return
	}
	if strings.HasPrefix(contentType, "application/json") && !json.Valid(body) {
		t.Errorf("%s: answered %d with JSON that does not parse: %s", r, code, truncate(body))
	}
}

// allowedServerError reports whether a 5xx answer is one Kubernetes gives a correct request too:
// 504 Timeout "Too large resource version" for a read from a resourceVersion the server has not
// reached, which the client may retry. Nothing else is: etcd is up for the whole run, so 503 is
// never right, and 500 is always a bug.
func allowedServerError(code int, body []byte) bool {
	var st struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	return code == http.StatusGatewayTimeout && json.Unmarshal(body, &st) == nil &&
		st.Reason == "Timeout" && strings.HasPrefix(st.Message, "Too large resource version")
}

// isWatch reports whether a query asks for a watch, read as the server reads it.
func isWatch(query string) bool {
	q, _ := url.ParseQuery(query)
	b, err := strconv.ParseBool(q.Get("watch"))
	return err == nil && b
}

// readWatch reads a watch stream: every ERROR event must carry a Status that is no 5xx (but see
// allowedServerError). A watch that asked for timeoutSeconds of at most maxAwaitedWatchTimeout is
// read to its end, which must come within watchEndSlack of that; any other is read for
// watchListen, then the client goes away.
func readWatch(ctx context.Context, t *testing.T, resp *http.Response, r *restRequest, cancel context.CancelFunc) {
	t.Helper()
	q, _ := url.ParseQuery(r.query)
	timeout, err := strconv.ParseInt(q.Get("timeoutSeconds"), 10, 64)
	awaited := err == nil && timeout > 0 && timeout <= maxAwaitedWatchTimeout
	listen := watchListen
	if awaited {
		listen = time.Duration(timeout)*time.Second + watchEndSlack
	}
	left := time.AfterFunc(listen, cancel)
	defer left.Stop()
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxResponseBytes))
	for {
		var ev struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		err := dec.Decode(&ev)
		switch {
		case errors.Is(err, io.EOF):
			return
		case err != nil && ctx.Err() != nil:
			return // the deadline passed; Do reports the hang
		case err != nil && !left.Stop():
			if awaited {
				t.Errorf("%s: the watch did not end within %s of its timeoutSeconds", r, watchEndSlack)
			}
			return
		case err != nil:
			t.Errorf("%s: the watch stream broke: %v", r, err)
			return
		}
		if ev.Type != "ERROR" {
			continue
		}
		var st struct {
			Code int `json:"code"`
		}
		if err := json.Unmarshal(ev.Object, &st); err != nil {
			t.Errorf("%s: a watch ERROR event without a Status: %s", r, ev.Object)
			continue
		}
		if st.Code >= 500 && !allowedServerError(st.Code, ev.Object) {
			t.Errorf("%s: a watch ERROR event with code %d: %s", r, st.Code, ev.Object)
		}
	}
}

// jsonBodyTypes are the media types whose bodies are one JSON document.
var jsonBodyTypes = map[string]bool{
	"application/json":                       true,
	"application/merge-patch+json":           true,
	"application/json-patch+json":            true,
	"application/strategic-merge-patch+json": true,
}

// checkStrict checks that an accepted request was one Kubernetes accepts too, for the rules every
// endpoint shares:
//
//   - a JSON body is exactly one JSON document: no trailing data, no second document;
//   - under fieldValidation=Strict, a JSON object of the body names no field twice;
//   - a boolean query parameter the endpoint reads is a boolean in one of strconv.ParseBool's
//     spellings;
//   - a created object's uid is the server's, never the one the body carries.
func checkStrict(t *testing.T, r *restRequest, answer []byte) {
	t.Helper()
	body := r.body
	if len(body) > 0 && r.method != http.MethodGet && jsonBodyTypes[r.contentType] {
		if !json.Valid(body) {
			t.Errorf("%s: accepted a body that is not exactly one JSON document", r)
		} else if q, _ := url.ParseQuery(r.query); q.Get("fieldValidation") == "Strict" && r.contentType != "application/json-patch+json" {
			if dup := duplicateKey(body); dup != "" {
				t.Errorf("%s: accepted field %q twice under fieldValidation=Strict", r, dup)
			}
		}
	}
	q, _ := url.ParseQuery(r.query)
	for _, name := range boolParams(r) {
		if v := q.Get(name); v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				t.Errorf("%s: accepted %s=%q, which is no boolean", r, name, v)
			}
		}
	}
	if r.method == http.MethodPost && r.target.key == "" && r.contentType == "application/json" {
		var sent, got struct {
			Metadata struct {
				UID string `json:"uid"`
			} `json:"metadata"`
		}
		if json.Unmarshal(body, &sent) == nil && json.Unmarshal(answer, &got) == nil &&
			sent.Metadata.UID != "" && got.Metadata.UID == sent.Metadata.UID {
			t.Errorf("%s: created the object with the uid the client chose", r)
		}
	}
}

// boolParams are the boolean query parameters the endpoint of r reads.
func boolParams(r *restRequest) []string {
	switch {
	case r.method == http.MethodGet && strings.HasSuffix(r.target.path, "/log"):
		return []string{"follow", "previous", "timestamps", "insecureSkipTLSVerifyBackend"}
	case r.method == http.MethodGet && r.target.key == "":
		return []string{"watch", "allowWatchBookmarks", "sendInitialEvents"}
	case r.method == http.MethodPatch && r.contentType == "application/apply-patch+yaml":
		return []string{"force"}
	}
	return nil
}

// duplicateKey returns a key that some object of the JSON document doc holds twice, or "".
func duplicateKey(doc []byte) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	// Each open object has the set of keys seen so far; an open array has nil.
	var stack []map[string]bool
	expectKey := func() bool { return len(stack) > 0 && stack[len(stack)-1] != nil }
	afterKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, map[string]bool{})
			case '[':
				stack = append(stack, nil)
			default:
				stack = stack[:len(stack)-1]
			}
			afterKey = false
			continue
		case string:
			if expectKey() && !afterKey {
				keys := stack[len(stack)-1]
				if keys[v] {
					return v
				}
				keys[v] = true
				afterKey = true
				continue
			}
		}
		afterKey = false
	}
}

// escapeQuery percent-encodes the bytes of a fuzzed query that cannot travel in a request line,
// keeping its structure (&, =, and existing escapes) for the server to parse.
func escapeQuery(q string) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c <= ' ' || c >= 0x7f || c == '#' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func truncate(b []byte) string {
	const shown = 512
	if len(b) > shown {
		return fmt.Sprintf("%q... (%d bytes)", b[:shown], len(b))
	}
	return fmt.Sprintf("%q", b)
}
