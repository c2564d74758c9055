package job

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/client"
	"github.com/keelson-dev/keelson/pkg/client/clienttest"
	"github.com/keelson-dev/keelson/pkg/clock"
	"github.com/keelson-dev/keelson/pkg/events/eventstest"
	"github.com/keelson-dev/keelson/pkg/informer"
	"github.com/keelson-dev/keelson/pkg/scheme"
	batchv1 "github.com/keelson-dev/keelson/proto/batch/v1"
	corev1 "github.com/keelson-dev/keelson/proto/core/v1"
	metav1 "github.com/keelson-dev/keelson/proto/meta/v1"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// testJob is a Job "pi" selecting its pods by uid, with a template of one container.
func testJob(opts ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		Metadata: &metav1.ObjectMeta{Name: "pi", Namespace: "default", Uid: "uid-pi"},
		Spec: &batchv1.JobSpec{
			Parallelism: proto.Int32(3), Completions: proto.Int32(6), BackoffLimit: proto.Int32(6),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"job": "pi"}},
			Template: &corev1.PodTemplateSpec{
				Metadata: &metav1.ObjectMeta{Labels: map[string]string{"job": "pi"}},
				Spec:     &corev1.PodSpec{RestartPolicy: "Never", Containers: []*corev1.Container{{Name: "c", Image: "sh"}}},
			},
		},
		Status: &batchv1.JobStatus{StartTime: timestamppb.New(t0.Add(-time.Minute))},
	}
	for _, o := range opts {
		o(j)
	}
	return j
}

// jobPod is a pod of "pi" in phase ph that terminated (when it did) at finished; index >= 0
// gives it that completion index.
func jobPod(name, ph string, finished time.Time, index int) *corev1.Pod {
	yes := true
	p := &corev1.Pod{
		Metadata: &metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"job": "pi"},
			CreationTimestamp: timestamppb.New(t0.Add(-time.Hour)), Finalizers: []string{TrackingFinalizer},
			OwnerReferences: []*metav1.OwnerReference{{Kind: "Job", ApiVersion: "batch/v1", Name: "pi", Uid: "uid-pi", Controller: &yes}}},
		Spec:   &corev1.PodSpec{NodeName: "n1", Containers: []*corev1.Container{{Name: "c"}}},
		Status: &corev1.PodStatus{Phase: ph},
	}
	if ph == "Succeeded" || ph == "Failed" {
		p.Status.ContainerStatuses = []*corev1.ContainerStatus{{Name: "c", State: &corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{FinishedAt: timestamppb.New(finished)}}}}
	}
	if index >= 0 {
		p.Metadata.Annotations = map[string]string{CompletionIndexKey: strconv.Itoa(index)}
	}
	return p
}

// pods returns n pods of "pi" named prefix-i in phase ph finished at finished.
func pods(prefix string, n int, ph string, finished time.Time) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range n {
		out = append(out, jobPod(fmt.Sprintf("%s-%d", prefix, i), ph, finished, -1))
	}
	return out
}

// harness is a Job controller over an in-memory API with running informers and a fake clock.
type harness struct {
	srv *clienttest.Server
	clk *clock.Fake
	rec *eventstest.Recorder
	c   *Controller
	ctx context.Context
}

func start(t *testing.T, now time.Time, objs ...scheme.Object) *harness {
	t.Helper()
	srv := clienttest.Start(t, objs...)
	clk := clock.NewFake(now)
	rec := &eventstest.Recorder{}
	f := informer.NewFactory(srv.Client(), informer.FactoryOptions{})
	c, err := New(srv.Client(), f, rec, clk, zaptest.NewLogger(t), Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	require.True(t, f.WaitForSync(ctx))
	return &harness{srv: srv, clk: clk, rec: rec, c: c, ctx: ctx}
}

// settle waits until the informers have seen every write to the server.
func (h *harness) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := max(rv(h.c.pods.LastResourceVersion()), rv(h.c.jobs.LastResourceVersion()))
		if seen >= rv(h.srv.ResourceVersion()) && h.c.expectations.Satisfied("default/pi") {
			return
		}
		require.False(t, time.Now().After(deadline), "informers did not catch up")
		<-time.After(time.Millisecond)
	}
}

