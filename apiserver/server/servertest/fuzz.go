package servertest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/keelson-dev/keelson/apiserver/internal/storage"
	"github.com/keelson-dev/keelson/apiserver/server"
	"github.com/keelson-dev/keelson/pkg/scheme"
)

const (
	// FuzzNamespace holds the fixtures of a Fuzz server.
	FuzzNamespace = "fz"
	// FuzzDeadline bounds one fuzzed request. Every request of a fuzz input is a single object or a
	// small collection on an idle server, so one that has not answered by then hangs.
	FuzzDeadline = 10 * time.Second
	// FuzzHeapGrowth bounds how much the Go heap (live objects and garbage not yet collected) may
	// grow while a fuzzed request runs. A request body is at most 3 MiB and a stored object at
	// most 1.5 MiB, so a request that needs this much amplified its input, as a JSON patch that
	// copies a large value many times does.
	FuzzHeapGrowth = 256 << 20
	// fuzzWatchCacheSize keeps the watch caches small: a fuzz run writes thousands of objects, and
	// the cache's history of them is no request's doing.
	fuzzWatchCacheSize = 256
	// heapSampleEvery is how often the heap is sampled while a request runs.
	heapSampleEvery = 2 * time.Millisecond
)

// Fixtures are the objects every fuzz input starts from, in namespace FuzzNamespace: ConfigMap cm,
// Node n (whose kubelet is the fake one the harness serves), Pod p bound to n, Pod q not bound yet,
// and Deployment d. Their storage keys are FixtureKeys.
var fixtures = []struct {
	path, body string
}{
	{"/api/v1/namespaces/fz/configmaps", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"app":"fz"},"annotations":{"a":"b"}},"data":{"a":"b","c":"d"}}`},
	{"/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n","labels":{"kubernetes.io/hostname":"n"}},"spec":{"taints":[{"key":"k","value":"v","effect":"NoSchedule"}]}}`},
	{"/api/v1/namespaces/fz/pods", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"fz"}},"spec":{"nodeName":"n","initContainers":[{"name":"init","image":"i"}],"containers":[{"name":"c","image":"i","ports":[{"name":"http","containerPort":80}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}`},
	{"/api/v1/namespaces/fz/pods", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q","labels":{"app":"fz"}},"spec":{"containers":[{"name":"c","image":"i"},{"name":"d","image":"i"}]}}`},
	{"/apis/apps/v1/namespaces/fz/deployments", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"app":"fz"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"fz"}},"template":{"metadata":{"labels":{"app":"fz"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`},
}

// FixtureKey returns the storage key of an object: resource is the plural name, group "" for the
// core group, namespace "" for a cluster-scoped object.
func FixtureKey(group, resource, namespace, name string) string {
	k := "/registry/"
	if group != "" {
		k += group + "/"
	}
	k += resource + "/"
	if namespace != "" {
		k += namespace + "/"
	}
	return k + name
}

// Fuzz is an in-process apiserver set up to judge one fuzzed request at a time (see Do). It is
// meant for one fuzz worker: Do must not be called concurrently.
type Fuzz struct {
	// URL is the REST endpoint (http://127.0.0.1:port).
	URL string
	// HTTP reaches URL. It has no timeout of its own: requests carry Do's deadline.
	HTTP *http.Client
	// GRPC is a connection to the same port.
	GRPC *grpc.ClientConn

	srv   *server.Server
	etcd  *clientv3.Client
	codec storage.Codec
	logs  *observer.ObservedLogs
	// base holds the keys present before the fixtures were created (system namespaces and
	// FuzzNamespace) as they were then.
	base map[string]*mvccpb.KeyValue
	// clean is the etcd revision once the fixtures were last (re)created.
	clean int64
	// kubeletAddr is where the fake kubelet listens (loopback), node n's kubelet endpoint.
	kubeletAddr string
}

// StartFuzz starts an apiserver for a fuzz target, with the fixtures and a fake kubelet that serves
// pod p's log. Call it before f.Fuzz: each fuzz worker process then starts one server and reuses it
// for every input. Everything stops when the fuzz target ends.
func StartFuzz(f *testing.F) *Fuzz {
	f.Helper()
	core, logs := observer.New(zapcore.WarnLevel)
	cfg := Config(f)
	cfg.WatchCacheSize = fuzzWatchCacheSize
	// The harness checks that a refused request writes nothing by the etcd revision, so the
	// server's own periodic write, the renewal of its identity lease, must not fall in a test.
	cfg.IdentityLeaseDuration, cfg.IdentityLeaseRenewInterval = time.Hour, 30*time.Minute
	srv := StartConfig(f, cfg, zap.New(core))
	h := &Fuzz{
		URL:   "http://" + srv.Addr().String(),
		HTTP:  &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}},
		srv:   srv,
		etcd:  srv.EtcdClient(),
		codec: storage.NewCodec(scheme.Builtin()),
		logs:  logs,
	}
	conn, err := grpc.NewClient(srv.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.Fatal(err)
	}
	h.GRPC = conn
	f.Cleanup(func() { _ = conn.Close() })

	kubelet := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/containerLogs/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = fmt.Fprintf(w, "log of %s\nsecond line\n", r.URL.Path)
	}))
	f.Cleanup(kubelet.Close)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.post(ctx, "/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"`+FuzzNamespace+`"}}`); err != nil {
		f.Fatal(err)
	}
	resp, err := h.etcd.Get(ctx, "/", clientv3.WithPrefix())
	if err != nil {
		f.Fatal(err)
	}
	h.base = make(map[string]*mvccpb.KeyValue, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		h.base[string(kv.Key)] = kv
	}
	h.kubeletAddr = kubelet.Listener.Addr().String()
	if err := h.createFixtures(ctx); err != nil {
		f.Fatal(err)
	}
	return h
}

// createFixtures creates the fixtures and records the revision they leave.
func (h *Fuzz) createFixtures(ctx context.Context) error {
	for _, fx := range fixtures {
		if err := h.post(ctx, fx.path, fx.body); err != nil {
			return err
		}
	}
	port := h.kubeletAddr[strings.LastIndexByte(h.kubeletAddr, ':')+1:]
	status := `{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":` + port + `}}}}`
	if err := h.send(ctx, http.MethodPatch, "/api/v1/nodes/n/status", "application/merge-patch+json", status); err != nil {
		return err
	}
	rev, err := h.Revision(ctx)
	if err != nil {
		return err
	}
	h.clean = rev
	return nil
}

func (h *Fuzz) post(ctx context.Context, path, body string) error {
	return h.send(ctx, http.MethodPost, path, "application/json", body)
}

func (h *Fuzz) send(ctx context.Context, method, path, contentType, body string) error {
	req, err := http.NewRequestWithContext(ctx, method, h.URL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := h.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b.String())
	}
	return nil
}

// Revision returns etcd's current revision: it moves with every write.
func (h *Fuzz) Revision(ctx context.Context) (int64, error) {
	resp, err := h.etcd.Get(ctx, "/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("read the etcd revision: %w", err)
	}
	return resp.Header.Revision, nil
}

// ResourceVersion returns the resourceVersion of the object stored at key, or etcd's current
// revision when key is "" or holds nothing: what a fuzzed request's "@RV@" stands for.
func (h *Fuzz) ResourceVersion(ctx context.Context, key string) string {
	if key != "" {
		if resp, err := h.etcd.Get(ctx, key); err == nil && len(resp.Kvs) > 0 {
			return strconv.FormatInt(resp.Kvs[0].ModRevision, 10)
		}
	}
	rev, err := h.Revision(ctx)
	if err != nil {
		return ""
	}
	return strconv.FormatInt(rev, 10)
}

// reset brings storage back to the fixtures when the last input wrote anything: keys that were not
// there are deleted, base keys that changed are put back, and the fixtures are created anew. Raw
// etcd writes reach the server's watch caches like any other.
func (h *Fuzz) reset(ctx context.Context) error {
	rev, err := h.Revision(ctx)
	if err != nil {
		return err
	}
	if rev == h.clean {
		return nil
	}
	resp, err := h.etcd.Get(ctx, "/", clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	seen := make(map[string]bool, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		k := string(kv.Key)
		seen[k] = true
		orig, ok := h.base[k]
		switch {
		case !ok:
			_, err = h.etcd.Delete(ctx, k)
		case orig.ModRevision != kv.ModRevision:
			err = h.restore(ctx, orig)
		}
		if err != nil {
			return fmt.Errorf("reset %s: %w", k, err)
		}
	}
	for k, orig := range h.base {
		if !seen[k] {
			if err := h.restore(ctx, orig); err != nil {
				return fmt.Errorf("reset %s: %w", k, err)
			}
		}
	}
	return h.createFixtures(ctx)
}

// restore puts a base key back to its value and remembers the revision that wrote it.
func (h *Fuzz) restore(ctx context.Context, orig *mvccpb.KeyValue) error {
	resp, err := h.etcd.Put(ctx, string(orig.Key), string(orig.Value))
	if err != nil {
		return err
	}
	h.base[string(orig.Key)] = &mvccpb.KeyValue{Key: orig.Key, Value: orig.Value, ModRevision: resp.Header.Revision}
	return nil
}

// Do judges one fuzzed request. It first brings storage back to the fixtures, then calls send with
// a context that ends after FuzzDeadline. send makes the request, reports any wrong answer through t
// itself (a 5xx, a panic seen as a dropped connection), and returns whether the server accepted
// the request (a 2xx). keys are the storage keys of the objects the request names and dryRun
// whether it asked for a dry run. Do then checks what holds for every request:
//
//   - it answered before the deadline;
//   - the heap grew by less than FuzzHeapGrowth while it ran;
//   - the server logged nothing at error level (a recovered panic is logged so);
//   - a refused request, and an accepted dry run, wrote nothing: etcd's revision did not move and
//     the named objects are byte for byte what they were;
//   - what an accepted request stored decodes, and holds no protobuf field the API does not know,
//     that is, nothing that is stored but never shown.
func (h *Fuzz) Do(t *testing.T, keys []string, dryRun bool, send func(ctx context.Context) (accepted bool)) {
	t.Helper()
	setup, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := h.reset(setup); err != nil {
		t.Fatal(err)
	}
	h.logs.TakeAll()
	before, err := h.snapshot(setup, keys)
	if err != nil {
		t.Fatal(err)
	}

	stopHeap := watchHeap()
	ctx, cancelReq := context.WithTimeout(context.Background(), FuzzDeadline)
	accepted := send(ctx)
	hung := ctx.Err() != nil
	cancelReq()
	if grew := stopHeap(); grew > FuzzHeapGrowth {
		t.Errorf("the heap grew by %d MiB while the request ran (limit %d MiB)", grew>>20, FuzzHeapGrowth>>20)
	}
	if hung {
		t.Errorf("no answer within %s", FuzzDeadline)
	}
	for _, e := range h.logs.FilterLevelExact(zapcore.ErrorLevel).TakeAll() {
		t.Errorf("the server logged an error: %s %v", e.Message, e.ContextMap())
	}

	after, err := h.snapshot(setup, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !accepted || dryRun {
		what := "a refused request"
		if accepted {
			what = "an accepted dry run"
		}
		if after.rev != before.rev {
			t.Errorf("%s wrote: the etcd revision moved from %d to %d", what, before.rev, after.rev)
		}
		for _, k := range keys {
			if !bytes.Equal(before.values[k], after.values[k]) {
				t.Errorf("%s changed %s:\nbefore: %q\nafter:  %q", what, k, before.values[k], after.values[k])
			}
		}
		return
	}
	if err := h.checkStored(setup, before.rev); err != nil {
		t.Error(err)
	}
}

// snapshot is the etcd revision and the values of some keys at one moment.
type snapshot struct {
	rev    int64
	values map[string][]byte
}

func (h *Fuzz) snapshot(ctx context.Context, keys []string) (snapshot, error) {
	ops := make([]clientv3.Op, 0, len(keys)+1)
	ops = append(ops, clientv3.OpGet("/", clientv3.WithPrefix(), clientv3.WithCountOnly()))
	for _, k := range keys {
		ops = append(ops, clientv3.OpGet(k))
	}
	resp, err := h.etcd.Txn(ctx).Then(ops...).Commit()
	if err != nil {
		return snapshot{}, fmt.Errorf("snapshot: %w", err)
	}
	s := snapshot{rev: resp.Header.Revision, values: make(map[string][]byte, len(keys))}
	for i, k := range keys {
		if kvs := resp.Responses[i+1].GetResponseRange().GetKvs(); len(kvs) > 0 {
			s.values[k] = kvs[0].Value
		}
	}
	return s, nil
}

// checkStored decodes every object written after rev and reports any that does not decode or
// carries protobuf fields unknown to its message.
func (h *Fuzz) checkStored(ctx context.Context, rev int64) error {
	resp, err := h.etcd.Get(ctx, "/", clientv3.WithPrefix(), clientv3.WithMinModRev(rev+1))
	if err != nil {
		return fmt.Errorf("read what the request stored: %w", err)
	}
	var problems []string
	for _, kv := range resp.Kvs {
		obj, err := h.codec.Decode(kv.Value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s does not decode: %v", kv.Key, err))
			continue
		}
		if paths := unknownFields(obj.ProtoReflect(), ""); len(paths) > 0 {
			problems = append(problems, fmt.Sprintf("%s is stored with %d bytes of fields the API does not know, at %s",
				kv.Key, len(kv.Value), strings.Join(paths, ", ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("stored objects: %s", strings.Join(problems, "; "))
	}
	return nil
}

// unknownFields returns the paths of the messages in m that hold unknown fields.
func unknownFields(m protoreflect.Message, path string) []string {
	var out []string
	if len(m.GetUnknown()) > 0 {
		out = append(out, "/"+strings.TrimPrefix(path, "/"))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := path + "/" + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				out = append(out, unknownFields(v.List().Get(i).Message(), fmt.Sprintf("%s/%d", p, i))...)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			var sub []string
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				sub = append(sub, unknownFields(mv.Message(), p+"/"+k.String())...)
				return true
			})
			sort.Strings(sub)
			out = append(out, sub...)
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			out = append(out, unknownFields(v.Message(), p)...)
		}
		return true
	})
	return out
}

// watchHeap samples the heap's objects until the returned function is called, which returns how
// far the largest sample (the last taken when it was called) exceeds the first. It does not
// collect garbage first, which would halve the fuzzing rate: the garbage that builds up between
// collections is a fraction of the idle heap, far below FuzzHeapGrowth.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var (
		mu   sync.Mutex
		base = read()
		peak = base
	)
	note := func() {
		v := read()
		mu.Lock()
		peak = max(peak, v)
		mu.Unlock()
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(heapSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				note()
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		note()
		mu.Lock()
		defer mu.Unlock()
		return peak - base
	}
}