func rv(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// livePods returns the stored pods of "pi" not being deleted, by name.
func (h *harness) livePods(t *testing.T) map[string]*corev1.Pod {
	t.Helper()
	list, err := h.srv.Client().Pods("default").List(h.ctx, client.ListOptions{})
	require.NoError(t, err)
	out := map[string]*corev1.Pod{}
	for _, p := range list.Items {
		if p.GetMetadata().GetDeletionTimestamp() == nil {
			out[p.GetMetadata().GetName()] = p
		}
	}
	return out
}

// rest reconciles until a reconcile writes nothing, at most three times.
func (h *harness) rest(t *testing.T) {
	t.Helper()
	for range 3 {
		before := h.srv.ResourceVersion()
		h.settle(t)
		_, err := h.c.reconcile(h.ctx, "default/pi")
		require.NoError(t, err)
		if h.srv.ResourceVersion() == before {
			return
		}
	}
	t.Fatal("the job did not come to rest")
}

func condition(job *batchv1.Job) string {
	var out []string
	for _, c := range job.GetStatus().GetConditions() {
		out = append(out, c.GetType()+"/"+c.GetReason())
	}
	return strings.Join(out, ",")
}

func activePods(m map[string]*corev1.Pod) int {
	n := 0
	for _, p := range m {
		if ph := p.GetStatus().GetPhase(); ph != "Succeeded" && ph != "Failed" {
			n++
		}
	}
	return n
}

// TestReconcile runs one reconcile of "pi" on table-driven states.
func TestReconcile(t *testing.T) {
	tests := []struct {
		name        string
		now         time.Time
		job         *batchv1.Job
		pods        []*corev1.Pod
		wantActive  int // live, non-terminated pods after the reconcile
		wantStatus  func(t require.TestingT, st *batchv1.JobStatus)
		wantCond    string
		wantRequeue time.Duration
		wantReasons []string
	}{
		{
			name: "starts parallelism pods", now: t0, job: testJob(func(j *batchv1.Job) { j.Status = nil }), wantActive: 3,
			wantStatus: func(t require.TestingT, st *batchv1.JobStatus) {
				require.Equal(t, t0, st.GetStartTime().AsTime())
				require.EqualValues(t, 3, st.GetActive())
			},
			wantReasons: []string{"SuccessfulCreate", "SuccessfulCreate", "SuccessfulCreate"},
		},
		{
			name: "never more than the missing completions", now: t0, job: testJob(),
			pods: pods("done", 5, "Succeeded", t0.Add(-time.Minute)), wantActive: 1,
			wantStatus: func(t require.TestingT, st *batchv1.JobStatus) { require.EqualValues(t, 5, st.GetSucceeded()) },
		},
		{
			name: "completes at completions", now: t0, job: testJob(), pods: pods("done", 6, "Succeeded", t0), wantCond: "Complete/",
			wantStatus: func(t require.TestingT, st *batchv1.JobStatus) {
				require.Equal(t, t0, st.GetCompletionTime().AsTime())
				require.EqualValues(t, 6, st.GetSucceeded())
				require.Zero(t, st.GetActive())
			},
			wantReasons: []string{"Completed"},
		},
		{
			name: "without completions completes when one succeeded and none runs", now: t0,
			job: testJob(func(j *batchv1.Job) { j.Spec.Completions = nil }), pods: pods("done", 1, "Succeeded", t0), wantCond: "Complete/",
		},
		{
			name: "without completions starts nothing once one succeeded", now: t0,
			job:  testJob(func(j *batchv1.Job) { j.Spec.Completions = nil }),
			pods: append(pods("done", 1, "Succeeded", t0), pods("run", 1, "Running", t0)...), wantActive: 1,
		},
		{
			name: "backoff holds the replacement of a failed pod", now: t0.Add(4 * time.Second), job: testJob(),
			pods: append(pods("fail", 1, "Failed", t0), pods("run", 2, "Running", t0)...), wantActive: 2,
			wantRequeue: 6 * time.Second,
			wantStatus:  func(t require.TestingT, st *batchv1.JobStatus) { require.EqualValues(t, 1, st.GetFailed()) },
		},
		{
			name: "backoff over", now: t0.Add(10 * time.Second), job: testJob(),
			pods: append(pods("fail", 1, "Failed", t0), pods("run", 2, "Running", t0)...), wantActive: 3,
		},
		{
			name: "backoff doubles per consecutive failure", now: t0.Add(25 * time.Second), job: testJob(),
			pods: pods("fail", 3, "Failed", t0), wantRequeue: 15 * time.Second,
		},
		{
			name: "a success resets the backoff", now: t0.Add(time.Second), job: testJob(),
			pods: append(pods("fail", 3, "Failed", t0.Add(-time.Hour)), pods("done", 1, "Succeeded", t0)...), wantActive: 3,
		},
		{
			name: "backoff limit exceeded", now: t0, job: testJob(func(j *batchv1.Job) { j.Spec.BackoffLimit = proto.Int32(1) }),
			pods:     append(pods("fail", 2, "Failed", t0), pods("run", 1, "Running", t0)...),
			wantCond: "Failed/BackoffLimitExceeded", wantReasons: []string{"SuccessfulDelete", "BackoffLimitExceeded"},
			wantStatus: func(t require.TestingT, st *batchv1.JobStatus) {
				require.EqualValues(t, 3, st.GetFailed(), "the running pod stopped counts as failed too")
				require.Nil(t, st.GetCompletionTime())
				require.Empty(t, st.GetUncountedTerminatedPods().GetFailed())
			},
		},
		{
			name: "backoff limit reached but not exceeded", now: t0.Add(time.Hour), job: testJob(func(j *batchv1.Job) { j.Spec.BackoffLimit = proto.Int32(2) }),
			pods: pods("fail", 2, "Failed", t0), wantActive: 3,
		},
		{
			name: "deadline exceeded", now: t0, job: testJob(func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = proto.Int64(60) }),
			pods: pods("run", 3, "Running", t0), wantCond: "Failed/DeadlineExceeded",
		},
		{
			name: "deadline ahead requeues", now: t0, job: testJob(func(j *batchv1.Job) { j.Spec.ActiveDeadlineSeconds = proto.Int64(90) }),
			pods: pods("run", 3, "Running", t0), wantActive: 3, wantRequeue: 30 * time.Second,
		},
		{
			name: "lowered parallelism deletes the surplus", now: t0, job: testJob(func(j *batchv1.Job) { j.Spec.Parallelism = proto.Int32(1) }),
			pods: pods("run", 3, "Running", t0), wantActive: 1,
		},
		{
			name: "suspended stops every pod", now: t0, job: testJob(func(j *batchv1.Job) { j.Spec.Suspend = proto.Bool(true) }),
			pods: pods("run", 2, "Running", t0),
		},
		{
			name: "indexed starts the lowest free indexes", now: t0,
			job: testJob(func(j *batchv1.Job) {
				j.Spec.CompletionMode = proto.String("Indexed")
				j.Spec.Completions = proto.Int32(5)
			}),
			pods:       []*corev1.Pod{jobPod("i0", "Succeeded", t0, 0), jobPod("i1", "Running", t0, 1), jobPod("i3", "Succeeded", t0, 3)},
			wantActive: 3,
			wantStatus: func(t require.TestingT, st *batchv1.JobStatus) {
				require.Equal(t, "0,3", st.GetCompletedIndexes())
				require.EqualValues(t, 2, st.GetSucceeded())
			},
		},
		{
			name: "indexed deletes a second pod of an index", now: t0,
			job: testJob(func(j *batchv1.Job) {
				j.Spec.CompletionMode = proto.String("Indexed")
				j.Spec.Completions = proto.Int32(2)
				j.Spec.Parallelism = proto.Int32(1)
			}),
			pods:       []*corev1.Pod{jobPod("a", "Running", t0, 1), jobPod("b", "Running", t0, 1)},
			wantActive: 1,
		},
		{
			name: "indexed completes when every index succeeded", now: t0,
			job: testJob(func(j *batchv1.Job) {
				j.Spec.CompletionMode = proto.String("Indexed")
				j.Spec.Completions = proto.Int32(3)
				j.Status.CompletedIndexes = "0-1"
			}),
			pods: []*corev1.Pod{jobPod("i2", "Succeeded", t0, 2)}, wantCond: "Complete/",
			wantStatus: func(t require.TestingT, st *batchv1.JobStatus) { require.Equal(t, "0-2", st.GetCompletedIndexes()) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := []scheme.Object{tt.job}
			for _, p := range tt.pods {
				objs = append(objs, p)
			}
			h := start(t, tt.now, objs...)
			h.settle(t)
			res, err := h.c.reconcile(h.ctx, "default/pi")
			require.NoError(t, err)
			require.Equal(t, tt.wantRequeue, res.RequeueAfter)
			require.Equal(t, tt.wantActive, activePods(h.livePods(t)))
			job, ok := clienttest.Stored[*batchv1.Job](h.srv, "default", "pi")
			require.True(t, ok)
			require.Equal(t, tt.wantCond, condition(job))
			if tt.wantStatus != nil {
				tt.wantStatus(t, job.GetStatus())
			}
			if tt.wantReasons != nil {
				require.Equal(t, tt.wantReasons, h.rec.Reasons())
			}
			// Pods deleted by the reconcile are counted once the cache shows them deleted; after
			// that, a reconcile changes nothing.
			h.rest(t)
		})
	}
}

// TestIndexedPods checks what an Indexed Job's pod carries: name, annotation, label, hostname
// and JOB_COMPLETION_INDEX.
func TestIndexedPods(t *testing.T) {
	job := testJob(func(j *batchv1.Job) {
		j.Spec.CompletionMode = proto.String("Indexed")
		j.Spec.Parallelism = proto.Int32(2)
	})
	h := start(t, t0, job)
	h.settle(t)
	_, err := h.c.reconcile(h.ctx, "default/pi")
	require.NoError(t, err)
	var got []string
	for name, p := range h.livePods(t) {
		idx := p.GetMetadata().GetAnnotations()[CompletionIndexKey]
		require.Equal(t, idx, p.GetMetadata().GetLabels()[CompletionIndexKey])
		require.True(t, strings.HasPrefix(name, "pi-"+idx+"-"), name)
		require.Equal(t, "pi-"+idx, p.GetSpec().GetHostname())
		require.Equal(t, []*corev1.EnvVar{{Name: CompletionIndexEnv, Value: idx}}, p.GetSpec().GetContainers()[0].GetEnv())
		require.Equal(t, "uid-pi", p.GetMetadata().GetOwnerReferences()[0].GetUid())
		got = append(got, idx)
	}
	sort.Strings(got)
	require.Equal(t, []string{"0", "1"}, got)
}

// TestTTLAfterFinished deletes a finished Job once its TTL has passed, and only then.
func TestTTLAfterFinished(t *testing.T) {
	finishedJob := func() *batchv1.Job {
		return testJob(func(j *batchv1.Job) {
			j.Spec.TtlSecondsAfterFinished = proto.Int32(100)
			j.Status.CompletionTime = timestamppb.New(t0)
			j.Status.Conditions = []*batchv1.JobCondition{{Type: "Complete", Status: "True", LastTransitionTime: timestamppb.New(t0)}}
		})
	}
	tests := []struct {
		name        string
		now         time.Time
		wantDeleted bool
		wantRequeue time.Duration
	}{
		{name: "before the TTL", now: t0.Add(40 * time.Second), wantRequeue: 60 * time.Second},
		{name: "at the TTL", now: t0.Add(100 * time.Second), wantDeleted: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, tt.now, finishedJob())
			h.settle(t)
			res, err := h.c.reconcile(h.ctx, "default/pi")
			require.NoError(t, err)
			require.Equal(t, tt.wantRequeue, res.RequeueAfter)
			_, ok := clienttest.Stored[*batchv1.Job](h.srv, "default", "pi")
			require.Equal(t, tt.wantDeleted, !ok)
		})
	}
}

func TestCompletedIndexesRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""}, {"0", "0"}, {"1,3-5", "1,3-5"}, {"3,1,2", "1-3"}, {"0-2,x,7-9", "0-2,7"}, {"5-3", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, formatIndexes(parseIndexes(tt.in, 8)))
		})
	}
}

// TestTrackingFinalizer checks that counted pods lose the finalizer, that a count survives the
// removal of its pod, that a stale cache does not count a pod twice, and that pods of a Job
// that is gone or was replaced lose the finalizer uncounted.
func TestTrackingFinalizer(t *testing.T) {
	finalizers := func(h *harness) map[string]bool {
		list, err := h.srv.Client().Pods("default").List(h.ctx, client.ListOptions{})
		require.NoError(t, err)
		out := map[string]bool{}
		for _, p := range list.Items {
			out[p.GetMetadata().GetName()] = hasFinalizer(p)
		}
		return out
	}
	stored := func(h *harness) *batchv1.Job {
		job, ok := clienttest.Stored[*batchv1.Job](h.srv, "default", "pi")
		require.True(t, ok)
		return job
	}

	t.Run("counts survive the pods and are made once", func(t *testing.T) {
		h := start(t, t0, testJob(), jobPod("done-0", "Succeeded", t0, -1), jobPod("done-1", "Succeeded", t0, -1))
		h.settle(t)
		_, err := h.c.reconcile(h.ctx, "default/pi")
		require.NoError(t, err)
		// At once, before the cache has seen the finalizers go: a status computed from the
		// stale Job fails with Conflict instead of overwriting the counts.
		if _, err = h.c.reconcile(h.ctx, "default/pi"); err != nil {
			require.True(t, apierrors.IsConflict(err), "%v", err)
		}
		h.rest(t)
		require.EqualValues(t, 2, stored(h).GetStatus().GetSucceeded())
		require.False(t, finalizers(h)["done-0"])
		for name, held := range finalizers(h) {
			if name != "done-0" && name != "done-1" {
				require.True(t, held, "new pod %s carries the finalizer", name)
			}
		}
		require.NoError(t, h.srv.Client().Pods("default").Delete(h.ctx, "done-0"))
		require.NoError(t, h.srv.Client().Pods("default").Delete(h.ctx, "done-1"))
		h.rest(t)
		st := stored(h).GetStatus()
		require.EqualValues(t, 2, st.GetSucceeded(), "the count outlives the pods")
		require.EqualValues(t, 3, st.GetActive())
		require.Len(t, h.livePods(t), 3, "no pod for the completions already counted")
	})

	t.Run("an uncounted pod of an earlier run is counted", func(t *testing.T) {
		done := jobPod("done", "Succeeded", t0, -1)
		done.Metadata.Uid, done.Metadata.Finalizers = "uid-done", nil
		job := testJob(func(j *batchv1.Job) {
			j.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{Succeeded: []string{"uid-done"}}
		})
		h := start(t, t0, job, done)
		h.rest(t)
		st := stored(h).GetStatus()
		require.EqualValues(t, 1, st.GetSucceeded())
		require.Empty(t, st.GetUncountedTerminatedPods().GetSucceeded())
	})

	t.Run("pods of a Job gone or replaced lose the finalizer", func(t *testing.T) {
		orphan := jobPod("orphan", "Running", t0, -1)
		replaced := testJob(func(j *batchv1.Job) { j.Metadata.Uid = "uid-new" })
		for _, objs := range [][]scheme.Object{{orphan.CloneVT()}, {replaced, orphan.CloneVT()}} {
			h := start(t, t0, objs...)
			h.settle(t)
			_, err := h.c.reconcile(h.ctx, "default/pi")
			require.NoError(t, err)
			require.False(t, finalizers(h)["orphan"])
		}
	})
}

// TestTrackSkipsPodsWhoseFinalizerIsGoing checks the guard against a stale pod cache: a pod
// whose finalizer the controller removed, still shown with it, is not counted again, and its
// uid in uncountedTerminatedPods is counted.
func TestTrackSkipsPodsWhoseFinalizerIsGoing(t *testing.T) {
	pod := jobPod("done", "Succeeded", t0, -1)
	pod.Metadata.Uid = "uid-done"
	tests := []struct {
		name          string
		pending       bool
		uncounted     []string
		wantSucceeded int32
		wantUncounted []string
		wantRelease   int
	}{
		{name: "new terminated pod", wantSucceeded: 5, wantUncounted: []string{"uid-done"}, wantRelease: 1},
		{name: "finalizer removal in flight", pending: true, wantSucceeded: 5},
		{name: "uncounted and finalizer removal in flight", pending: true, uncounted: []string{"uid-done"}, wantSucceeded: 6},
		{name: "uncounted, finalizer still there", uncounted: []string{"uid-done"}, wantSucceeded: 5, wantUncounted: []string{"uid-done"}, wantRelease: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Controller{}
			if tt.pending {
				c.removals.expect("default/pi", "uid-done")
			}
			st := &batchv1.JobStatus{Succeeded: 5, UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{Succeeded: tt.uncounted}}
			tr := c.track("default/pi", testJob(), st, []*corev1.Pod{pod}, false)
			require.Equal(t, tt.wantSucceeded, st.GetSucceeded())
			require.Equal(t, tt.wantUncounted, st.GetUncountedTerminatedPods().GetSucceeded())
			require.Len(t, tr.release, tt.wantRelease)
		})
	}
}
